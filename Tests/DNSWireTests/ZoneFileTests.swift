import Testing
import DNSModel
@testable import DNSWire
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct ZoneFileTests {
    static let zone = """
    ; cluster.local test zone
    $ORIGIN cluster.local.
    $TTL 30
    @   IN  SOA ns.dns hostmaster (
                2024010101 ; serial
                7200       ; refresh
                1800       ; retry
                86400      ; expire
                30 )       ; minimum
        IN  NS  ns.dns
    ns.dns          IN A     10.96.0.10   ; the DNS service
    web.default.svc 5  IN A  10.96.0.20
                    5  IN AAAA fd00::20
    _http._tcp.web.default.svc IN SRV 0 100 80 web.default.svc
    alias.default.svc IN CNAME web.default.svc
    txt             IN TXT "v=1" "two words"
    $ORIGIN in-addr.arpa.
    20.0.96.10 IN PTR web.default.svc.cluster.local.
    """

    @Test func parsesDirectivesRelativeNamesAndComments() throws {
        let rrs = try ZoneFile.parse(Self.zone, origin: nil)
        #expect(rrs.count == 9)
        #expect(rrs[0] == ResourceRecord(name: "cluster.local", ttl: 30, data: .soa(sampleSOA)))
        let expected: [ResourceRecord] = [
            ResourceRecord(name: "cluster.local", ttl: 30, data: .ns("ns.dns.cluster.local")),
            ResourceRecord(name: "ns.dns.cluster.local", ttl: 30, data: .a(IPv4Address(10, 96, 0, 10))),
            ResourceRecord(name: "web.default.svc.cluster.local", ttl: 5, data: .a(IPv4Address(10, 96, 0, 20))),
            ResourceRecord(name: "web.default.svc.cluster.local", ttl: 5, data: .aaaa(IPv6Address("fd00::20")!)),
            ResourceRecord(name: "_http._tcp.web.default.svc.cluster.local", ttl: 30,
                           data: .srv(SRVData(priority: 0, weight: 100, port: 80, target: "web.default.svc.cluster.local"))),
            ResourceRecord(name: "alias.default.svc.cluster.local", ttl: 30, data: .cname("web.default.svc.cluster.local")),
            ResourceRecord(name: "txt.cluster.local", ttl: 30, data: .txt("v=1", "two words")),
            ResourceRecord(name: "20.0.96.10.in-addr.arpa", ttl: 30, data: .ptr("web.default.svc.cluster.local")),
        ]
        #expect(Array(rrs.dropFirst()) == expected)
    }

    @Test func originParameterAndAt() throws {
        let rrs = try ZoneFile.parse("@ 10 IN A 192.0.2.1\nwww 10 IN CNAME @\n", origin: "example.com")
        #expect(rrs == [
            ResourceRecord(name: "example.com", ttl: 10, data: .a(IPv4Address(192, 0, 2, 1))),
            ResourceRecord(name: "www.example.com", ttl: 10, data: .cname("example.com")),
        ])
    }

    @Test func nilOriginMeansRoot() throws {
        let rrs = try ZoneFile.parse("www.example 10 IN A 192.0.2.1\n", origin: nil)
        #expect(rrs[0].name == "www.example")
    }

    @Test func ttlInheritanceWithoutTTLDirective() throws {
        // RFC 1035 §5.1: without $TTL, an omitted TTL is the last one stated
        let text = """
        $ORIGIN example.
        @ 600 IN SOA ns hostmaster 1 2 3 4 5
        a IN A 192.0.2.1
        b 20 IN A 192.0.2.2
        c IN A 192.0.2.3
        $TTL 90
        d IN A 192.0.2.4
        e 7 IN A 192.0.2.5
        f IN A 192.0.2.6
        """
        let ttls = try ZoneFile.parse(text, origin: nil, defaultTTL: 1234).map { "\($0.name.labels.first ?? "@")=\($0.ttl)" }
        // after $TTL, an omitted TTL is the $TTL value (RFC 2308 §4), not the last one stated
        #expect(ttls == ["example=600", "a=600", "b=20", "c=20", "d=90", "e=7", "f=90"])
    }

    @Test func defaultTTLWhenNothingStated() throws {
        let rrs = try ZoneFile.parse("a.example. IN A 192.0.2.1\n", origin: nil, defaultTTL: 42)
        #expect(rrs[0].ttl == 42)
    }

    @Test func ttlZeroIsKept() throws {
        // ldns on its own turns a default TTL of 0 into 3600
        #expect(try ZoneFile.parse("$TTL 0\na IN A 192.0.2.1\nb 5 IN A 192.0.2.2\nc IN A 192.0.2.3\n",
                                   origin: "ex").map(\.ttl) == [0, 5, 0])
        #expect(try ZoneFile.parse("a IN A 192.0.2.1\n", origin: "ex", defaultTTL: 0).map(\.ttl) == [0])
        #expect(try ZoneFile.parse("a 0 IN A 192.0.2.1\nb IN A 192.0.2.2\n", origin: "ex").map(\.ttl) == [0, 0])
        #expect(try ResourceRecord(presentation: "a IN A 192.0.2.1", defaultTTL: 0).ttl == 0)
    }

    @Test func ownerOmittedRepeatsPrevious() throws {
        let rrs = try ZoneFile.parse("a 1 IN A 192.0.2.1\n  1 IN A 192.0.2.2\n", origin: "example")
        #expect(rrs.map(\.name) == ["a.example", "a.example"])
    }

    @Test func onlyFirstSOAIsKeptAndComesFirst() throws {
        let text = """
        a 1 IN A 192.0.2.1
        @ 1 IN SOA ns h 1 2 3 4 5
        @ 1 IN SOA ns h 9 9 9 9 9
        """
        let rrs = try ZoneFile.parse(text, origin: "example")
        #expect(rrs.count == 2)
        #expect(rrs[0].type == .soa)
        #expect(rrs.filter { $0.type == .soa }.count == 1)
        if case .soa(let soa) = rrs[0].data { #expect(soa.serial == 1) } else { Issue.record("no SOA") }
    }

    @Test func emptyAndCommentOnlyText() throws {
        #expect(try ZoneFile.parse("", origin: nil).isEmpty)
        #expect(try ZoneFile.parse("; nothing\n\n   \n", origin: nil).isEmpty)
    }

    @Test(arguments: [
        ("a 1 IN A 192.0.2.1\nb 1 IN A 192.0.2.999\nc 1 IN A 192.0.2.3\n", 2),
        ("a 1 IN A 192.0.2.1\nb 1 IN A 192.0.2.999", 2),
        ("; c\n\n@ IN SOA ns h (\n 1\n 2\n 3\n 4\n x )\nc 1 IN A 192.0.2.4\n", 8),
        ("@ IN SOA ns h ( 1 2 3 4 5 )\nc 1 IN A 1.2.3.4\n\n\nd IN BOGUS 1\n", 5),
        ("a 1 IN A 192.0.2.1\n$INCLUDE other.zone\n", 2),
        ("a 1 IN A 192.0.2.1\n\n\nb 1 IN A \\# 2 0102\n", 4),        // ldns accepts, our A decoder does not
        ("$ORIGIN example.\na 1 IN MX 10\n", 2),
    ])
    func errorNamesTheLine(_ text: String, _ line: Int) {
        do {
            _ = try ZoneFile.parse(text, origin: "example", source: "test.zone")
            Issue.record("no error for \(text)")
        } catch {
            #expect(error.line == line)
            #expect(error.message.contains("test.zone"))
            #expect(error.description.hasPrefix("line \(line): "))
        }
    }

    @Test func renderIsSOAFirstThenCanonicalOrder() throws {
        let records = [
            ResourceRecord(name: "b.example", ttl: 1, data: .a(IPv4Address(192, 0, 2, 2))),
            ResourceRecord(name: "Z.a.example", ttl: 1, data: .a(IPv4Address(192, 0, 2, 3))),
            ResourceRecord(name: "a.example", ttl: 1, data: .txt("x")),
            ResourceRecord(name: "a.example", ttl: 1, data: .a(IPv4Address(192, 0, 2, 9))),
            ResourceRecord(name: "a.example", ttl: 1, data: .a(IPv4Address(192, 0, 2, 1))),
            ResourceRecord(name: "example", ttl: 1, data: .soa(SOAData(mname: "ns.example", rname: "h.example",
                                                                       serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5))),
            ResourceRecord(name: "example", ttl: 1, data: .ns("ns.example")),
        ]
        let text = ZoneFile.render(records)
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines == [
            "example.\t1\tIN\tSOA\tns.example. h.example. 1 2 3 4 5",
            "example.\t1\tIN\tNS\tns.example.",
            "a.example.\t1\tIN\tA\t192.0.2.1",
            "a.example.\t1\tIN\tA\t192.0.2.9",
            "a.example.\t1\tIN\tTXT\t\"x\"",
            "Z.a.example.\t1\tIN\tA\t192.0.2.3",
            "b.example.\t1\tIN\tA\t192.0.2.2",
        ])
        #expect(ZoneFile.render(records, origin: "example").hasPrefix("$ORIGIN example.\n"))
    }

    @Test func renderThenParseGivesTheSameRecords() throws {
        let parsed = try ZoneFile.parse(Self.zone, origin: nil)
        let all = parsed + sampleRecords.filter { $0.type != .soa } + [
            ResourceRecord(name: DomainName(uncheckedWire: [3, 0, 0x2E, 0xFF, 0]), ttl: 9, data: .txt([[0, 0x22, 0x5C, 0xFF]])),
            ResourceRecord(name: "ch.example", class: .chaos, ttl: 0, data: .txt("chaos")),
            ResourceRecord(name: DomainName(uncheckedWire: [13, 0x20, 0x28, 0x29, 0x3B, 0x40, 0x24, 0x22, 0x5C, 9, 10, 0x41, 0x61, 0x7F, 0]),
                           ttl: 9, data: .txt([[0, 0x22, 0x5C, 0xFF, 0x3B, 0x28, 0x0A]])),
            ResourceRecord(name: "$TTL.example", ttl: 1, data: .mx(preference: 5, exchange: "@.example")),
        ]
        for origin: DomainName? in [nil, "cluster.local"] {
            let text = ZoneFile.render(all, origin: origin)
            let back = try ZoneFile.parse(text, origin: nil)
            #expect(Set(back) == Set(all))
            #expect(back.count == all.count)
            #expect(back.first?.type == .soa)
            #expect(ZoneFile.render(back, origin: origin) == text)
        }
    }

    @Test func loadFromFile() throws {
        let path = "/tmp/dnswire-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).zone"
        defer { unlink(path) }
        let text = "$ORIGIN example.\n@ 60 IN SOA ns h 1 2 3 4 5\nwww IN A 192.0.2.1\nbad IN A nope\n"
        let file = try #require(fopen(path, "w"))
        _ = text.withCString { fputs($0, file) }
        fclose(file)
        do {
            _ = try ZoneFile.load(path: path, origin: nil)
            Issue.record("no error")
        } catch {
            #expect(error.line == 4)
            #expect(error.message.contains(path))
        }
        let good = try #require(fopen(path, "w"))
        _ = Self.zone.withCString { fputs($0, good) }
        fclose(good)
        #expect(try ZoneFile.load(path: path, origin: nil) == ZoneFile.parse(Self.zone, origin: nil))
    }

    @Test func loadMissingFileNamesThePath() {
        do {
            _ = try ZoneFile.load(path: "/nonexistent/dir/x.zone", origin: nil)
            Issue.record("no error")
        } catch {
            #expect(error.message.contains("/nonexistent/dir/x.zone"))
        }
    }

    @Test func concurrentParsesAreIndependent() async throws {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 { group.addTask { try ZoneFile.parse(Self.zone, origin: nil).count } }
            for try await n in group { #expect(n == 9) }
        }
    }
}

/// Inputs the fuzzer once crashed on, kept as regression cases (Fuzz/corpus holds the bytes).
@Suite("Fuzzer regressions")
struct FuzzRegressionTests {
    @Test("$ORIGIN with more than one token is refused, not folded into every owner")
    func originTokens() throws {
        let text = "$ORIGIN example.test. 2262101501 3600\nwww IN A 192.0.2.1\n"
        #expect(throws: WireError.self) { try ZoneFile.parse(text, origin: nil) }
        #expect(try ZoneFile.parse("$ORIGIN example.test. ; fine\nwww IN A 192.0.2.1\n", origin: nil).count == 1)
    }

    @Test("a NUL byte in zone text is refused with its line, not misread by ldns")
    func nulByte() throws {
        let text = "; comment\n$ORIGIN example.test.\u{0}junk\nwww IN A 192.0.2.1\n"
        #expect(throws: WireError.self) { try ZoneFile.parse(text, origin: "example.test.") }
        do {
            _ = try ZoneFile.parse(text, origin: "example.test.")
        } catch {
            #expect(error.line == 2)
        }
    }
}

@Suite("Fuzzer regressions, zone types")
struct FuzzRegressionTypeTests {
    @Test("a record ldns reads as TYPE0 (a mistyped mnemonic like SOA0) is refused")
    func typeZero() {
        #expect(throws: WireError.self) { try ZoneFile.parse("@ IN SOA0\n", origin: "example.test.") }
    }
}
