import Testing
import DNSModel
import ClusterModel
@testable import ClusterDNS

/// CNAME chains through ExternalName Services and static zones: loops end, long chains are cut,
/// and the rcode and SOA are the last name's (RFC 1034 §4.3.2, RFC 6604 §2.1, RFC 2308 §2).
@Suite("CNAME chains")
struct CNAMEChainTests {
    static func externalName(_ name: String, _ target: String) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: \(name), namespace: default}
        spec: {type: ExternalName, externalName: \(target)}
        ---

        """
    }

    static let yaml = externalName("self", "self.default.svc.cluster.local")
        + externalName("ping", "pong.default.svc.cluster.local")
        + externalName("pong", "ping.default.svc.cluster.local")
        + externalName("dangling", "nothere.default.svc.cluster.local")
        + externalName("tohl", "web.default.svc.cluster.local")
        + externalName("tostatic", "a.loop.test")
        + (0..<12).map { externalName("c\($0)", "c\($0 + 1).default.svc.cluster.local") }.joined()
        + (0..<10).map { externalName("d\($0)", $0 == 9 ? "web.default.svc.cluster.local" : "d\($0 + 1).default.svc.cluster.local") }.joined()
        + """
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: default}
        spec: {clusterIP: 10.96.0.7, ports: [{name: http, port: 80}]}
        """

    static let staticZone = StaticZone(origin: "loop.test.", records: [
        try! ResourceRecord(presentation: "loop.test. 60 IN SOA ns.loop.test. h.loop.test. 1 2 3 4 30"),
        try! ResourceRecord(presentation: "a.loop.test. 60 IN CNAME b.loop.test."),
        try! ResourceRecord(presentation: "b.loop.test. 60 IN CNAME a.loop.test."),
        try! ResourceRecord(presentation: "back.loop.test. 60 IN CNAME tostatic.default.svc.cluster.local."),
    ])

    let authority = Authority(cluster: zone, staticZones: [Self.staticZone])

    func ask(_ name: String, _ type: RecordType, in snap: ClusterSnapshot) -> Answer {
        let question = Question(name: DomainName(name)!, type: type)
        return authority.answer(question, zone: authority.zone(for: question.name, in: snap, ownsAllReverse: true), in: snap)
    }

    func cnames(_ a: Answer) -> [String] {
        a.answer.compactMap { rr in
            guard case .cname(let target) = rr.data else { return nil }
            return "\(rr.name.lowercased()) → \(target.lowercased())"
        }
    }

    @Test("an ExternalName pointing at itself answers its CNAME once (it used to recurse until the stack overflowed)")
    func selfLoop() throws {
        let snap = try snapshot(Self.yaml)
        for type in [RecordType.a, .aaaa, .txt, .srv, .mx] {
            let a = ask("self.default.svc.cluster.local.", type, in: snap)
            #expect(a.rcode == .noError)
            #expect(cnames(a) == ["self.default.svc.cluster.local. → self.default.svc.cluster.local."], "\(type)")
        }
    }

    @Test("a two-Service loop, and a loop through a static zone, carry each CNAME once")
    func loops() throws {
        let snap = try snapshot(Self.yaml)
        let a = ask("ping.default.svc.cluster.local.", .a, in: snap)
        #expect(cnames(a) == ["ping.default.svc.cluster.local. → pong.default.svc.cluster.local.",
                              "pong.default.svc.cluster.local. → ping.default.svc.cluster.local."])
        let b = ask("a.loop.test.", .a, in: snap)
        #expect(cnames(b) == ["a.loop.test. → b.loop.test.", "b.loop.test. → a.loop.test."])
        let c = ask("tostatic.default.svc.cluster.local.", .a, in: snap)
        #expect(cnames(c) == ["tostatic.default.svc.cluster.local. → a.loop.test.",
                              "a.loop.test. → b.loop.test.", "b.loop.test. → a.loop.test."])
        let d = ask("back.loop.test.", .a, in: snap)
        #expect(cnames(d) == ["back.loop.test. → tostatic.default.svc.cluster.local.",
                              "tostatic.default.svc.cluster.local. → a.loop.test.",
                              "a.loop.test. → b.loop.test.", "b.loop.test. → a.loop.test."])
    }

    @Test("a chain to a missing name is NXDOMAIN, to a name without the type NODATA, both with the SOA")
    func negativeEnds() throws {
        let snap = try snapshot(Self.yaml)
        let missing = ask("dangling.default.svc.cluster.local.", .a, in: snap)
        #expect(missing.rcode == .nxDomain)
        #expect(cnames(missing) == ["dangling.default.svc.cluster.local. → nothere.default.svc.cluster.local."])
        #expect(missing.authority.map(\.type) == [.soa])
        let nodata = ask("tohl.default.svc.cluster.local.", .txt, in: snap)
        #expect(nodata.rcode == .noError)
        #expect(cnames(nodata) == ["tohl.default.svc.cluster.local. → web.default.svc.cluster.local."])
        #expect(nodata.authority.map(\.type) == [.soa])
        let positive = ask("tohl.default.svc.cluster.local.", .a, in: snap)
        #expect(positive.rcode == .noError && positive.authority.isEmpty)
        #expect(positive.answer.map(\.type) == [.cname, .a])
    }

    @Test("a chain of ten CNAMEs is followed to its end; a longer one is cut after ten")
    func longChain() throws {
        let snap = try snapshot(Self.yaml)
        let a = ask("c0.default.svc.cluster.local.", .a, in: snap)
        #expect(a.rcode == .noError)
        #expect(cnames(a).count == Answer.maxCNAMEChain)
        #expect(a.answer.last?.type == .cname)
        let ten = ask("d0.default.svc.cluster.local.", .a, in: snap)           // d0 … d9 → web
        #expect(ten.rcode == .noError && cnames(ten).count == 10)
        #expect(ten.answer.last?.data == .a(IPv4Address("10.96.0.7")!))
        let short = ask("c5.default.svc.cluster.local.", .a, in: snap)   // c5 … c12, which has no Service
        #expect(short.rcode == .nxDomain && cnames(short).count == 7)
    }

    @Test("a CNAME question is answered with the CNAME alone")
    func cnameQuestion() throws {
        let snap = try snapshot(Self.yaml)
        let a = ask("tohl.default.svc.cluster.local.", .cname, in: snap)
        #expect(a.rcode == .noError && cnames(a).count == 1 && a.authority.isEmpty)
    }
}
