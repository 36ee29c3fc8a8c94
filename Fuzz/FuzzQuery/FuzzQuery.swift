// libFuzzer target: bytes → front door → answer → encode → re-parse.
// The reply, when there is one, must parse (with our decoder and with ldns), be a response,
// carry the query's ID, and echo the question when the query had exactly one.
import DNSModel
import DNSWire
import ClusterModel
import ClusterDNS
import FuzzCluster

let snapshot = FuzzCluster.snapshot
let authority = FuzzCluster.authority

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzQuery(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for tcp in [false, true] {
        let context = QueryContext(isTCP: tcp, transferAllowed: tcp, canForward: false, synced: true)
        var replies: [[UInt8]] = []
        switch authority.process(bytes, context: context, snapshot: snapshot) {
        case .drop, .forward: continue
        case .reply(let r): replies = [r]
        case .transfer(let rs): replies = rs
        }
        for reply in replies {
            precondition(tcp || reply.count <= 1232, "UDP reply over 1232 bytes")
            guard let parsed = try? Message(wire: reply) else { preconditionFailure("reply does not parse") }
            precondition(LDNSCheck.parseWithLDNS(reply) != nil, "ldns rejects our reply")
            precondition(parsed.isResponse, "reply without QR")
            precondition(Array(reply.prefix(2)) == Array(bytes.prefix(2)), "reply ID differs")
            if let query = try? Message(wire: bytes), query.questions.count == 1, parsed.rcode != .formErr,
               parsed.rcode != .notImp, reply == replies.first {
                precondition(parsed.questions.first?.name.wire == query.questions.first?.name.wire, "question not echoed")
            }
        }
    }
    return 0
}

#if !FUZZING
import FuzzSupport
/// Without libFuzzer: replays corpus files or directories given as arguments.
@main struct Replay {
    static func main() throws { try replayCorpus(Array(CommandLine.arguments.dropFirst()), into: fuzzQuery) }
}
#endif
