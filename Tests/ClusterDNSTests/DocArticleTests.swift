import Foundation
import Testing
import DNSModel
import DNSWire
import ClusterModel
import ClusterDNS

/// The code of the DocC article `GeneratingClusterDNSRecords.md`, run as tests.
///
/// Every ```swift block of the article appears below verbatim (indented to the function body);
/// `articleBlocksAreTested` fails when a block is edited in one place and not the other. The
/// `#expect` lines between the blocks check what the article says the code prints.
@Suite("DocC article: Generating cluster DNS records")
struct DocArticleTests {
    @Test("objects → store → snapshot → records and answers → zone-file text")
    func generatingRecords() throws {
        var printed: [String] = []
        func print(_ items: Any..., terminator: String = "\n") { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let manifests = """
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: default}
        spec:
          clusterIP: None
          selector: {app: web}
          ports: [{name: http, port: 80}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web-0, namespace: default, labels: {app: web}}
        spec: {hostname: web-0, subdomain: web}
        status:
          podIP: 10.244.1.10
          conditions: [{type: Ready, status: "True"}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web-1, namespace: default, labels: {app: web}}
        spec: {hostname: web-1, subdomain: web}
        status:
          podIP: 10.244.1.11
          conditions: [{type: Ready, status: "False"}]
        """
        let contents = try ManifestDecoder.decode(manifests, source: "web.yaml")
        #expect(contents.objects.count == 3)

        let store = ClusterStore()
        let snapshot = store.apply(contents.objects.map { .upsert($0) })
        print(snapshot.generation)
        if let web = snapshot.service(namespace: "default", name: "web") {
            print(web.readyEndpoints.map(\.address))    // [10.244.1.10]
            print(web.notReadyEndpoints.map(\.address)) // [10.244.1.11]
        }
        #expect(printed == ["1", "[10.244.1.10]", "[10.244.1.11]"])
        printed = []

        let zone = ClusterZone(apex: "cluster.local.", ttl: 5)
        let authority = Authority(cluster: zone)
        let question = Question(name: "web.default.svc.cluster.local.", type: .a)
        let answer = authority.answer(question, in: snapshot)
        print(answer.rcode)
        for record in answer.answer {
            print(record.presentation)
        }
        #expect(printed == ["NOERROR", "web.default.svc.cluster.local.\t5\tIN\tA\t10.244.1.10"])
        printed = []

        let missing = authority.answer(Question(name: "web-1.web.default.svc.cluster.local.", type: .a), in: snapshot)
        print(missing.rcode)                        // NXDOMAIN
        print(missing.authority[0].type)            // SOA, for negative caching
        #expect(printed == ["NXDOMAIN", "SOA"])
        printed = []

        let query = Message.query("_http._tcp.web.default.svc.cluster.local.", .srv, id: 42)
        let outcome = authority.process(query.wire(), context: QueryContext(), snapshot: snapshot)
        if case .reply(let bytes) = outcome {
            let reply = try Message(wire: bytes)
            for record in reply.answers + reply.additional {
                print(record.presentation)
            }
        }
        #expect(printed == ["_http._tcp.web.default.svc.cluster.local.\t5\tIN\tSRV\t0 100 80 web-0.web.default.svc.cluster.local.",
                            "web-0.web.default.svc.cluster.local.\t5\tIN\tA\t10.244.1.10"])
        printed = []

        let why = authority.explain("web-1.web.default.svc.cluster.local.", type: .a, in: snapshot)
        print(why.text)
        #expect(printed.count == 1)
        #expect(printed[0].hasPrefix("web-1.web.default.svc.cluster.local. A: NXDOMAIN"), "\(printed)")
        #expect(printed[0].contains("left out:\n  pod default/web-1 (10.244.1.11): not ready"), "\(printed)")
        printed = []

        let text = ZoneFile.render(zone.records(in: snapshot), origin: zone.apex)
        print(text, terminator: "")                 // the text ends with a newline
        for (origin, records) in zone.reverseRecords(in: snapshot).sorted(by: { $0.key < $1.key }) {
            print(ZoneFile.render(records, origin: origin), terminator: "")
        }
        #expect(printed.count == 3)                  // the zone, in-addr.arpa, ip6.arpa (SOA and NS only)
        let lines = printed[0].split(separator: "\n").filter { !$0.hasPrefix(";") && !$0.hasPrefix("$") }
        #expect(lines.first?.contains("\tSOA\t") == true, "SOA first: \(printed[0])")
        #expect(printed[0].contains("web-0.web.default.svc.cluster.local.\t5\tIN\tA\t10.244.1.10"), "\(printed[0])")
        #expect(!printed[0].contains("10.244.1.11"), "not-ready endpoints are not in the zone")
        #expect(printed[1].contains("PTR"), "\(printed[1])")
        #expect(!printed[2].contains("PTR") && printed[2].contains("ip6.arpa.\t5\tIN\tSOA"), "\(printed[2])")
        // The zone-file text parses back into the same records.
        let parsed = try ZoneFile.parse(printed[0], origin: zone.apex)
        #expect(parsed.count == zone.records(in: snapshot).count)
        printed = []

        let next = store.apply([.delete(ObjectKey(kind: .pod, namespace: "default", name: "web-0"))])
        print(next.generation)                                         // 2
        print(authority.answer(question, in: next).rcode)     // NXDOMAIN
        print(authority.answer(question, in: snapshot).answer.count) // 1: the old snapshot is unchanged
        #expect(printed == ["2", "NXDOMAIN", "1"])
    }

    @Test("the README's library snippet runs as written")
    func readmeSnippet() throws {
        var printed: [String] = []
        func print(_ items: Any..., terminator: String = "\n") { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let yamlText = """
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: default}
        spec: {clusterIP: 10.96.0.10, ports: [{name: http, port: 80}]}
        """
        let store = ClusterStore()
        let objects = try ManifestDecoder.decode(yamlText, source: "cluster.yaml").objects
        let snapshot = store.replace(source: "cluster.yaml", with: objects)
        let zone = ClusterZone(apex: "cluster.local.", ttl: 5)
        print(ZoneFile.render(zone.records(in: snapshot), origin: zone.apex), terminator: "")
        let answer = Authority(cluster: zone).answer(Question(name: "web.default.svc.cluster.local.", type: .a), in: snapshot)
        print(answer.rcode, answer.answer.map(\.presentation))   // NOERROR ["web.default.svc.cluster.local.\t5\tIN\tA\t10.96.0.10"]

        #expect(printed.count == 2)
        #expect(printed.first?.contains("web.default.svc.cluster.local.\t5\tIN\tA\t10.96.0.10") == true)
        #expect(printed.last == #"NOERROR ["web.default.svc.cluster.local.\t5\tIN\tA\t10.96.0.10"]"#)
        // The README holds this code (its `import` line aside) verbatim.
        let readme = try Self.swiftBlocks(in: repositoryRoot + "/README.md")
        #expect(readme.count == 1)
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let body = (readme.first ?? "").split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("import ") }
            .drop { $0.isEmpty }.map { $0.isEmpty ? "" : "        " + $0 }.joined(separator: "\n")
        #expect(source.contains(body + "\n"), "README's snippet is not in DocArticleTests.swift:\n\(body)")
    }

    /// The article's ```swift blocks, in order.
    static func articleBlocks() throws -> [String] {
        try swiftBlocks(in: repositoryRoot + "/Sources/ClusterDNS/ClusterDNS.docc/GeneratingClusterDNSRecords.md")
    }

    /// The ```swift blocks of a Markdown file, in order.
    static func swiftBlocks(in path: String) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line.trimmingCharacters(in: .whitespaces) == "```swift" {
                current = []
            } else if current != nil, line.trimmingCharacters(in: .whitespaces) == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else if current != nil {
                current!.append(line)
            }
        }
        return blocks
    }

    @Test("every swift block of the article is in this file, verbatim")
    func articleBlocksAreTested() throws {
        let blocks = try Self.articleBlocks()
        #expect(blocks.count >= 6)
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        for block in blocks {
            let indented = block.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.isEmpty ? "" : "        " + $0 }.joined(separator: "\n")
            let found = source.contains(indented + "\n")
            #expect(found, "this article block is not in DocArticleTests.swift:\n\(block)")
        }
    }

    @Test("the catalogue's landing page links the article, and every public symbol of ClusterDNS has a summary")
    func documentation() throws {
        let docc = repositoryRoot + "/Sources/ClusterDNS/ClusterDNS.docc/"
        let landing = try String(contentsOfFile: docc + "ClusterDNS.md", encoding: .utf8)
        #expect(landing.hasPrefix("# ``ClusterDNS``"))
        #expect(landing.contains("<doc:GeneratingClusterDNSRecords>"))

        var missing: [String] = []
        let dir = repositoryRoot + "/Sources/ClusterDNS"
        for file in try FileManager.default.contentsOfDirectory(atPath: dir).filter({ $0.hasSuffix(".swift") }).sorted() {
            let lines = try String(contentsOfFile: dir + "/" + file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            for (i, line) in lines.enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                guard code.hasPrefix("public ") || code.hasPrefix("open ") else { continue }
                // The nearest line above that is not blank and not an attribute must be a `///` comment.
                var j = i - 1
                while j >= 0, lines[j].trimmingCharacters(in: .whitespaces).isEmpty || lines[j].trimmingCharacters(in: .whitespaces).hasPrefix("@") { j -= 1 }
                if j < 0 || !lines[j].trimmingCharacters(in: .whitespaces).hasPrefix("///") {
                    missing.append("\(file):\(i + 1): \(code)")
                }
            }
        }
        #expect(missing.isEmpty, "public declarations without a /// summary:\n\(missing.joined(separator: "\n"))")
    }
}

/// The repository root, found from this file's path.
private let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()
