import Testing
import DNSModel
@testable import DNSWire

@Suite struct PresentationTests {
    @Test func parseA() throws {
        let rr = try ResourceRecord(presentation: "web.default.svc.cluster.local. 30 IN A 10.96.0.10")
        #expect(rr == ResourceRecord(name: "web.default.svc.cluster.local", ttl: 30, data: .a(IPv4Address(10, 96, 0, 10))))
        #expect(rr.presentation == "web.default.svc.cluster.local.\t30\tIN\tA\t10.96.0.10")
    }

    @Test func parseAAAA() throws {
        let rr = try ResourceRecord(presentation: "web.default.svc.cluster.local. 30 IN AAAA fd00:0:0::a")
        #expect(rr.data == .aaaa(IPv6Address("fd00::a")!))
        #expect(rr.presentation == "web.default.svc.cluster.local.\t30\tIN\tAAAA\tfd00::a")
    }

    @Test func parseSRVWithRelativeTarget() throws {
        let rr = try ResourceRecord(presentation: "_http._tcp.web 30 IN SRV 0 100 8080 web",
                                    origin: "default.svc.cluster.local")
        #expect(rr.name == "_http._tcp.web.default.svc.cluster.local")
        #expect(rr.data == .srv(SRVData(priority: 0, weight: 100, port: 8080, target: "web.default.svc.cluster.local")))
        #expect(rr.presentation == "_http._tcp.web.default.svc.cluster.local.\t30\tIN\tSRV\t0 100 8080 web.default.svc.cluster.local.")
    }

    @Test func parseTXTWithTwoStrings() throws {
        let rr = try ResourceRecord(presentation: #"txt.example. 60 IN TXT "hello world" "say \"hi\"\059""#)
        #expect(rr.data == .txt([Array("hello world".utf8), Array("say \"hi\";".utf8)]))
        #expect(rr.presentation.hasSuffix("TXT\t\"hello world\" \"say \\\"hi\\\";\""))
        #expect(try ResourceRecord(presentation: rr.presentation) == rr)
    }

    @Test func parseMultiLineSOA() throws {
        let rr = try ResourceRecord(presentation: "@ 300 IN SOA ns.dns hostmaster ( 2024010101 7200 1800 86400 30 )",
                                    origin: "cluster.local")
        #expect(rr == ResourceRecord(name: "cluster.local", ttl: 300, data: .soa(sampleSOA)))
        #expect(rr.presentation == "cluster.local.\t300\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local. 2024010101 7200 1800 86400 30")
    }

    @Test func parsePTRAndCNAME() throws {
        let ptr = try ResourceRecord(presentation: "10.0.96.10.in-addr.arpa. 5 IN PTR web.default.svc.cluster.local.")
        #expect(ptr.data == .ptr("web.default.svc.cluster.local"))
        #expect(ptr.presentation == "10.0.96.10.in-addr.arpa.\t5\tIN\tPTR\tweb.default.svc.cluster.local.")
        let cname = try ResourceRecord(presentation: "alias.example. IN CNAME target.example.", defaultTTL: 77)
        #expect(cname == ResourceRecord(name: "alias.example", ttl: 77, data: .cname("target.example")))
        #expect(cname.presentation == "alias.example.\t77\tIN\tCNAME\ttarget.example.")
    }

    @Test func unknownTypeUsesRFC3597() throws {
        let rr = try ResourceRecord(presentation: "x.example. 10 IN TYPE65280 \\# 3 010203")
        #expect(rr.data == .unknown(type: RecordType(rawValue: 65280), data: [1, 2, 3]))
        #expect(rr.presentation == "x.example.\t10\tIN\tTYPE65280\t\\# 3 010203")
        #expect(try ResourceRecord(presentation: rr.presentation) == rr)
    }

    @Test func typesLDNSKnowsButWeDoNotStayOpaque() throws {
        let rr = try ResourceRecord(presentation: #"example. 10 IN CAA 0 issue "ca.example""#)
        #expect(rr.type == RecordType(rawValue: 257))
        #expect(rr.data == .unknown(type: RecordType(rawValue: 257), data: [0, 5] + Array("issueca.example".utf8)))
        #expect(try ResourceRecord(presentation: rr.presentation) == rr)
    }

    @Test(arguments: sampleRecords)
    func presentationRoundTrip(_ rr: ResourceRecord) throws {
        let line = rr.presentation
        #expect(!line.contains("\n"))
        #expect(try ResourceRecord(presentation: line) == rr)
    }

    @Test func binaryOwnerRoundTrip() throws {
        let name = DomainName(uncheckedWire: [4, 0x00, UInt8(ascii: "."), 0xFF, 0x20, 2, 0x41, 0x3B, 0])
        let rr = ResourceRecord(name: name, ttl: 1, data: .a(IPv4Address(1, 2, 3, 4)))
        let back = try ResourceRecord(presentation: rr.presentation)
        #expect(back.name.wire == name.wire)
    }

    @Test func specialOwnerBytesAreEscaped() throws {
        for text in ["$TTL.example", "@.example", "a\"b.example", "x;y.example", "(.example"] {
            let name = try #require(DomainName(text))
            let rr = ResourceRecord(name: name, ttl: 1, data: .a(IPv4Address(1, 2, 3, 4)))
            #expect(rr.presentation.hasPrefix(name.description + "\t"))
            #expect(try ResourceRecord(presentation: rr.presentation) == rr)
            #expect(try ZoneFile.parse(rr.presentation + "\n", origin: nil) == [rr])
        }
    }

    @Test func specialRDataNameUsesGenericRData() throws {
        let rr = ResourceRecord(name: "a.example", ttl: 1, data: .cname(DomainName(uncheckedWire: [1, 0x22, 0])))
        #expect(rr.presentation == "a.example.\t1\tIN\tCNAME\t\\# 3 012200")
        #expect(try ResourceRecord(presentation: rr.presentation) == rr)
        let srv = ResourceRecord(name: "_a._tcp.example", ttl: 1,
                                 data: .srv(SRVData(priority: 1, weight: 2, port: 3, target: "$x.example")))
        #expect(try ZoneFile.parse(srv.presentation + "\n", origin: nil) == [srv])
    }

    @Test func invalidRDataFallsBackToGenericForm() throws {
        let rr = ResourceRecord(name: "x.example", ttl: 1, data: .unknown(type: .a, data: [1, 2]))
        #expect(rr.presentation == "x.example.\t1\tIN\tTYPE1\t\\# 2 0102")
    }

    @Test(arguments: [
        "",
        "www.example. 300 IN A",
        "www.example. 300 IN A 192.0.2.300",
        "www.example. 300 IN AAAA 192.0.2.1",
        "www.example. 300 IN BOGUS 1",
        "www.example. 300 IN SRV 0 0 http target.example.",
        "www.example. 300 IN MX ten mail.example.",
        "www.example. IN SOA ns host 1 2 3",
        "a..b.example. 300 IN A 192.0.2.1",
    ])
    func badTextThrows(_ text: String) {
        #expect(throws: WireError.self) { try ResourceRecord(presentation: text) }
    }

    @Test func errorCarriesLDNSText() {
        do {
            _ = try ResourceRecord(presentation: "www.example. 300 IN A 192.0.2.300")
            Issue.record("no error")
        } catch {
            #expect(!error.message.isEmpty)
            #expect(error.line == nil)
        }
    }
}
