import Testing
import DNSModel
import DNSWire
import ClusterModel
@testable import ClusterDNS

/// The pure front door (`Authority.process`) without a network.
@Suite("Front door, in process")
struct FrontDoorUnitTests {
    let authority = Authority(cluster: ClusterZone())

    func reply(_ query: Message, synced: Bool = true, tcp: Bool = false) throws -> Message {
        guard case .reply(let bytes) = authority.process(query.wire(), context: QueryContext(isTCP: tcp, synced: synced),
                                                         snapshot: try snapshot()) else {
            Issue.record("expected a reply")
            return Message()
        }
        return try Message(wire: bytes)
    }

    @Test("before every source has loaded, a would-be NXDOMAIN is SERVFAIL (with EDE 14, Not Ready, to EDNS clients); existing names still answer (CoreDNS C14)")
    func notSynced() throws {
        let early = try reply(.query("nope.testns.svc.cluster.local.", .a), synced: false)
        #expect(early.rcode == .servFail)
        // RFC 8914 §4.15: Not Ready, with a text.
        let option = early.edns?.options.first { $0.code == EDNSOption.extendedErrorCode }
        #expect(option.map { Array($0.data.prefix(2)) } == [0, 14])
        #expect(try reply(.query("nope.testns.svc.cluster.local.", .a, edns: nil), synced: false).edns == nil)
        #expect(try reply(.query("nope.testns.svc.cluster.local.", .a), synced: true).rcode == .nxDomain)
        let known = try reply(.query("svc1.testns.svc.cluster.local.", .a), synced: false)
        #expect(known.rcode == .noError)
        #expect(known.answers.count == 1)
    }

    @Test("the reply echoes ID, opcode, RD and the question exactly; AA set, RA clear")
    func header() throws {
        let r = try reply(.query("SVC1.testns.svc.CLUSTER.local.", .a, id: 777))
        #expect(r.id == 777 && r.isResponse && r.authoritative && r.recursionDesired && !r.recursionAvailable)
        #expect(r.questions.first?.name.description == "SVC1.testns.svc.CLUSTER.local.")
    }

    @Test("class ANY is answered like IN; a signed (TSIG) query is refused")
    func classAnyAndTSIG() throws {
        var q = Message.query("svc1.testns.svc.cluster.local.", .a)
        q.questions[0].class = .any
        #expect(try reply(q).answers.count == 1)
        var signed = Message.query("svc1.testns.svc.cluster.local.", .a, edns: nil)
        signed.additional = [ResourceRecord(name: "key.", class: .any, ttl: 0, data: .unknown(type: RecordType(rawValue: 250), data: [1, 2, 3]))]
        #expect(try reply(signed).rcode == .refused)
    }
}
