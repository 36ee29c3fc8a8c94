import Foundation
import TestSupport
import Testing
import DNSModel
import DNSWire
import DNSServer
import ClusterDNSRuntime

/// The bad inputs of reliability.md §4 (UDP cases 1–50) against the real server; after each, the
/// server still answers a normal query at once. TCP cases live in TCPTests.
@Suite("Hostile UDP inputs (reliability §4)", .serialized)
struct HostileInputTests {
    /// What the server must do with one input.
    enum Reaction: Sendable { case drop, rcode(UInt16), rcodeOrDrop(UInt16), anyReply, answered }

    struct Input: Sendable, CustomTestStringConvertible {
        var number: Int
        var bytes: [UInt8]
        var reaction: Reaction
        var testDescription: String { "case \(number)" }
    }

    static func header(id: UInt16 = 0xBEEF, flags: UInt16 = 0x0100, qd: UInt16 = 1, an: UInt16 = 0,
                       ns: UInt16 = 0, ar: UInt16 = 0) -> [UInt8] {
        [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(flags >> 8), UInt8(flags & 0xFF),
         UInt8(qd >> 8), UInt8(qd & 0xFF), UInt8(an >> 8), UInt8(an & 0xFF),
         UInt8(ns >> 8), UInt8(ns & 0xFF), UInt8(ar >> 8), UInt8(ar & 0xFF)]
    }
    static let qname: [UInt8] = DomainName(stringLiteral: "web-0.web.default.svc.cluster.local.").wire
    static func question(_ type: UInt16 = 1, _ cls: UInt16 = 1) -> [UInt8] {
        qname + [UInt8(type >> 8), UInt8(type & 0xFF), UInt8(cls >> 8), UInt8(cls & 0xFF)]
    }
    static func opt(size: UInt16 = 1232, version: UInt8 = 0, flags: UInt16 = 0, options: [UInt8] = [],
                    rdlength: Int? = nil) -> [UInt8] {
        let len = rdlength ?? options.count
        return [0, 0, 41, UInt8(size >> 8), UInt8(size & 0xFF), 0, version, UInt8(flags >> 8), UInt8(flags & 0xFF),
                UInt8(len >> 8), UInt8(len & 0xFF)] + options
    }
    static let aRecord: [UInt8] = [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 0, 0, 1]

    static let inputs: [Input] = {
        var v: [Input] = []
        v.append(Input(number: 1, bytes: [], reaction: .drop))
        for n in [1, 6, 11] { v.append(Input(number: 2, bytes: [UInt8](repeating: 0x41, count: n), reaction: .drop)) }
        v.append(Input(number: 3, bytes: [UInt8](repeating: 0, count: 12), reaction: .rcode(1)))
        v.append(Input(number: 4, bytes: header(qd: 0, ar: 1) + opt(options: [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]), reaction: .rcode(1)))
        v.append(Input(number: 5, bytes: header(qd: 2) + question() + question(28), reaction: .rcodeOrDrop(1)))
        v.append(Input(number: 6, bytes: header(qd: 65535) + question(), reaction: .rcodeOrDrop(1)))
        v.append(Input(number: 7, bytes: header(an: 65535) + question(), reaction: .rcodeOrDrop(1)))
        v.append(Input(number: 7, bytes: header(ar: 65535) + question(), reaction: .rcodeOrDrop(1)))
        v.append(Input(number: 8, bytes: header(an: 1) + question() + aRecord, reaction: .answered))
        // Trailing octets: FORMERR with the question echoed, as Knot (the reference) answers.
        v.append(Input(number: 9, bytes: header() + question() + [1, 2, 3, 4, 5], reaction: .rcode(1)))
        v.append(Input(number: 9, bytes: header() + question() + [0], reaction: .rcode(1)))
        v.append(Input(number: 10, bytes: header() + [0xC0, 0x0C, 0, 1, 0, 1], reaction: .rcodeOrDrop(1)))
        v.append(Input(number: 11, bytes: header() + [1, 0x61, 0xC0, 0x0E, 0, 1, 0, 1], reaction: .rcodeOrDrop(1)))
        v.append(Input(number: 12, bytes: header() + [0xC0, 0x12, 0, 1, 0, 1, 1, 0x61, 0], reaction: .rcodeOrDrop(1)))
        v.append(Input(number: 13, bytes: header() + [0xFF, 0xFF, 0, 1, 0, 1], reaction: .rcodeOrDrop(1)))
        v.append(Input(number: 14, bytes: header(ar: 1) + question() + [0xC0, 0x35] + [0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 0, 0, 1], reaction: .rcodeOrDrop(1)))
        v.append(Input(number: 15, bytes: header() + [0x40] + [UInt8](repeating: 0x61, count: 64) + [0, 0, 1, 0, 1], reaction: .rcodeOrDrop(1)))
        v.append(Input(number: 16, bytes: header() + [0x80, 0x61, 0, 0, 1, 0, 1], reaction: .rcodeOrDrop(1)))
        // 17: 256-octet name → FORMERR; 255 octets → a normal answer (NXDOMAIN).
        let long256 = [UInt8]((0..<4).flatMap { _ in [63] + [UInt8](repeating: 0x61, count: 63) }) + [0]
        v.append(Input(number: 17, bytes: header() + long256 + [0, 1, 0, 1], reaction: .rcodeOrDrop(1)))
        let long255 = [UInt8]((0..<3).flatMap { _ in [63] + [UInt8](repeating: 0x61, count: 63) }) + [61] + [UInt8](repeating: 0x61, count: 61) + [0]
        v.append(Input(number: 17, bytes: header() + long255 + [0, 1, 0, 1], reaction: .rcode(5)))
        v.append(Input(number: 18, bytes: header() + [10, 0x61, 0x62], reaction: .rcodeOrDrop(1)))
        v.append(Input(number: 19, bytes: header() + [3, 0x77, 0x77, 0x77], reaction: .rcodeOrDrop(1)))
        v.append(Input(number: 19, bytes: header() + qname, reaction: .rcodeOrDrop(1)))
        v.append(Input(number: 20, bytes: header() + [3, 0, 0x2E, 0xFF] + DomainName(stringLiteral: "svc.cluster.local.").wire + [0, 1, 0, 1], reaction: .rcode(3)))
        v.append(Input(number: 22, bytes: header(flags: 0x8100) + question(), reaction: .drop))
        v.append(Input(number: 22, bytes: header(flags: 0x8101) + question(), reaction: .drop))
        for op: UInt16 in [1, 2, 3, 6, 7, 15] {
            v.append(Input(number: 23, bytes: header(flags: op << 11 | 0x0100) + question(), reaction: .rcode(4)))
        }
        v.append(Input(number: 24, bytes: header(flags: 0x7FFF, qd: 0), reaction: .rcode(4)))
        v.append(Input(number: 25, bytes: header(flags: 4 << 11) + DomainName(stringLiteral: "cluster.local.").wire + [0, 6, 0, 1], reaction: .rcode(4)))
        v.append(Input(number: 26, bytes: header(flags: 5 << 11) + DomainName(stringLiteral: "cluster.local.").wire + [0, 6, 0, 1], reaction: .rcode(4)))
        v.append(Input(number: 27, bytes: header(flags: 0x0300) + question(), reaction: .answered))
        v.append(Input(number: 28, bytes: header(flags: 0x0140) + question(), reaction: .answered))
        v.append(Input(number: 29, bytes: header(flags: 0x0103) + question(), reaction: .answered))
        v.append(Input(number: 30, bytes: header() + question(1, 42), reaction: .rcode(5)))
        v.append(Input(number: 30, bytes: header() + question(1, 254), reaction: .rcode(5)))
        v.append(Input(number: 30, bytes: header() + question(1, 255), reaction: .answered))
        v.append(Input(number: 30, bytes: header() + DomainName(stringLiteral: "id.server.").wire + [0, 16, 0, 3], reaction: .anyReply))
        v.append(Input(number: 31, bytes: header() + question(666), reaction: .rcode(0)))
        v.append(Input(number: 31, bytes: header() + question(0), reaction: .anyReply))
        v.append(Input(number: 31, bytes: header() + question(41), reaction: .anyReply))
        v.append(Input(number: 32, bytes: header() + question(255), reaction: .answered))
        v.append(Input(number: 33, bytes: header() + DomainName(stringLiteral: "cluster.local.").wire + [0, 252, 0, 1], reaction: .rcode(5)))
        v.append(Input(number: 34, bytes: header() + DomainName(stringLiteral: "www.example.org.").wire + [0, 1, 0, 1], reaction: .rcode(5)))
        v.append(Input(number: 35, bytes: header(ar: 1) + question() + opt(version: 1), reaction: .rcode(16)))
        v.append(Input(number: 35, bytes: header(ar: 1) + question() + opt(version: 255, options: [0, 100, 0, 0]), reaction: .rcode(16)))
        v.append(Input(number: 36, bytes: header(ar: 1) + question() + opt(options: [0, 100, 0, 2, 1, 2]), reaction: .answered))
        v.append(Input(number: 37, bytes: header(ar: 1) + question() + opt(flags: 0x7FFF), reaction: .answered))
        v.append(Input(number: 38, bytes: header(ar: 1) + question() + opt(flags: 0x8000), reaction: .answered))
        v.append(Input(number: 39, bytes: header(ar: 1) + question() + opt(size: 65535), reaction: .answered))
        v.append(Input(number: 39, bytes: header(ar: 1) + question() + opt(size: 0), reaction: .answered))
        v.append(Input(number: 40, bytes: header(ar: 2) + question() + opt() + opt(), reaction: .rcode(1)))
        v.append(Input(number: 40, bytes: header(an: 1) + question() + opt(), reaction: .rcode(1)))
        v.append(Input(number: 40, bytes: header(ns: 1) + question() + opt(), reaction: .rcode(1)))
        v.append(Input(number: 41, bytes: header(ar: 1) + question() + [1, 0x61] + Array(opt().dropFirst()), reaction: .rcodeOrDrop(1)))
        v.append(Input(number: 42, bytes: header(ar: 1) + question() + opt(options: [0, 100, 0, 9, 1], rdlength: 5), reaction: .rcodeOrDrop(1)))
        v.append(Input(number: 42, bytes: header(ar: 1) + question() + opt(rdlength: 300), reaction: .rcodeOrDrop(1)))
        v.append(Input(number: 43, bytes: header(ar: 1) + question() + opt(options: [0, 10, 0, 5, 1, 2, 3, 4, 5]), reaction: .answered))
        v.append(Input(number: 44, bytes: header(ar: 1) + question() + opt(options: [0, 11, 0, 0]), reaction: .answered))
        let tsig: [UInt8] = DomainName(stringLiteral: "key.").wire + [0, 250, 0, 255, 0, 0, 0, 0, 0, 3, 1, 2, 3]
        v.append(Input(number: 45, bytes: header(ar: 1) + question() + tsig, reaction: .rcode(5)))
        v.append(Input(number: 45, bytes: header(ar: 2) + question() + tsig + opt(), reaction: .rcode(1)))   // TSIG before OPT
        v.append(Input(number: 46, bytes: header(ar: 1) + question() + opt(options: [0, 12, 0x0F, 0x80] + [UInt8](repeating: 0, count: 0x0F80)), reaction: .answered))
        v.append(Input(number: 47, bytes: header() + question() + [UInt8](repeating: 0, count: 60_000), reaction: .rcode(1)))   // trailing octets
        return v
    }()

    @Test("each bad input gets its RFC reaction and the server keeps serving", arguments: inputs)
    func reaction(_ input: Input) async throws {
        try await withServer { server in
            let port = server.port
            let raw = try? await offPool { try DNSClient(port: port, timeoutMilliseconds: 300).exchangeRaw(input.bytes) }
            let reply = raw.flatMap { try? Message(wire: $0) }
            switch input.reaction {
            case .drop:
                #expect(raw == nil, "case \(input.number): expected no reply")
            case .rcode(let code):
                #expect(reply?.rcode.rawValue == code, "case \(input.number): got \(String(describing: reply?.rcode))")
            case .rcodeOrDrop(let code):
                if let raw { #expect(reply?.rcode.rawValue == code, "case \(input.number): \(raw.prefix(4))") }
            case .anyReply:
                #expect(reply != nil, "case \(input.number): expected a reply")
            case .answered:
                #expect(reply?.rcode == .noError && reply?.answers.isEmpty == false, "case \(input.number)")
            }
            if let raw, raw.count >= 2 {
                #expect(raw[0] == input.bytes[0] && raw[1] == input.bytes[1], "reply carries the query's ID")
                #expect(raw.count <= 512 || (reply?.edns != nil && raw.count <= 1232), "case \(input.number): \(raw.count) bytes")
                #expect(reply?.isResponse == true)
            }
            let ok = try await offPool { try DNSClient(port: port).exchange(.query("web-0.web.default.svc.cluster.local.", .a)) }
            #expect(ok.answers.count == 1, "server still answers after case \(input.number)")
        }
    }

    @Test("200 seeded random datagrams: no crash, every reply a response with the sender's ID (case 50)")
    func randomDatagrams() async throws {
        try await withServer { server in
            let port = server.port
            var rng = SplitMix(seed: 0xC1D5)
            for i in 0..<200 {
                var bytes = (0..<Int(rng.next() % 300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if i % 2 == 0, bytes.count >= 12 {       // half shaped like one-question queries
                    bytes[2] &= 0x7F; bytes[4] = 0; bytes[5] = 1
                }
                let sent = bytes
                let raw = try? await offPool { try DNSClient(port: port, timeoutMilliseconds: 100).exchangeRaw(sent) }
                if let raw {
                    #expect(sent.count >= 12 && sent[2] & 0x80 == 0, "no reply to a runt or a response")
                    #expect(raw.count >= 12 && raw[0] == sent[0] && raw[1] == sent[1] && raw[2] & 0x80 != 0)
                }
            }
            let ok = try await offPool { try DNSClient(port: port).exchange(.query("web-0.web.default.svc.cluster.local.", .a)) }
            #expect(ok.answers.count == 1)
        }
    }
}
