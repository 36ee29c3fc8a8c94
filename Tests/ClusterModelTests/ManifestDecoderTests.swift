import ClusterModel
import DNSModel
import Foundation
import Testing

@Suite struct ManifestDecoderTests {
    static let multiDoc = """
    # a comment
    apiVersion: v1
    kind: Service
    metadata:
      name: web
      namespace: shop
      labels: {app: web}
    spec:
      clusterIP: 10.96.0.10
      clusterIPs: [10.96.0.10, "fd00::10"]
      ports:
      - name: http
        port: 80
        targetPort: http
      - port: 53
        protocol: UDP
        targetPort: 5353
      selector:
        app: web
    ---
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec: {replicas: 3}
    ---
    apiVersion: v1
    kind: Pod
    metadata:
      name: web-0
    spec:
      hostname: web-0
      subdomain: web
      containers:
      - name: a
        ports: [{name: http, containerPort: 8080}]
      - name: b
        ports: [{containerPort: 9090, protocol: UDP}]
    status:
      phase: Running
      podIP: 10.244.0.5
      podIPs: [{ip: 10.244.0.5}, {ip: "fd00::5"}]
      conditions: [{type: Ready, status: "True"}]
    """

    @Test func yamlMultiDocument() throws {
        let c = try ManifestDecoder.decode(Self.multiDoc, source: "m.yaml")
        #expect(c.objects.count == 2)
        #expect(c.skippedKinds == ["Deployment"])
        guard case .service(let s) = c.objects[0], case .pod(let p) = c.objects[1] else {
            Issue.record("wrong kinds"); return
        }
        #expect(s.namespace == "shop")
        #expect(s.type == .clusterIP)
        #expect(s.clusterAddresses == [IPAddress("10.96.0.10"), IPAddress("fd00::10")].compactMap { $0 })
        #expect(s.ports == [.init(name: "http", port: 80, targetPort: .string("http")),
                            .init(protocol: .udp, port: 53, targetPort: .int(5353))])
        #expect(s.selector == ["app": "web"])
        #expect(!s.isHeadless)
        #expect(p.namespace == "default") // missing namespace means default
        #expect(p.ports == [.init(name: "http", containerPort: 8080), .init(containerPort: 9090, protocol: .udp)])
        #expect(p.podIPs.map(\.description) == ["10.244.0.5", "fd00::5"])
        #expect(p.ready && p.phase == .running && !p.isTerminating)
        #expect(p.hostname == "web-0" && p.subdomain == "web")
    }

    @Test func jsonList() throws {
        let json = """
        {"apiVersion": "v1", "kind": "List", "items": [
          {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"team": "a"}}},
          {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}},
          {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
           "metadata": {"name": "web-abc", "namespace": "shop", "labels": {"kubernetes.io/service-name": "web"}},
           "addressType": "IPv4",
           "endpoints": [{"addresses": ["10.0.0.1"], "conditions": {"ready": false}, "hostname": "h1",
                          "targetRef": {"kind": "Pod", "name": "web-1"}, "unknownField": 1}],
           "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]},
          {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web", "namespace": "shop"},
           "subsets": [{"addresses": [{"ip": "10.0.0.2"}], "notReadyAddresses": [{"ip": "10.0.0.3"}],
                        "ports": [{"port": 80}]}]}
        ]}
        """
        let c = try ManifestDecoder.decode(json, source: "l.json")
        #expect(c.objects.map(\.kind) == [.namespace, .endpointSlice, .endpoints])
        #expect(c.skippedKinds == ["ConfigMap"])
        guard case .endpointSlice(let s) = c.objects[1] else { Issue.record("not a slice"); return }
        #expect(s.serviceName == "web")
        #expect(s.endpoints.first?.ready == false && s.endpoints.first?.targetName == "web-1")
        #expect(c.objects[0].key == ObjectKey(kind: .namespace, namespace: "ignored", name: "shop"))
    }

    @Test func yamlListAndTypedJSONList() throws {
        let yaml = """
        apiVersion: v1
        kind: List
        items:
        - apiVersion: v1
          kind: Service
          metadata: {name: a}
          spec: {clusterIP: None, ports: [{port: 80}]}
        - apiVersion: v1
          kind: Secret
          metadata: {name: s}
        """
        let c = try ManifestDecoder.decode(yaml, source: "l.yaml")
        #expect(c.objects.count == 1 && c.skippedKinds == ["Secret"])
        if case .service(let s) = c.objects[0] { #expect(s.isHeadless && s.clusterAddresses.isEmpty) }
        // API list responses (PodList) carry no kind on their items.
        let podList = #"{"kind":"PodList","apiVersion":"v1","items":[{"metadata":{"name":"p","namespace":"x"}}]}"#
        let p = try ManifestDecoder.decode(podList, source: "api")
        #expect(p.objects.map(\.key) == [ObjectKey(kind: .pod, namespace: "x", name: "p")])
    }

    @Test func encodesKubernetesShapeAndRoundTrips() throws {
        let c = try ManifestDecoder.decode(Self.multiDoc, source: "m.yaml")
        let data = try JSONEncoder().encode(c.objects)
        let again = try ManifestDecoder.decode(data, source: "again")
        #expect(again.objects == c.objects)
        // A port without targetPort is encoded with the API server's default (targetPort = port)
        // and reads back equal, so re-applying what a GET returned publishes nothing.
        let bare = try ManifestDecoder.decode("apiVersion: v1\nkind: Service\nmetadata: {name: b}\nspec: {ports: [{port: 80}, {port: 81, targetPort: 81}]}\n", source: "b.yaml")
        #expect(try ManifestDecoder.decode(try JSONEncoder().encode(bare.objects), source: "again").objects == bare.objects)
        guard case .service(let b)? = bare.objects.first else { Issue.record("no Service"); return }
        #expect(b.ports.map(\.targetPort) == [nil, nil])
        let one = try JSONSerialization.jsonObject(with: JSONEncoder().encode(c.objects[0])) as? [String: Any]
        #expect(one?["apiVersion"] as? String == "v1")
        #expect(one?["kind"] as? String == "Service")
        #expect((one?["metadata"] as? [String: Any])?["name"] as? String == "web")
        #expect(one?["spec"] != nil)
    }

    @Test("spec.ipFamilyPolicy is decoded, checked, encoded back; dual stack without ipFamilies serves both families")
    func ipFamilyPolicy() throws {
        let yaml = "kind: Service\nmetadata: {name: a, namespace: n}\nspec: {clusterIP: 10.96.0.9, ipFamilyPolicy: PreferDualStack, selector: {app: a}}"
        let c = try ManifestDecoder.decode(yaml, source: "f.yaml")
        guard case .service(let s)? = c.objects.first else { Issue.record("no service"); return }
        #expect(s.ipFamilyPolicy == .preferDualStack && s.endpointFamilies == [.ipv4, .ipv6])
        #expect(try ManifestDecoder.decode(try JSONEncoder().encode(c.objects), source: "again").objects == c.objects)
        do {
            _ = try ManifestDecoder.decode(yaml.replacingOccurrences(of: "PreferDualStack", with: "Both"), source: "f.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains("spec.ipFamilyPolicy"), "\(error.description)")
        }
    }

    @Test("spec.ipFamilies is decoded, encoded back and survives a round trip")
    func ipFamiliesRoundTrip() throws {
        let yaml = "kind: Service\nmetadata: {name: a, namespace: n}\nspec: {clusterIP: None, ipFamilies: [IPv6, IPv4], selector: {app: a}}"
        let c = try ManifestDecoder.decode(yaml, source: "f.yaml")
        guard case .service(let s)? = c.objects.first else { Issue.record("no service"); return }
        #expect(s.ipFamilies == [.ipv6, .ipv4])
        #expect(s.endpointFamilies == [.ipv4, .ipv6])
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(c.objects[0])) as? [String: Any]
        #expect((json?["spec"] as? [String: Any])?["ipFamilies"] as? [String] == ["IPv6", "IPv4"])
        let again = try ManifestDecoder.decode(try JSONEncoder().encode(c.objects), source: "again")
        #expect(again.objects == c.objects)
        guard case .service(let s2)? = again.objects.first else { Issue.record("no service"); return }
        #expect(s2.ipFamilies == [.ipv6, .ipv4])
        // Absent: empty, and not encoded.
        let plain = try ManifestDecoder.decode("kind: Service\nmetadata: {name: b}\nspec: {clusterIP: 10.96.0.1}", source: "g.yaml")
        guard case .service(let p)? = plain.objects.first else { Issue.record("no service"); return }
        #expect(p.ipFamilies.isEmpty && p.endpointFamilies == [.ipv4])
        let pjson = try JSONSerialization.jsonObject(with: JSONEncoder().encode(plain.objects[0])) as? [String: Any]
        #expect((pjson?["spec"] as? [String: Any])?["ipFamilies"] == nil)
    }

    @Test("externalName: a DNS-1123 subdomain, one trailing dot allowed (core/v1 validation)")
    func externalNameTrailingDot() throws {
        let contents = try ManifestDecoder.decode("kind: Service\nmetadata: {name: a}\nspec: {type: ExternalName, externalName: www.example.com.}", source: "f.yaml")
        guard case .service(let s)? = contents.objects.first else { Issue.record("no service"); return }
        #expect(s.externalName == "www.example.com.")
    }

    @Test func emptyInputsGiveNothing() throws {
        #expect(try ManifestDecoder.decode("", source: "e").objects.isEmpty)
        #expect(try ManifestDecoder.decode("---\n# only a comment\n---\n", source: "e").objects.isEmpty)
    }

    @Test func aliasBombIsRejectedQuickly() {
        var yaml = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        var prev = "a"
        for level in ["b", "c", "d", "e", "f", "g", "h", "i"] {
            yaml += "\(level): &\(level) [" + Array(repeating: "*\(prev)", count: 9).joined(separator: ",") + "]\n"
            prev = level
        }
        yaml += "kind: Service\nmetadata: {name: x, labels: *i}\n"
        let start = ContinuousClock.now
        do {
            _ = try ManifestDecoder.decode(yaml, source: "bomb.yaml")
            Issue.record("no error")
        } catch {
            #expect(error.description.hasPrefix("bomb.yaml:0: YAML aliases expand to too many nodes"))
        }
        // Used as a key, the bomb would hang Yams' duplicate-key check; the pre-scan refuses it.
        let keyBomb = yaml.replacingOccurrences(of: "kind: Service", with: "? *i\n: 1\nkind: Service")
        do {
            _ = try ManifestDecoder.decode(keyBomb, source: "bomb.yaml")
            Issue.record("no error")
        } catch {
            #expect(error.description == "bomb.yaml:0: complex YAML mapping keys are not supported in documents with aliases")
        }
        let many = "x: &x 1\ny: [" + Array(repeating: "*x", count: 1001).joined(separator: ",") + "]\n"
        do {
            _ = try ManifestDecoder.decode(many, source: "m.yaml")
            Issue.record("no error")
        } catch {
            #expect(error.description == "m.yaml:0: too many YAML aliases (1001, limit 1000)")
        }
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test func harmlessAliasesWork() throws {
        let yaml = """
        kind: Service
        metadata: {name: web, labels: &l {app: web}}
        spec: {selector: *l, clusterIP: 10.0.0.1}
        """
        let c = try ManifestDecoder.decode(yaml, source: "a.yaml")
        if case .service(let s) = c.objects.first { #expect(s.selector == ["app": "web"]) } else { Issue.record("no service") }
    }

    @Test("YAML scalars: booleans in every YAML 1.1 spelling, nulls, merge keys, numbers in any base; a quoted boolean is a string")
    func yamlScalars() throws {
        let yaml = """
        kind: Service
        metadata: {name: web, labels: &l {app: web, version: "1", on: "yes"}}
        spec:
          <<: {clusterIP: 10.0.0.1}
          selector: {<<: *l}
          publishNotReadyAddresses: Yes
          ports: [{name: http, port: 0x50, targetPort: 8080}, {name: dns, port: 53, targetPort: "dns"}]
          externalName: ~
        ---
        kind: Service
        metadata: {name: other}
        spec: {clusterIP: None, publishNotReadyAddresses: off, selector: null}
        """
        let c = try ManifestDecoder.decode(yaml, source: "a.yaml")
        guard case .service(let s)? = c.objects.first, case .service(let t)? = c.objects.last, c.objects.count == 2 else {
            Issue.record("expected two services: \(c.objects)"); return
        }
        #expect(s.selector == ["app": "web", "version": "1", "on": "yes"])
        #expect(s.clusterAddresses == [IPAddress("10.0.0.1")!])
        #expect(s.publishNotReadyAddresses)
        #expect(s.ports.map(\.port) == [80, 53])
        #expect(s.ports.map(\.targetPort) == [.int(8080), .string("dns")])
        #expect(!t.publishNotReadyAddresses && t.clusterIP == "None" && t.selector == nil)
        // A quoted boolean is a string, as the Kubernetes API reads it.
        #expect(throws: ManifestError.self) {
            try ManifestDecoder.decode("kind: Service\nmetadata: {name: q}\nspec: {publishNotReadyAddresses: \"true\"}\n", source: "q.yaml")
        }
    }

    @Test func deepNestingAndSizeLimits() {
        let deep = String(repeating: "[", count: 150) + String(repeating: "]", count: 150)
        #expect(throws: ManifestError.self) { try ManifestDecoder.decode(deep, source: "d.json") }
        let deepYAML = "kind: Pod\nmetadata: {name: p}\nx: " + String(repeating: "[", count: 150) + String(repeating: "]", count: 150)
        #expect(throws: ManifestError.self) { try ManifestDecoder.decode(deepYAML, source: "d.yaml") }
        var limits = ManifestLimits()
        limits.maxBytes = 10
        #expect(throws: ManifestError.self) { try ManifestDecoder.decode("kind: Namespace", source: "big", limits: limits) }
    }

    @Test func garbageNeverCrashes() {
        let inputs = ["\u{0}\u{1}\u{2}", "::::", "- - - -", "{", "[[[", "kind: [", "\"unterminated", "*x", "&a", "? a\n: b",
                      "kind: Pod\nmetadata: 7", "kind: 7", "{\"kind\": \"Pod\", \"metadata\": {\"name\": 5}}"]
        for input in inputs {
            _ = try? ManifestDecoder.decode(input, source: "g")
        }
        _ = try? ManifestDecoder.decode(Data([0xFF, 0xFE, 0x00, 0x41]), source: "g")
    }
}
