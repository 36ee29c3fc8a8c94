#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 address (RFC 791), four octets in network order.
public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The four octets, first to last.
    public let octets: (UInt8, UInt8, UInt8, UInt8)
    /// The address `a.b.c.d`.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) { octets = (a, b, c, d) }

    /// Parses dotted-quad text; nil for anything else (no leading zeros, no shortened forms).
    /// Read from the UTF-8 bytes in one pass, without allocating (every Pod, Service and
    /// EndpointSlice address in a manifest or API list is parsed here).
    public init?(_ text: some StringProtocol) {
        var value: UInt32 = 0                    // the octets so far, most significant first
        var parts = 0, octet = 0, digits = 0
        for c in text.utf8 {
            if c == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | UInt32(octet)
                parts += 1; octet = 0; digits = 0
            } else {
                // Decimal digits only, at most three, no leading zero, at most 255.
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9"), digits < 3,
                      !(digits == 1 && octet == 0) else { return nil }
                octet = octet * 10 + Int(c - UInt8(ascii: "0"))
                digits += 1
                guard octet <= 255 else { return nil }
            }
        }
        guard parts == 3, digits > 0 else { return nil }
        value = value << 8 | UInt32(octet)
        octets = (UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
                  UInt8(truncatingIfNeeded: value))
    }

    /// The four octets as an array.
    public var bytes: [UInt8] { [octets.0, octets.1, octets.2, octets.3] }

    /// Dotted-quad text.
    public var description: String { joined(by: UInt8(ascii: ".")) }

    /// The four octets in decimal joined by `separator` (`.` for the text form, `-` for a DNS
    /// label), written into 16 bytes on the stack: at most 15 characters, a small string, so no
    /// allocation (interpolating, then re-mapping the dots, was 10 % of a readiness flip whose pod
    /// has no hostname).
    func joined(by separator: UInt8) -> String {
        var scratch: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &scratch) { buffer in
            var n = 0
            withUnsafeBytes(of: octets) { octets in
                for (i, octet) in octets.enumerated() {
                    if i > 0 { buffer[n] = separator; n += 1 }
                    if octet >= 100 { buffer[n] = 0x30 + octet / 100; n += 1 }
                    if octet >= 10 { buffer[n] = 0x30 + octet / 10 % 10; n += 1 }
                    buffer[n] = 0x30 + octet % 10; n += 1
                }
            }
            return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[..<n]), as: UTF8.self)
        }
    }

    /// The reverse-lookup name `d.c.b.a.in-addr.arpa.` (RFC 1035 §3.5).
    public var reverseName: DomainName {
        DomainName("\(octets.3).\(octets.2).\(octets.1).\(octets.0).in-addr.arpa.")!
    }

    /// The address as one big-endian number: compared and hashed without allocating.
    @inlinable public var value: UInt32 {
        UInt32(octets.0) << 24 | UInt32(octets.1) << 16 | UInt32(octets.2) << 8 | UInt32(octets.3)
    }

    /// Equal when the addresses are.
    @inlinable public static func == (a: Self, b: Self) -> Bool { a.value == b.value }
    /// Hashes the address.
    @inlinable public func hash(into h: inout Hasher) { h.combine(value) }
    /// Numeric order.
    @inlinable public static func < (a: Self, b: Self) -> Bool { a.value < b.value }
}

/// An IPv6 address (RFC 4291), sixteen octets in network order.
public struct IPv6Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Octets 0–7 (`high`) and 8–15 (`low`) as big-endian numbers: an address is two words, not
    /// a heap array, so comparing, hashing and copying one never allocates or reference-counts.
    public let high: UInt64, low: UInt64

    /// Wraps sixteen octets; traps on any other count.
    public init(bytes: some Collection<UInt8>) {
        precondition(bytes.count == 16, "IPv6 address needs 16 octets")
        var high: UInt64 = 0, low: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { high = high << 8 | UInt64(b) } else { low = low << 8 | UInt64(b) }
        }
        self.high = high; self.low = low
    }

    /// The sixteen octets in network order.
    public var bytes: [UInt8] {
        (0..<16).map { i in UInt8(truncatingIfNeeded: (i < 8 ? high : low) >> (8 * (7 - UInt64(i % 8)))) }
    }

    /// Parses RFC 4291 §2.2 text (`2001:db8::1`, `::ffff:10.0.0.1`); no zone index.
    public init?(_ text: some StringProtocol) {
        let s = String(text)
        guard s.contains(":"), !s.contains("%"), s.utf8.count <= 45 else { return nil }
        var addr = in6_addr()
        guard inet_pton(AF_INET6, s, &addr) == 1 else { return nil }
        self.init(bytes: withUnsafeBytes(of: &addr) { Array($0) })
    }

    /// RFC 5952 canonical text.
    public var description: String {
        var addr = in6_addr()
        withUnsafeMutableBytes(of: &addr) { $0.copyBytes(from: bytes) }
        var buf = [CChar](repeating: 0, count: 64)
        guard inet_ntop(AF_INET6, &addr, &buf, 64) != nil else { return "::" }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The nibble-reversed name under `ip6.arpa.` (RFC 3596 §2.5).
    public var reverseName: DomainName {
        let hex = Array("0123456789abcdef")
        var labels: [String] = []
        for b in bytes.reversed() {
            labels.append(String(hex[Int(b & 0xF)]))
            labels.append(String(hex[Int(b >> 4)]))
        }
        return DomainName(labels: labels + ["ip6", "arpa"])!
    }

    /// Numeric order.
    @inlinable public static func < (a: Self, b: Self) -> Bool { (a.high, a.low) < (b.high, b.low) }
}

/// An IPv4 or IPv6 address.
public enum IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// An IPv4 address.
    case v4(IPv4Address)
    /// An IPv6 address.
    case v6(IPv6Address)

    /// Parses either family's text form.
    public init?(_ text: some StringProtocol) {
        if let v4 = IPv4Address(text) { self = .v4(v4) }
        else if let v6 = IPv6Address(text) { self = .v6(v6) }
        else { return nil }
    }

    /// The text form (RFC 5952 for IPv6).
    public var description: String {
        switch self { case .v4(let a): a.description; case .v6(let a): a.description }
    }

    /// The reverse-lookup name of this address.
    public var reverseName: DomainName {
        switch self { case .v4(let a): a.reverseName; case .v6(let a): a.reverseName }
    }

    /// The label CoreDNS uses for an endpoint without a hostname (`10-1-2-3`, `fd00--1`).
    public var dashed: String {
        switch self {
        case .v4(let a): return a.joined(by: UInt8(ascii: "-"))
        case .v6(let a):
            var s = a.description.replacingAll(":", with: "-")
            if s.hasSuffix("-") { s += "0" }
            if s.hasPrefix("-") { s = "0" + s }
            return s
        }
    }

    /// IPv4 before IPv6, then numeric order.
    public static func < (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.v4(let x), .v4(let y)): x < y
        case (.v6(let x), .v6(let y)): x < y
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }

    /// Parses the reverse-lookup name of an address (`4.3.2.1.in-addr.arpa.` or 32 nibbles under `ip6.arpa.`).
    public init?(reverseName name: DomainName) {
        let labels = name.lowercased().labels
        if labels.count == 6, labels[4] == "in-addr", labels[5] == "arpa" {
            guard let v4 = IPv4Address(labels[0..<4].reversed().joined(separator: ".")) else { return nil }
            self = .v4(v4)
        } else if labels.count == 34, labels[32] == "ip6", labels[33] == "arpa" {
            var bytes: [UInt8] = []
            let nibbles = labels[0..<32].reversed().compactMap { $0.count == 1 ? UInt8($0, radix: 16) : nil }
            guard nibbles.count == 32 else { return nil }
            for i in stride(from: 0, to: 32, by: 2) { bytes.append(nibbles[i] << 4 | nibbles[i + 1]) }
            self = .v6(IPv6Address(bytes: bytes))
        } else {
            return nil
        }
    }
}

extension String {
    func replacingAll(_ a: Character, with b: Character) -> String {
        String(map { $0 == a ? b : $0 })
    }
}
