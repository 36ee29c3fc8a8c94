import DNSModel
import ClusterModel
import ClusterDNS

/// The cluster the query-answering fuzz harnesses (FuzzQuery, FuzzTCP) answer from.
public enum FuzzCluster {
    static let fixture = """
        apiVersion: v1
        kind: Service
        metadata: {name: svc1, namespace: testns}
        spec: {clusterIP: 10.0.0.1, clusterIPs: [10.0.0.1, "fd00::1"], ports: [{name: http, port: 80}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: hdls, namespace: testns}
        spec: {clusterIP: None, selector: {app: web}, ports: [{name: http, port: 80, targetPort: web}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web-0, namespace: testns, labels: {app: web}}
        spec: {hostname: web-0, subdomain: hdls, containers: [{name: c, image: i, ports: [{name: web, containerPort: 8080}]}]}
        status: {podIP: 10.1.0.10, conditions: [{type: Ready, status: "True"}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: ext, namespace: testns}
        spec: {type: ExternalName, externalName: www.example.test}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: self, namespace: testns}
        spec: {type: ExternalName, externalName: self.testns.svc.cluster.local}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: ping, namespace: testns}
        spec: {type: ExternalName, externalName: loop.example.test}
        """

    /// A dual-stack ClusterIP service, a headless one with a named ready pod, an ExternalName,
    /// and CNAME loops: an ExternalName naming itself, and one through the static zone and back
    /// (the self loop once overflowed the stack).
    public static let snapshot: ClusterSnapshot = {
        let objects = (try? ManifestDecoder.decode(fixture, source: "fuzz"))?.objects ?? []
        return ClusterStore().replace(source: "fuzz", with: objects)
    }()

    /// The cluster zone, and a static zone `example.test` (the ExternalName's target, and a CNAME
    /// back into the cluster).
    public static let authority: Authority = {
        let zone = StaticZone(origin: "example.test.", records: [
            ResourceRecord(name: "example.test.", ttl: 60, data: .soa(SOAData(mname: "ns.example.test.", rname: "h.example.test.",
                                                                           serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1))),
            ResourceRecord(name: "www.example.test.", ttl: 60, data: .a(IPv4Address(192, 0, 2, 1))),
            ResourceRecord(name: "loop.example.test.", ttl: 60, data: .cname("ping.testns.svc.cluster.local.")),
        ])
        return Authority(cluster: ClusterZone(), staticZones: [zone])
    }()
}
