import Testing
import DNSModel
@testable import DNSWire

@Suite struct MessageCodecTests {
    @Test func queryRoundTrip() throws {
        let q = Message.query("web.default.svc.cluster.local", .srv, id: 0xBEEF)
        let wire = q.wire()
        #expect(try Message(wire: wire) == q)
        let text = try #require(LDNSCheck.parseWithLDNS(wire))
        #expect(ldnsCounts(text) == [1, 0, 0, 0])
        #expect(text.contains("id: 48879"))
    }

    @Test(arguments: sampleRecords)
    func responseRoundTripEachType(_ rr: ResourceRecord) throws {
        let m = Message(id: 7, isResponse: true, authoritative: true, recursionDesired: true,
                        questions: [Question(name: rr.name, type: rr.type)], answers: [rr],
                        edns: EDNS(udpPayloadSize: 1232))
        let wire = m.wire()
        let back = try Message(wire: wire)
        #expect(back == m)
        #expect(back.answers.first?.data == rr.data)
        let text = try #require(LDNSCheck.parseWithLDNS(wire))
        #expect(ldnsCounts(text) == [1, 1, 0, 0])
    }

    @Test func fullResponseRoundTripAndLDNSAgrees() throws {
        let m = Message(id: 0xFFFF, isResponse: true, authoritative: true, recursionDesired: true,
                        recursionAvailable: true, rcode: .nxDomain,
                        questions: [Question(name: "web.default.svc.cluster.local", type: .any)],
                        answers: Array(sampleRecords[0..<6]), authority: [sampleRecords[6], sampleRecords[8]],
                        additional: [sampleRecords[7], sampleRecords[9]],
                        edns: EDNS(udpPayloadSize: 4096, dnssecOK: true))
        let wire = m.wire()
        #expect(try Message(wire: wire) == m)
        let text = try #require(LDNSCheck.parseWithLDNS(wire))
        #expect(ldnsCounts(text) == [1, 6, 2, 2])
        #expect(text.contains("NXDOMAIN"))
        #expect(text.contains("do"))
    }

    @Test func ednsOptionsAndDOBit() throws {
        let edns = EDNS(udpPayloadSize: 1400, dnssecOK: true, options: [
            EDNSOption(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8]),       // COOKIE
            EDNSOption(code: 12, data: []),                             // PADDING, empty
            EDNSOption(code: 65001, data: Array(repeating: 0xAB, count: 40)),
        ])
        let m = Message.query("example.com", .a, id: 1, edns: edns)
        let wire = m.wire()
        let back = try Message(wire: wire)
        #expect(back.edns == edns)
        #expect(back.edns?.dnssecOK == true)
        #expect(LDNSCheck.parseWithLDNS(wire) != nil)
    }

    @Test func extendedRCodeSplitsAcrossHeaderAndOPT() throws {
        let m = Message(id: 1, isResponse: true, rcode: .badVers,
                        questions: [Question(name: "a.example", type: .a)],
                        edns: EDNS(extendedRCode: 1))
        let wire = m.wire()
        #expect(wire[3] & 0x0F == 0)                          // 16 = 0x010: low nibble 0
        #expect(try Message(wire: wire).rcode == .badVers)
    }

    @Test func flagsRoundTrip() throws {
        let m = Message(id: 9, isResponse: true, opcode: .notify, authoritative: true, truncated: true,
                        recursionDesired: true, recursionAvailable: true, authenticData: true,
                        checkingDisabled: true, rcode: .refused)
        #expect(try Message(wire: m.wire()) == m)
    }

    @Test func compressionShrinksRepeatedNames() throws {
        let names: [DomainName] = (0..<8).map { i in
            let text = "pod-\(i).web.default.svc.cluster.local"
            return DomainName(text)!
        }
        let answers = names.map { ResourceRecord(name: $0, ttl: 5, data: .cname("web.default.svc.cluster.local")) }
        let m = Message(id: 3, isResponse: true, questions: [Question(name: names[0], type: .cname)],
                        answers: answers)
        let compressed = m.wire()
        var plain = MessageWriter(capacity: 1024, compress: false)
        plain.append(Array(repeating: 0, count: 12))
        plain.name(names[0]); plain.u16(5); plain.u16(1)
        for rr in answers { plain.record(rr) }
        #expect(compressed.count < plain.count / 2)
        #expect(try Message(wire: compressed) == m)
        let text = try #require(LDNSCheck.parseWithLDNS(compressed))
        #expect(ldnsCounts(text) == [1, 8, 0, 0])
        // the second answer's owner shares a suffix with the first: it must hold a pointer
        #expect(compressed.contains(0xC0))
    }

    @Test("compression points only at the same spelling: every name decodes as it was written")
    func compressionKeepsEachNamesCase() throws {
        let m = Message(id: 3, isResponse: true, questions: [Question(name: "WWW.Example.COM", type: .a)],
                        answers: [ResourceRecord(name: "www.example.com", ttl: 1, data: .a(IPv4Address(1, 2, 3, 4))),
                                  ResourceRecord(name: "WWW.Example.COM", ttl: 1, data: .a(IPv4Address(1, 2, 3, 5)))])
        let wire = m.wire()
        let back = try Message(wire: wire)
        #expect(back == m)
        #expect(back.questions[0].name.description == "WWW.Example.COM.")
        #expect(back.answers.map(\.name.description) == ["www.example.com.", "WWW.Example.COM."])
        // The lower-case owner is written in full; the second owner is a pointer to the question.
        #expect(wire.count == 12 + 17 + 4 + (17 + 10 + 4) + (2 + 10 + 4))
    }

    @Test func srvTargetIsNotCompressed() throws {
        let srv = ResourceRecord(name: "_dns._udp.cluster.local", ttl: 5,
                                 data: .srv(SRVData(priority: 0, weight: 0, port: 53, target: "ns.cluster.local")))
        let m = Message(id: 1, isResponse: true, questions: [Question(name: "ns.cluster.local", type: .srv)],
                        answers: [srv])
        let wire = m.wire()
        let target = DomainName(stringLiteral: "ns.cluster.local").wire
        #expect(Array(wire.suffix(target.count)) == target)
    }

    // MARK: truncation

    @Test("additional data that does not fit is left out whole RRset by whole RRset, without TC (RFC 2181 §9)")
    func additionalNeverPartial() throws {
        let mx = ResourceRecord(name: "big.test", ttl: 5, data: .mx(preference: 10, exchange: "many.big.test"))
        let many = (0..<100).map { ResourceRecord(name: "many.big.test", ttl: 5, data: .a(IPv4Address(192, 0, 2, UInt8($0)))) }
        let one = ResourceRecord(name: "one.big.test", ttl: 5, data: .a(IPv4Address(198, 51, 100, 1)))
        for additional in [many, [one] + many] {
            let m = Message(id: 9, isResponse: true, questions: [Question(name: "big.test", type: .mx)], answers: [mx], additional: additional)
            let back = try Message(wire: m.wire(maxSize: 512))
            #expect(!back.truncated)
            #expect(back.answers == [mx])
            // The 100-address set does not fit in 512 bytes: none of it, not the first 27.
            #expect(back.additional == (additional.first == one ? [one] : []), "\(back.additional.count) additional records")
        }
    }

    private func bigResponse(answers: Int, additional: Int) -> Message {
        let owner: DomainName = "web.default.svc.cluster.local"
        let an = (0..<answers).map { ResourceRecord(name: owner, ttl: 5, data: .a(IPv4Address(10, 0, 0, UInt8($0)))) }
        let ad = (0..<additional).map {
            ResourceRecord(name: "extra.cluster.local", ttl: 5, data: .aaaa(IPv6Address(bytes: Array(repeating: UInt8($0), count: 16))))
        }
        return Message(id: 77, isResponse: true, questions: [Question(name: owner, type: .a)],
                       answers: an, additional: ad, edns: EDNS(udpPayloadSize: 512, options: [EDNSOption(code: 10, data: Array(repeating: 7, count: 8))]))
    }

    @Test func truncationInAnswersSetsTC() throws {
        let m = bigResponse(answers: 60, additional: 0)
        #expect(m.wire().count > 512)
        let wire = m.wire(maxSize: 512)
        #expect(wire.count <= 512)
        let back = try Message(wire: wire)
        #expect(back.truncated)
        #expect(back.answers.count < 60 && back.answers.count > 0)
        #expect(back.answers == Array(m.answers.prefix(back.answers.count)))
        #expect(back.edns == m.edns)
        let text = try #require(LDNSCheck.parseWithLDNS(wire))
        #expect(ldnsCounts(text) == [1, back.answers.count, 0, 0])
        #expect(text.contains(" tc "))
    }

    @Test func truncationInAdditionalDoesNotSetTC() throws {
        let m = bigResponse(answers: 3, additional: 30)
        #expect(m.wire().count > 512)
        let wire = m.wire(maxSize: 512)
        #expect(wire.count <= 512)
        let back = try Message(wire: wire)
        #expect(!back.truncated)
        #expect(back.answers == m.answers)
        #expect(back.additional.count < 30)
        #expect(back.edns == m.edns)
    }

    @Test func fittingMessageIsNotTruncated() throws {
        let m = bigResponse(answers: 3, additional: 2)
        let wire = m.wire(maxSize: 512)
        #expect(wire == m.wire())
        #expect(try Message(wire: wire) == m)
    }

    @Test func binaryLabelsRoundTrip() throws {
        let name = DomainName(uncheckedWire: [3, 0x00, UInt8(ascii: "."), 0xFF, 2, 0x41, 0x20, 0])
        let m = Message(id: 5, isResponse: true, questions: [Question(name: name, type: .txt)],
                        answers: [ResourceRecord(name: name, ttl: 1, data: .txt([[0, 255, 10]]))])
        let wire = m.wire()
        let back = try Message(wire: wire)
        #expect(back == m)
        #expect(back.questions[0].name.wire == name.wire)
        #expect(name.description == "\\000\\.\\255.A\\032.")
        #expect(LDNSCheck.parseWithLDNS(wire) != nil)
    }

    @Test func trailingBytesAreIgnoredUnlessRejected() throws {
        let q = Message.query("a.example", .a, edns: nil)
        #expect(try Message(wire: q.wire() + [1, 2, 3]) == q)
        #expect(throws: WireError.self) { try Message(wire: q.wire() + [1, 2, 3], rejectingTrailingBytes: true) }
        #expect(try Message(wire: q.wire(), rejectingTrailingBytes: true) == q)
    }
}
