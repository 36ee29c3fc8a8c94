import Testing
import DNSModel
import DNSWire
import ClusterModel
@testable import ClusterDNS

/// The test cluster, modelled on CoreDNS's `handler_test.go` fixtures plus a StatefulSet.
let fixtureYAML = """
apiVersion: v1
kind: Namespace
metadata: {name: testns}
---
apiVersion: v1
kind: Service
metadata: {name: svc1, namespace: testns}
spec:
  clusterIP: 10.0.0.1
  ports: [{name: http, protocol: TCP, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: svc-dual-stack, namespace: testns}
spec:
  type: NodePort
  clusterIP: 10.0.0.3
  clusterIPs: [10.0.0.3, "10::3"]
  ports: [{name: http, protocol: TCP, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: hdls1, namespace: testns}
spec:
  clusterIP: None
  ports: [{name: http, protocol: TCP, port: 80}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: hdls1-v4, namespace: testns, labels: {kubernetes.io/service-name: hdls1}}
addressType: IPv4
ports: [{name: http, protocol: TCP, port: 80}]
endpoints:
  - addresses: [172.0.0.2]
  - addresses: [172.0.0.3]
    conditions: {ready: true}
  - addresses: [172.0.0.4]
    hostname: dup-name
  - addresses: [172.0.0.5]
    hostname: dup-name
  - addresses: [172.0.0.9]
    conditions: {ready: false}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: hdls1-v6, namespace: testns, labels: {kubernetes.io/service-name: hdls1}}
addressType: IPv6
ports: [{name: http, protocol: TCP, port: 80}]
endpoints:
  - addresses: ["5678:abcd::1"]
  - addresses: ["5678:abcd::2"]
---
apiVersion: v1
kind: Service
metadata: {name: hdlsprtls, namespace: testns}
spec: {clusterIP: None}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: hdlsprtls-1, namespace: testns, labels: {kubernetes.io/service-name: hdlsprtls}}
addressType: IPv4
endpoints: [{addresses: [172.0.0.20]}]
---
apiVersion: v1
kind: Service
metadata: {name: empty-headless, namespace: testns}
spec:
  clusterIP: None
  selector: {app: nothing}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: external, namespace: testns}
spec: {type: ExternalName, externalName: ext.interwebs.test}
---
apiVersion: v1
kind: Service
metadata: {name: external-to-service, namespace: testns}
spec: {type: ExternalName, externalName: svc1.testns.svc.cluster.local}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: testns}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: web}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: testns, labels: {app: web}}
spec:
  hostname: web-0
  subdomain: web
  containers: [{name: c, image: i, ports: [{name: web, containerPort: 8080}]}]
status: {podIP: 10.1.0.10, conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: testns, labels: {app: web}}
spec:
  hostname: web-1
  subdomain: web
  containers: [{name: c, image: i, ports: [{name: web, containerPort: 8080}]}]
status: {podIP: 10.1.0.11, conditions: [{type: Ready, status: "False"}]}
"""

/// A snapshot of `yaml`, decoded the way a manifest file is.
func snapshot(_ yaml: String = fixtureYAML) throws -> ClusterSnapshot {
    let store = ClusterStore()
    let contents = try ManifestDecoder.decode(yaml, source: "fixture.yaml")
    return store.replace(source: "fixture", with: contents.objects)
}

/// Parses zone-file lines (`name ttl IN type data`) into a set of records.
func rrs(_ lines: String...) throws -> Set<ResourceRecord> {
    Set(try lines.map { line throws in try ResourceRecord(presentation: line) })
}

let zone = ClusterZone(apex: "cluster.local.", ttl: 5, podMode: .insecure)

/// Asks `zone` one question.
func ask(_ name: String, _ type: RecordType, zone: ClusterZone = zone, in snap: ClusterSnapshot) -> Answer {
    zone.answer(Question(name: DomainName(name)!, type: type), in: snap)
}
