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

    static let errorCases: [(String, String)] = [
        ("""
        kind: Service
        metadata: {name: a}
        ---
        kind: Service
        metadata: {name: b}
        spec:
          ports:
          - port: 80
          - port: 70000
        """, "f.yaml:1:spec.ports[1].port: 70000 is not a valid port (line 9, column 11)"),
        ("kind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 0}]}", "f.yaml:0:spec.ports[0].port: 0 is not a valid port (line 3, column 23)"),
        ("kind: Service\nmetadata: {name: a}\nspec: {clusterIP: 10.0.0.300}",
         "f.yaml:0:spec.clusterIP: \"10.0.0.300\" is not a valid IP address (line 3, column 19)"),
        ("kind: Service\nmetadata: {name: a}\nspec: {type: ExternalName, externalName: \"not a host name!\"}",
         "f.yaml:0:spec.externalName: \"not a host name!\" is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', at most 253 characters) (line 3, column 42)"),
        ("kind: Service\nmetadata: {name: a}\nspec: {type: ExternalName, externalName: Www.Example.com}",
         "f.yaml:0:spec.externalName: \"Www.Example.com\" is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', at most 253 characters) (line 3, column 42)"),
        ("kind: Service\nmetadata: {name: a}\nspec: {type: ExternalName}",
         "f.yaml:0:spec.externalName: is required for type ExternalName (line 3, column 7)"),
        ("kind: Pod\nmetadata: {name: p}\nstatus: {podIPs: [{ip: 10.0.0.1}, {ip: nope}]}",
         "f.yaml:0:status.podIPs[1].ip: \"nope\" is not a valid IP address (line 3, column 40)"),
        ("kind: Service\nmetadata: {namespace: x}", "f.yaml:0:metadata.name: is required (line 2, column 11)"),
        ("kind: Service\nmetadata: {name: Web_1}", "f.yaml:0:metadata.name: \"Web_1\" is not a valid DNS-1123 label (line 2, column 18)"),
        ("kind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80, protocol: ICMP}]}",
         "f.yaml:0:spec.ports[0].protocol: \"ICMP\" is not a valid protocol (TCP, UDP, SCTP) (line 3, column 37)"),
        ("kind: Service\nmetadata: {name: a}\nspec: {ports: {port: 80}}", "f.yaml:0:spec.ports: expected an array (line 3, column 15)"),
        ("kind: Service\nmetadata: {name: a}\nspec: {ports: [{port: eighty}]}", "f.yaml:0:spec.ports[0].port: expected an integer (line 3, column 23)"),
        ("kind: Service\nmetadata: {name: a}\nspec: {type: Magic}", "f.yaml:0:spec.type: \"Magic\" is not a valid service type (line 3, column 14)"),
        ("metadata: {name: a}", "f.yaml:0:kind: is required (line 1, column 1)"),
        ("kind: Service\nmetadata: {name: a}\nspec: {ipFamilies: [IPv7]}",
         "f.yaml:0:spec.ipFamilies[0]: \"IPv7\" is not a valid IP family (IPv4, IPv6) (line 3, column 21)"),
        ("kind: Service\nmetadata: {name: a}\nspec: {ipFamilies: [IPv4, ipv6]}",
         "f.yaml:0:spec.ipFamilies[1]: \"ipv6\" is not a valid IP family (IPv4, IPv6) (line 3, column 27)"),
        ("kind: Service\nmetadata: {name: a}\nspec: {ipFamilies: [IPv6, IPv6]}",
         "f.yaml:0:spec.ipFamilies[1]: \"IPv6\" is listed twice (line 3, column 27)"),
        ("kind: Service\nmetadata: {name: a}\nspec: {ipFamilies: [IPv4, IPv6, IPv4]}",
         "f.yaml:0:spec.ipFamilies: may contain at most 2 entries, got 3 (line 3, column 20)"),
    ]

    @Test(arguments: errorCases) func errors(input: String, expected: String) {
        #expect(throws: ManifestError.self) { try ManifestDecoder.decode(input, source: "f.yaml") }
        do {
            _ = try ManifestDecoder.decode(input, source: "f.yaml")
        } catch {
            #expect(error.description == expected)
        }
    }

    @Test("externalName: a DNS-1123 subdomain, one trailing dot allowed (core/v1 validation)")
    func externalNameTrailingDot() throws {
        let contents = try ManifestDecoder.decode("kind: Service\nmetadata: {name: a}\nspec: {type: ExternalName, externalName: www.example.com.}", source: "f.yaml")
        guard case .service(let s)? = contents.objects.first else { Issue.record("no service"); return }
        #expect(s.externalName == "www.example.com.")
    }

    /// A YAML field error says where the field is in the file (lines count from the top of the
    /// file, across documents); a missing field points at the object that lacks it.
    @Test func yamlErrorsGiveTheFieldsLine() throws {
        let yaml = """
        apiVersion: v1
        kind: Service
        metadata:
          name: ok
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web
        spec:
          selector: {app: web}
          ports:
            - name: http
              port: 80
            - name: metrics
              port: ninety
        """
        do {
            _ = try ManifestDecoder.decode(yaml, source: "svc.yaml")
            Issue.record("no error")
        } catch {
            #expect(error.document == 1 && error.field == "spec.ports[1].port")
            #expect(error.position?.line == 16 && error.position?.column == 13)
            #expect(error.description == "svc.yaml:1:spec.ports[1].port: expected an integer (line 16, column 13)")
        }
        do {
            _ = try ManifestDecoder.decode("kind: Pod\nmetadata:\n  namespace: x\n  labels: {a: b}\n", source: "p.yaml")
            Issue.record("no error")
        } catch {
            #expect(error.field == "metadata.name" && error.position?.line == 3 && error.position?.column == 3)
        }
        do {
            _ = try ManifestDecoder.decode(#"{"kind":"Service","metadata":{"name":"a"},"spec":{"ports":[{"port":0}]}}"#, source: "s.json")
            Issue.record("no error")
        } catch {
            #expect(error.description == "s.json:0:spec.ports[0].port: 0 is not a valid port (line 1, column 68)")
        }
    }

    /// JSON errors give the line and column too (`kubectl get -o json` output is indented): the
    /// value, or the object a required field is missing from; escaped and skipped members, nested
    /// arrays and a byte order mark do not throw the walk off.
    @Test func jsonErrorsGiveTheFieldsLine() {
        let json = """
        \u{FEFF}{
          "kind": "List",
          "items": [
            {"kind": "Service", "metadata": {"name": "ok", "labels": {"a\\"b": "[1, {\\"x\\": 2}]"}},
             "spec": {"ports": [{"port": 80}], "extra": [[1, 2], {"ports": [{"port": 0}]}]}},
            {
              "kind": "Service",
              "metadata": {"name": "bad"},
              "spec": {
                "ports": [
                  {"name": "http", "port": 80},
                  {"name": "metrics", "port": 70000}
                ]
              }
            },
            {"kind": "Pod", "metadata": {"namespace": "x"}}
          ]
        }
        """
        do {
            _ = try ManifestDecoder.decode(json, source: "l.json")
            Issue.record("no error")
        } catch {
            #expect(error.field == "items[1].spec.ports[1].port")
            #expect(error.position?.line == 12 && error.position?.column == 39, "\(error)")
        }
        let missing = json.replacingOccurrences(of: "\"port\": 70000", with: "\"port\": 7000")
        do {
            _ = try ManifestDecoder.decode(missing, source: "l.json")
            Issue.record("no error")
        } catch {
            #expect(error.field == "items[2].metadata.name")
            #expect(error.position?.line == 16 && error.position?.column == 33, "\(error)")
        }
    }

    @Test func jsonErrorsNameListItems() {
        let json = #"{"kind":"List","items":[{"kind":"Namespace","metadata":{"name":"ok"}},{"kind":"Pod","metadata":{"name":"p"},"status":{"podIP":"1.2.3"}}]}"#
        do {
            _ = try ManifestDecoder.decode(json, source: "d.json")
            Issue.record("no error")
        } catch {
            #expect(error.description == "d.json:0:items[1].status.podIP: \"1.2.3\" is not a valid IP address (line 1, column 127)")
        }
    }

    @Test func yamlSyntaxError() {
        let yaml = "kind: Namespace\nmetadata: {name: a}\n---\nkind: Pod\nmetadata: {name: [\n"
        do {
            _ = try ManifestDecoder.decode(yaml, source: "s.yaml")
            Issue.record("no error")
        } catch {
            #expect(error.document == 1)
            #expect(error.field == "")
            #expect(error.description.hasPrefix("s.yaml:1: YAML syntax error at line"))
        }
    }

    @Test func invalidJSON() {
        #expect(throws: ManifestError.self) { try ManifestDecoder.decode("{\"kind\": ", source: "x.json") }
        #expect(throws: ManifestError.self) { try ManifestDecoder.decode("[1, 2]", source: "x.json") }
    }

    // Only texts Foundation's decoder refuses (it accepts some that RFC 8259 does not, such as
    // trailing commas, `01` or `"\q"`, and those are then judged by their fields).
    @Test("a JSON syntax error names its line and column", arguments: [
        ("{\"kind\": \"Service\"\n \"metadata\": {\"name\": \"a\"}}", "line 2, column 2: unexpected '\"'"),
        ("{\"kind\": \"Service\",\n \"metadata\": {\"name\": \"a\"},, }", "line 2, column 28: unexpected ','"),
        ("{\"kind\": \"Serv", "line 1, column 15: unterminated string"),
        ("{\"kind\": ", "line 1, column 10: unexpected end of input"),
        ("{\"kind\": tru}", "line 1, column 13: unexpected '}'"),
        ("{\"a\": 1} {", "line 1, column 10: unexpected text after the JSON value"),
        // What that decoder lets pass is passed over, so the position is where it stopped.
        ("{\"a\": [1, 2,], \"b\": 01, \"c\": \"\\q\", \"d\": tru}", "line 1, column 44: unexpected '}'"),
    ])
    func jsonErrorPosition(text: String, expected: String) {
        do {
            _ = try ManifestDecoder.decode(text, source: "x.json")
            Issue.record("no error for \(text)")
        } catch {
            #expect(error.description.contains("invalid JSON at \(expected)"), "\(error.description)")
        }
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
