import Foundation
import Testing
import DNSModel

/// Static zones answer as Knot DNS answers the same file: wildcards (RFC 4592), DNAMEs
/// (RFC 6672), empty non-terminals, CNAMEs, NXDOMAIN.
extension KnotComparisonTests {
    static let wildcardZone = """
        $ORIGIN wild.test.
        @            300 IN SOA ns1 hostmaster 1 7200 1800 86400 60
        @            300 IN NS  ns1
        ns1          300 IN A   192.0.2.1
        probe        300 IN TXT "up"
        host         300 IN A   192.0.2.2
        *            300 IN A   192.0.2.10
        *            300 IN TXT "any name"
        *.sub        300 IN AAAA 2001:db8::1
        *.alias      300 IN CNAME host
        *.away       300 IN CNAME nowhere.host
        a.b.c        300 IN A   192.0.2.3
        *.c          300 IN A   192.0.2.4
        x.*.e        300 IN A   192.0.2.5
        *.mx         300 IN MX  10 host
        old          300 IN DNAME renamed
        www.renamed  300 IN A   192.0.2.20
        ext          600 IN DNAME example.net.
        loop         300 IN DNAME x.loop
        long         300 IN DNAME \(String(repeating: "a", count: 63)).\(String(repeating: "a", count: 63)).\(String(repeating: "a", count: 63)).\(String(repeating: "b", count: 40)).
        dy           300 IN DNAME long

        """

    /// (name, type) questions whose answers must agree, chosen to cover RFC 4592 §3.3.1 and §4.
    static let wildcardQuestions: [(String, String)] = [
        ("unknown", "A"), ("unknown", "TXT"), ("unknown", "AAAA"), ("unknown", "MX"), ("UnKnown", "A"),
        ("a.b", "A"),                                 // several labels below the closest encloser
        ("host", "A"), ("host", "AAAA"),              // an existing name is not wildcard-matched
        ("sub", "A"), ("x.sub", "AAAA"), ("x.sub", "A"), ("y.x.sub", "AAAA"),
        ("q.alias", "A"), ("q.alias", "CNAME"), ("q.away", "A"),
        ("c", "A"), ("b.c", "A"), ("z.c", "A"), ("z.b.c", "A"), ("a.b.c", "A"),
        ("e", "A"), ("y.e", "A"), ("x.y.e", "A"), ("*.e", "A"), ("x.*.e", "A"),
        ("*", "A"), ("*.sub", "AAAA"), ("m.mx", "MX"),
        // RFC 6672: DNAME + synthesized CNAME, followed when the target is ours.
        ("www.old", "A"), ("WWW.Old", "A"), ("nope.old", "A"), ("a.b.old", "TXT"), ("old", "A"), ("old", "DNAME"),
        ("www.old", "CNAME"), ("www.old", "DNAME"), ("a.ext", "A"),
        // 254 octets below `old`: 258 once `old` becomes `renamed`, so YXDOMAIN (RFC 6672 §2.2).
        ([String](repeating: String(repeating: "x", count: 58), count: 4).joined(separator: ".") + ".ab.old", "A"),
        // The second DNAME of a chain makes the name too long: YXDOMAIN for the whole chain; one
        // octet shorter, 255 octets exactly, it is not.
        (String(repeating: "c", count: 21) + ".dy", "A"), (String(repeating: "c", count: 20) + ".dy", "A"),
    ]

    @Test("a static zone with wildcards, DNAMEs, empty non-terminals and CNAMEs answers as knotd does (RFC 4592, RFC 6672)")
    func staticZoneAgreesWithKnot() async throws {
        guard FileManager.default.fileExists(atPath: "/usr/sbin/knotd") else {
            Issue.record("knotd is not installed (scripts/install-deps installs Debian's knot)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clusterdns-wild-\(UUID())")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("db"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.wildcardZone.write(to: dir.appendingPathComponent("wild.test.zone"), atomically: true, encoding: .utf8)
        try await withServer(zones: dir.path) { server in
            var knot: Process?
            var port = 0
            for attempt in 1...3 {
                port = freePort()
                let (started, answering) = try await startKnot(in: dir, port: port, attempt: attempt, zone: "wild.test", probe: "probe.wild.test")
                if answering { knot = started; break }
                stop(started, dir: dir)
            }
            guard let knot else {
                Issue.record("knotd did not serve wild.test in 3 attempts")
                return
            }
            defer { stop(knot, dir: dir) }
            for (label, type) in Self.wildcardQuestions {
                let name = label + ".wild.test."
                let ours = try await dig(server.port, "+norec", "+tries=3", name, type)
                let theirs = try await dig(port, "+norec", "+tries=3", name, type)
                #expect(digStatus(ours) == digStatus(theirs), "\(name) \(type)")
                #expect(digAnswers(ours) == digAnswers(theirs), "\(name) \(type)")
                #expect(digFlags(ours).contains("aa") == digFlags(theirs).contains("aa"), "\(name) \(type)")
            }
            // The wildcard's own records, renamed: a sanity check that the comparison compared something.
            #expect(digAnswers(try await dig(server.port, "deep.name.wild.test.", "A")) == ["deep.name.wild.test. A 192.0.2.10"])
            // A DNAME into its own subtree: the chain is cut after `Answer.maxCNAMEChain` CNAMEs
            // (Knot cuts after 5), the DNAME sent once.
            let loop = digAnswers(try await dig(server.port, "y.loop.wild.test.", "A"))
            #expect(loop.count(where: { $0.contains(" DNAME ") }) == 1, "\(loop)")
            #expect(loop.count(where: { $0.contains(" CNAME ") }) == 10, "\(loop)")
        }
    }
}
