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

    @Test("IPv6 dashed form: colons become dashes, a leading or trailing one gets a 0")
    func ipv6() throws {
        #expect(try #require(IPAddress("fd00::1")).dashed == "fd00--1")
        #expect(try #require(IPAddress("::1")).dashed == "0--1")
        #expect(try #require(IPAddress("fd00::")).dashed == "fd00--0")
    }
}
