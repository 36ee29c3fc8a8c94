import Testing
import DNSModel
import DNSWire
import ClusterModel
@testable import ClusterDNS

/// Wildcards (RFC 4592) and DNAMEs (RFC 6672) in a static zone, without a peer server
/// (`StaticZoneKnotTests` compares the same with knotd).
@Suite struct StaticZoneTests {
    static let zone: StaticZone = {
        let text = """
            $ORIGIN z.test.
            @        300 IN SOA ns h 1 2 3 4 60
            @        300 IN NS ns
            ns       300 IN A 192.0.2.1
            *.w      300 IN A 192.0.2.10
            x.*.e    300 IN A 192.0.2.11
            old      300 IN DNAME renamed
            www.renamed 300 IN A 192.0.2.20
            back.renamed 300 IN CNAME old
            old      300 IN TXT "owner"
            below.old 300 IN A 192.0.2.99
            cut.old  300 IN NS ns.elsewhere.
            long     300 IN DNAME \(String(repeating: "a", count: 63)).\(String(repeating: "a", count: 63)).\(String(repeating: "a", count: 63)).\(String(repeating: "b", count: 40)).
            dy       300 IN DNAME long
            """
        return StaticZone(origin: "z.test.", records: try! ZoneFile.parse(text, origin: "z.test."))
    }()

    func answer(_ name: String, _ type: RecordType) -> Answer {
        Self.zone.answer(Question(name: DomainName(name)!, type: type))
    }

    @Test("a wildcard answers below its closest encloser with the asked owner; an empty non-terminal wildcard is NODATA; the wildcard's parent itself is NODATA")
    func wildcards() {
        #expect(answer("a.b.W.z.test.", .a).answer.map(\.name.description) == ["a.b.W.z.test."])
        #expect(answer("a.b.w.z.test.", .a).answer.map(\.data) == [.a(IPv4Address(192, 0, 2, 10))])
        #expect(answer("a.w.z.test.", .txt).isNoData)
        #expect(answer("w.z.test.", .a).isNoData)
        #expect(answer("y.e.z.test.", .a).isNoData)            // *.e is an empty non-terminal
        #expect(answer("nothing.z.test.", .a).rcode == .nxDomain)
    }

    @Test("a DNAME redirects names below it (DNAME + CNAME, followed in the zone), not the owner; hidden names and cuts below it are not served; a name that would be too long is YXDOMAIN")
    func dnames() {
        let www = answer("www.old.z.test.", .a)
        #expect(www.rcode == .noError)
        #expect(www.answer.map(\.type) == [.dname, .cname, .a])
        #expect(answer("old.z.test.", .txt).answer.map(\.type) == [.txt])
        #expect(answer("below.old.z.test.", .a).answer.map(\.type).first == .dname)
        // A zone cut below a DNAME is hidden by it: a substitution, not a referral.
        let cut = answer("q.cut.old.z.test.", .a)
        #expect(!cut.isReferral && cut.answer.first?.type == .dname)
        #expect(Self.zone.hiddenByDNAME.map(\.description) == ["below.old.z.test.", "cut.old.z.test."])
        // 234-octet target: 20 octets of label fit exactly (255), 21 do not.
        #expect(answer(String(repeating: "c", count: 20) + ".long.z.test.", .a).rcode == .noError)
        let tooLong = answer(String(repeating: "c", count: 21) + ".long.z.test.", .a)
        #expect(tooLong.rcode == .yxDomain && tooLong.answer.map(\.type) == [.dname])
        // The same through a first DNAME: the chain ends YXDOMAIN with both DNAMEs.
        let second = answer(String(repeating: "c", count: 21) + ".dy.z.test.", .a)
        #expect(second.rcode == .yxDomain && second.answer.map(\.type) == [.dname, .cname, .dname], "\(second)")
    }

    @Test("a CNAME back to a DNAME's owner is followed, not taken for a loop; the DNAME is sent once")
    func cnameToDNAMEOwner() {
        let back = answer("back.old.z.test.", .txt)
        #expect(back.answer.map(\.type) == [.dname, .cname, .cname, .txt], "\(back.answer)")
    }

    @Test("a CNAME or DNAME into a zone nested inside the one holding it is followed there (the nested zone answers for its names)")
    func chainIntoNestedZone() throws {
        let parent = StaticZone(origin: "test.", records: try ZoneFile.parse("""
            $ORIGIN test.
            @  300 IN SOA ns h 1 2 3 4 60
            cn 300 IN CNAME www.example.test.
            dn 300 IN DNAME example.test.
            """, origin: "test."))
        let child = StaticZone(origin: "example.test.", records: try ZoneFile.parse("""
            $ORIGIN example.test.
            @   300 IN SOA ns h 1 2 3 4 60
            www 300 IN A 192.0.2.10
            """, origin: "example.test."))
        let authority = Authority(cluster: ClusterZone(), staticZones: [parent, child])
        let snapshot = ClusterStore().snapshot
        for name in ["cn.test.", "www.dn.test."] {
            let answer = authority.answer(Question(name: DomainName(name)!, type: .a), in: snapshot)
            #expect(answer.rcode == .noError, "\(name)")
            #expect(answer.answer.last?.data == .a(IPv4Address(192, 0, 2, 10)), "\(name): \(answer.answer)")
        }
    }
}
