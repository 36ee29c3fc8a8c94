import DNSModel

/// An address block such as `127.0.0.0/8` or `::1/128` (RFC 4632 notation).
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    public let network: [UInt8]
    public let prefixLength: Int

    /// Parses `address/length`, or a bare address as a host route.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let address = IPAddress(first) else { return nil }
        let bytes = address.octets
        let length = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
        guard let length, length >= 0, length <= bytes.count * 8 else { return nil }
        network = bytes; prefixLength = length
    }

    /// True when `address` lies in this block (families must match).
    public func contains(_ address: IPAddress) -> Bool {
        let bytes = address.octets
        guard bytes.count == network.count else { return false }
        var bits = prefixLength
        for i in 0..<bytes.count where bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if bytes[i] & mask != network[i] & mask { return false }
            bits -= 8
        }
        return true
    }

    public var description: String {
        let addr: IPAddress = network.count == 4
            ? .v4(IPv4Address(network[0], network[1], network[2], network[3])) : .v6(IPv6Address(bytes: network))
        return "\(addr)/\(prefixLength)"
    }

    /// Loopback in both families: the default `--transfer-allow`.
    public static let loopback: [CIDR] = [CIDR("127.0.0.0/8")!, CIDR("::1/128")!]
}

extension IPAddress {
    /// The address octets in network order.
    var octets: [UInt8] {
        switch self { case .v4(let a): a.bytes; case .v6(let a): a.bytes }
    }
}
