import ClusterModel
import Foundation
import Testing

/// What a manifest that does not decode is told: source, document, field path, message, and
/// where in the text (ManifestError, ManifestDecoder, JSONSyntax).
@Suite struct ManifestErrorTests {
    /// The error decoding `text` throws; records an issue when it throws none.
    func decodeError(_ text: String, source: String, sourceLocation: SourceLocation = #_sourceLocation) -> ManifestError? {
        do {
            _ = try ManifestDecoder.decode(text, source: source)
            Issue.record("no error for \(source)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
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
        // The API server's rules for clusterIP, clusterIPs and ipFamilies together.
        ("kind: Service\nmetadata: {name: a}\nspec: {clusterIP: 10.0.0.1, clusterIPs: [10.0.0.2]}",
         "f.yaml:0:spec.clusterIPs[0]: first value must match clusterIP (\"10.0.0.1\") (line 3, column 42)"),
        ("kind: Service\nmetadata: {name: a}\nspec: {clusterIPs: [\"fd00::1\", \"fd00::2\"]}",
         "f.yaml:0:spec.clusterIPs[1]: may specify no more than one IP for each IP family (line 3, column 32)"),
        ("kind: Service\nmetadata: {name: a}\nspec: {clusterIPs: [10.0.0.1, \"fd00::1\", 10.0.0.2]}",
         "f.yaml:0:spec.clusterIPs: may only hold up to 2 values, got 3 (line 3, column 20)"),
        ("kind: Service\nmetadata: {name: a}\nspec: {clusterIPs: [None, \"fd00::1\"]}",
         "f.yaml:0:spec.clusterIPs[0]: \"None\" must be the first and only value (line 3, column 21)"),
        ("kind: Service\nmetadata: {name: a}\nspec: {clusterIPs: [10.0.0.9], ipFamilies: [IPv6]}",
         "f.yaml:0:spec.clusterIPs[0]: expected an IPv6 value as indicated by ipFamilies[0] (line 3, column 21)"),
        ("kind: Pod\nmetadata: {name: p}\nstatus: {podIP: 10.0.0.5, podIPs: [{ip: \"fd00::5\"}, {ip: 10.0.0.5}]}",
         "f.yaml:0:status.podIPs[0]: must match podIP (\"10.0.0.5\") (line 3, column 36)"),
        ("kind: Pod\nmetadata: {name: p}\nstatus: {podIPs: [{ip: 10.0.0.5}, {ip: 10.0.0.6}]}",
         "f.yaml:0:status.podIPs: may specify no more than one IP for each IP family (line 3, column 18)"),
    ]

    @Test("decodeReportingAll lists every bad document of a YAML stream (the first is what decode throws); a syntax error ends the stream")
    func everyProblem() throws {
        let text = "kind: Service\nmetadata: {name: a}\nspec: {clusterIP: 10.0.0.300}\n---\nkind: Service\nmetadata: {name: ok}\n"
            + "---\nkind: Pod\nmetadata: {name: p}\nstatus: {podIP: nope}\n---\nkind: Service\nmetadata: {name: [\n"
        let (contents, problems) = ManifestDecoder.decodeReportingAll(Data(text.utf8), source: "f.yaml")
        #expect(contents == nil, "all or nothing, as decode")
        #expect(problems.map { "\($0.document):\($0.field)" } == ["0:spec.clusterIP", "2:status.podIP", "3:"])
        #expect(problems.first?.description == decodeError(text, source: "f.yaml")?.description)
        let good = ManifestDecoder.decodeReportingAll(Data("kind: Service\nmetadata: {name: ok}\n".utf8), source: "f.yaml")
        #expect(good.problems.isEmpty && good.contents?.objects.map(\.key.name) == ["ok"])
        #expect(ManifestDecoder.decodeReportingAll(Data("{\"kind\": \"Service\"}".utf8), source: "f.json").problems.count == 1)
    }

    @Test(arguments: errorCases) func errors(input: String, expected: String) {
        #expect(decodeError(input, source: "f.yaml")?.description == expected)
    }

    /// A YAML field error says where the field is in the file (lines count from the top of the
    /// file, across documents); a missing field points at the object that lacks it.
    @Test func yamlErrorsGiveTheFieldsLine() {
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
        if let error = decodeError(yaml, source: "svc.yaml") {
            #expect(error.document == 1 && error.field == "spec.ports[1].port")
            #expect(error.position == .init(line: 16, column: 13))
            #expect(error.description == "svc.yaml:1:spec.ports[1].port: expected an integer (line 16, column 13)")
        }
        if let error = decodeError("kind: Pod\nmetadata:\n  namespace: x\n  labels: {a: b}\n", source: "p.yaml") {
            #expect(error.field == "metadata.name" && error.position == .init(line: 3, column: 3))
        }
        if let error = decodeError(#"{"kind":"Service","metadata":{"name":"a"},"spec":{"ports":[{"port":0}]}}"#, source: "s.json") {
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
            {"kind": "Service", "metadata": {"name": "ok", "annotations": {"a\\"b": "[1, {\\"x\\": 2}]"}},
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
        if let error = decodeError(json, source: "l.json") {
            #expect(error.field == "items[1].spec.ports[1].port")
            #expect(error.position == .init(line: 12, column: 39), "\(error)")
        }
        let missing = json.replacingOccurrences(of: "\"port\": 70000", with: "\"port\": 7000")
        if let error = decodeError(missing, source: "l.json") {
            #expect(error.field == "items[2].metadata.name")
            #expect(error.position == .init(line: 16, column: 33), "\(error)")
        }
    }

    @Test func jsonErrorsNameListItems() {
        let json = #"{"kind":"List","items":[{"kind":"Namespace","metadata":{"name":"ok"}},{"kind":"Pod","metadata":{"name":"p"},"status":{"podIP":"1.2.3"}}]}"#
        if let error = decodeError(json, source: "d.json") {
            #expect(error.description == "d.json:0:items[1].status.podIP: \"1.2.3\" is not a valid IP address (line 1, column 127)")
        }
    }

    @Test func yamlSyntaxError() {
        let yaml = "kind: Namespace\nmetadata: {name: a}\n---\nkind: Pod\nmetadata: {name: [\n"
        if let error = decodeError(yaml, source: "s.yaml") {
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
        if let error = decodeError(text, source: "x.json") {
            #expect(error.description.contains("invalid JSON at \(expected)"), "\(error.description)")
        }
    }

    /// Label keys and values, and selectors, follow the API server's rules
    /// (`IsQualifiedName`, `IsValidLabelValue`).
    @Test func labelsAreValidated() {
        let ok = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {app.kubernetes.io/name: Web_1, tier: \"\", x.y: a.b-c}}\n"
        #expect((try? ManifestDecoder.decode(ok, source: "ok.yaml"))?.objects.count == 1)
        let badKey = decodeError("apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {\"bad key!\": x}}\n", source: "k.yaml")
        #expect(badKey?.field == "metadata.labels" && badKey?.message.contains("not a valid label key") == true, "\(String(describing: badKey))")
        let badValue = decodeError("apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {app: \"<script>\"}}\n", source: "v.yaml")
        #expect(badValue?.message.contains("not a valid label value") == true)
        let badSelector = decodeError("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {selector: {app: \"-web\"}}\n", source: "s.yaml")
        #expect(badSelector?.field == "spec.selector", "\(String(describing: badSelector))")
    }
}
