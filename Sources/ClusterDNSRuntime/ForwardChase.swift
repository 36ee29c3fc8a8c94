import DNSModel
import DNSWire
import DNSServer
import ClusterDNS
import ClusterModel

extension ClusterResponder {
    /// For an answer that ends in a CNAME whose target lies outside our zones (an ExternalName
    /// service, or a static-zone alias), a deferred reply that appends the upstreams' answer for
    /// the target, so an A question gets CNAME + A as from CoreDNS. Nil when there is nothing to
    /// chase; on upstream failure the CNAME alone is sent, as without upstreams.
    func chasingExternalTarget(_ reply: [UInt8], request: DNSRequest, snapshot: ClusterSnapshot,
                               forwarder: Forwarder) -> DNSReply? {
        guard Self.endsInCNAME(reply),
              let message = try? Message(wire: reply), !message.truncated, message.rcode == .noError,
              let question = message.questions.first, question.type != .cname, question.type != .any,
              case .cname(let target)? = message.answers.last?.data,
              authority.zone(for: target, in: snapshot, ownsAllReverse: false) == .outside,
              let query = try? Message(wire: request.bytes)
        else { return nil }
        let limit = replyLimit(query, transport: request.transport)
        let chased = Question(name: target, type: question.type, class: question.class)
        let dnssecOK = query.edns?.dnssecOK ?? false
        let checkingDisabled = query.checkingDisabled
        return .deferred {
            var out = message
            if let upstream = await forwarder.resolve(chased, dnssecOK: dnssecOK, checkingDisabled: checkingDisabled) {
                switch upstream.rcode {
                case .noError:
                    out.answers += upstream.answers
                case .nxDomain:                      // RFC 6604 §2.1: the rcode of the last name
                    out.rcode = .nxDomain
                    out.authority = upstream.authority
                default:
                    break
                }
                out.recursionAvailable = true
            }
            return out.wire(maxSize: limit)
        }
    }

    /// The largest reply for `query`: 65535 over TCP; over UDP 512 without EDNS, else the
    /// client's size within [512, our maximum] (RFC 6891 §6.2.5).
    func replyLimit(_ query: Message, transport: DNSTransport) -> Int {
        if transport == .tcp { return 65535 }
        guard let edns = query.edns else { return 512 }
        return min(max(Int(edns.udpPayloadSize), 512), authority.maxUDPSize)
    }

    /// True for a NOERROR, untruncated reply to one question whose last answer record is a
    /// CNAME: a cheap walk over the wire so ordinary answers are not decoded twice.
    static func endsInCNAME(_ b: [UInt8]) -> Bool {
        guard b.count >= 12, b[3] & 0x0F == 0, b[2] & 0x02 == 0 else { return false }
        let questions = Int(b[4]) << 8 | Int(b[5]), answers = Int(b[6]) << 8 | Int(b[7])
        guard questions == 1, answers > 0 else { return false }
        var i = 12
        func skipName() -> Bool {
            while i < b.count {
                let length = b[i]
                if length == 0 { i += 1; return true }
                if length & 0xC0 == 0xC0 { i += 2; return i <= b.count }
                i += Int(length) + 1
            }
            return false
        }
        guard skipName() else { return false }
        i += 4
        var last: UInt16 = 0
        for _ in 0..<answers {
            guard skipName(), i + 10 <= b.count else { return false }
            last = UInt16(b[i]) << 8 | UInt16(b[i + 1])
            i += 10 + (Int(b[i + 8]) << 8 | Int(b[i + 9]))
        }
        return i <= b.count && last == RecordType.cname.rawValue
    }
}
