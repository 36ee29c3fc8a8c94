import Testing
import DNSModel

/// The text forms of addresses: dotted quads, and the dashed label CoreDNS gives an endpoint
/// without a hostname (`10-1-2-3`, `fd00--1`; spec §2.4.1 leaves that label free).
struct IPAddressTextTests {
    @Test("IPv4 text and dashed forms, every digit count", arguments: [
        ("0.0.0.0", "0-0-0-0"), ("10.1.2.3", "10-1-2-3"), ("192.168.100.9", "192-168-100-9"),
        ("255.255.255.255", "255-255-255-255"), ("1.20.100.200", "1-20-100-200"), ("99.10.9.0", "99-10-9-0"),
    ])
    func ipv4(text: String, dashed: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == text)
        #expect(address.dashed == dashed)
    }

    @Test("every IPv4 octet prints as its decimal number")
    func everyOctet() throws {
        for octet in 0...255 {
            let text = "\(octet).\(255 - octet).\(octet / 2).\(octet % 10)"
            let address = try #require(IPAddress(text))
            #expect(address.description == text)
            #expect(address.dashed == "\(octet)-\(255 - octet)-\(octet / 2)-\(octet % 10)")
        }
    }

    @Test("IPv4 text that is not a dotted quad of decimal octets is refused", arguments: [
        "", ".", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.00", "256.1.1.1", "1.2.3.1000", "1..2.3", "1.2.3.",
        ".1.2.3", "1.2.3.4 ", " 1.2.3.4", "+1.2.3.4", "1.2.3.0x1", "1.2.3.\u{0661}", "\u{FF11}.2.3.4", "1.2.3.-4",
    ])
    func ipv4Refused(text: String) {
        #expect(IPv4Address(text) == nil)
        #expect(IPAddress(text) == nil)
    }

    @Test("IPv4 text from a substring")
    func ipv4Substring() throws {
        let line = "addr=10.0.0.255;"
        let text = line.dropFirst(5).dropLast()
        #expect(try #require(IPv4Address(text)).description == "10.0.0.255")
    }

    @Test("IPv6 dashed form: colons become dashes, a leading or trailing one gets a 0")
    func ipv6() throws {
        #expect(try #require(IPAddress("fd00::1")).dashed == "fd00--1")
        #expect(try #require(IPAddress("::1")).dashed == "0--1")
        #expect(try #require(IPAddress("fd00::")).dashed == "fd00--0")
    }
}
