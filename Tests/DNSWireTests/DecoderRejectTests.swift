import Testing
import DNSModel
@testable import DNSWire

@Suite struct DecoderRejectTests {
    /// A question for `a.example.`: 11 + 4 octets at offset 12.
    let question: [UInt8] = [1, 0x61, 7] + Array("example".utf8) + [0] + be16(1) + be16(1)

    /// An OPT RR (root owner) with the given RDATA.
    func opt(_ rdata: [UInt8], owner: [UInt8] = [0]) -> [UInt8] {
        owner + be16(41) + be16(1232) + [0, 0] + be16(0) + be16(UInt16(rdata.count)) + rdata
    }

    @Test func acceptsPlainQuestion() throws {
        let m = try decode(header(qd: 1) + question)
        #expect(m.questions == [Question(name: "a.example", type: .a)])
    }

    @Test(arguments: [0, 1, 11])
    func shortHeader(_ n: Int) {
        #expect(throws: WireError.self) { try decode(Array(header(qd: 0).prefix(n))) }
    }

    @Test func pointerToItself() {
        #expect(throws: WireError.self) { try decode(header(qd: 1) + [0xC0, 0x0C] + be16(1) + be16(1)) }
    }

    @Test func twoHopLoop() {
        // answer 1: TYPE65280 with opaque RDATA `C0 xx C0 yy` where xx -> yy and yy -> xx;
        // answer 2's owner enters the loop through a legal backward pointer to yy.
        var msg = header(qd: 1, an: 2) + question           // question ends at 27
        msg += [0] + be16(65280) + be16(1) + [0, 0, 0, 1] + be16(4)   // 27..37, RDATA at 38
        let p = 38
        msg += [0xC0, UInt8(p + 2), 0xC0, UInt8(p)]
        msg += [0xC0, UInt8(p + 2)] + be16(1) + be16(1) + [0, 0, 0, 1] + be16(4) + [1, 2, 3, 4]
        #expect(throws: WireError.self) { try decode(msg) }
        // sanity: the same message with a plain owner in answer 2 decodes
        var ok = msg
        ok[p + 4] = 0; ok.remove(at: p + 5)
        #expect((try? decode(ok)) != nil)
    }

    @Test func forwardPointer() {
        // name at 12 points to 14, where a valid name follows
        #expect(throws: WireError.self) {
            try decode(header(qd: 1) + [0xC0, 0x0E, 1, 0x61, 0] + be16(1) + be16(1))
        }
    }

    @Test func pointerOutOfRange() {
        #expect(throws: WireError.self) { try decode(header(qd: 1) + [0xFF, 0xFF] + be16(1) + be16(1)) }
        // a backward-looking pointer in the answer whose second octet is missing
        #expect(throws: WireError.self) { try decode(header(qd: 1, an: 1) + question + [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xC0]) }
    }

    @Test(arguments: [UInt8(0x40), 0x80, 0x41, 0xBF])
    func reservedLabelTypes(_ first: UInt8) {
        #expect(throws: WireError.self) { try decode(header(qd: 1) + [first, 0x61, 0] + be16(1) + be16(1)) }
    }

    /// A name of exactly `total` wire octets (labels of at most 63).
    func name(ofWireLength total: Int) -> [UInt8] {
        var out: [UInt8] = []
        var left = total - 1                                 // room before the root label
        while left > 0 {
            let n = min(63, left - 1)
            out.append(UInt8(n)); out += Array(repeating: UInt8(ascii: "x"), count: n)
            left -= n + 1
        }
        return out + [0]
    }

    @Test func nameLengthLimit() throws {
        let ok = name(ofWireLength: 255), tooLong = name(ofWireLength: 256)
        #expect(ok.count == 255 && tooLong.count == 256)
        let m = try decode(header(qd: 1) + ok + be16(1) + be16(1))
        #expect(m.questions[0].name.wire == ok)
        #expect(throws: WireError.self) { try decode(header(qd: 1) + tooLong + be16(1) + be16(1)) }
        // 253 octets of labels followed by a pointer to "y." (3 octets) is 256: rejected;
        // 252 + 3 = 255 is accepted
        func viaPointer(_ labelOctets: Int) -> [UInt8] {
            let labels = Array(name(ofWireLength: labelOctets + 1).dropLast())
            return header(qd: 2) + [1, 0x79, 0] + be16(1) + be16(1) + labels + [0xC0, 12] + be16(1) + be16(1)
        }
        #expect(throws: WireError.self) { try decode(viaPointer(253)) }
        #expect(try decode(viaPointer(252)).questions[1].name.wire.count == 255)
    }

    @Test func labelPastEnd() {
        #expect(throws: WireError.self) { try decode(header(qd: 1) + [5, 0x61, 0x62, 0, 0, 0]) }
        #expect(throws: WireError.self) { try decode(header(qd: 1) + [3, 0x61, 0x62]) }
    }

    @Test func missingQTypeOrQClass() {
        #expect(throws: WireError.self) { try decode(header(qd: 1) + [3, 0x66, 0x6F, 0x6F, 0]) }
        #expect(throws: WireError.self) { try decode(header(qd: 1) + [3, 0x66, 0x6F, 0x6F, 0] + be16(1)) }
    }

    @Test func countsLargerThanRecords() {
        #expect(throws: WireError.self) { try decode(header(qd: 1, an: 65535) + question) }
        #expect(throws: WireError.self) { try decode(header(qd: 2) + question) }
    }

    @Test func twoOPTs() {
        #expect(throws: WireError.self) { try decode(header(qd: 1, ar: 2) + question + opt([]) + opt([])) }
        #expect((try? decode(header(qd: 1, ar: 1) + question + opt([]))) != nil)
    }

    @Test func optInAnswerOrAuthority() {
        #expect(throws: WireError.self) { try decode(header(qd: 1, an: 1) + question + opt([])) }
        #expect(throws: WireError.self) { try decode(header(qd: 1, ns: 1) + question + opt([])) }
    }

    @Test func optOwnerNotRoot() {
        #expect(throws: WireError.self) { try decode(header(qd: 1, ar: 1) + question + opt([], owner: [1, 0x61, 0])) }
        // a pointer to the question name is not the root either
        #expect(throws: WireError.self) { try decode(header(qd: 1, ar: 1) + question + opt([], owner: [0xC0, 12])) }
    }

    @Test func ednsOptionOverrunsOPT() {
        // option says 8 octets of data but only 2 are in the RDATA (bytes follow in the message)
        let bad = opt(be16(10) + be16(8) + [1, 2]) + [3, 4, 5, 6, 7, 8]
        #expect(throws: WireError.self) { try decode(header(qd: 1, ar: 1) + question + bad) }
        // option header cut in half
        #expect(throws: WireError.self) { try decode(header(qd: 1, ar: 1) + question + opt([0, 10])) }
        // OPT RDLENGTH past the end of the message
        var cut = opt(be16(10) + be16(2) + [1, 2])
        cut.removeLast(2)
        #expect(throws: WireError.self) { try decode(header(qd: 1, ar: 1) + question + cut) }
    }

    @Test func rdataLengthMismatch() {
        // A record with RDLENGTH 5
        let rr: [UInt8] = [0] + be16(1) + be16(1) + [0, 0, 0, 1] + be16(5) + [1, 2, 3, 4, 5]
        #expect(throws: WireError.self) { try decode(header(qd: 1, an: 1) + question + rr) }
        // CNAME whose name ends before RDLENGTH does
        let cname: [UInt8] = [0] + be16(5) + be16(1) + [0, 0, 0, 1] + be16(4) + [1, 0x61, 0, 9]
        #expect(throws: WireError.self) { try decode(header(qd: 1, an: 1) + question + cname) }
    }

    @Test func binaryLabelsDecode() throws {
        let label: [UInt8] = [4, 0x00, UInt8(ascii: "."), 0xFF, 0x20, 0]
        let m = try decode(header(qd: 1) + label + be16(16) + be16(1))
        #expect(m.questions[0].name.wire == label)
        #expect(try Message(wire: m.wire()) == m)
        #expect(m.questions[0].name.labelBytes == [[0x00, 0x2E, 0xFF, 0x20]])
    }

    @Test func ldnsAlsoRejectsGarbage() {
        #expect(LDNSCheck.parseWithLDNS([]) == nil)
        #expect(LDNSCheck.parseWithLDNS([1, 2, 3]) == nil)
        #expect(LDNSCheck.parseWithLDNS(header(qd: 1, an: 65535) + question) == nil)
    }
}
