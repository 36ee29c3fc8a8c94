import DNSModel

/// A node of the reverse tree above full addresses: the first `bits` bits of an address, as
/// `96.10.in-addr.arpa.` (16 bits of an IPv4 address) or a partial `ip6.arpa.` name (4 bits per
/// nibble). Kept for every address the reverse zones know, so that a partial reverse name is
/// known to be an empty non-terminal (RFC 8020: NXDOMAIN there would deny what lies below).
package struct ReverseBranch: Hashable, Sendable {
    /// Whether the address is IPv6.
    package let v6: Bool
    /// How many leading bits: 8, 16 or 24 for IPv4; 4 to 124 in steps of 4 for IPv6.
    package let bits: UInt8
    /// The leading `bits` bits of the address, the rest zero, as two big-endian halves (an IPv4
    /// address in the high half's top 32 bits): inline, no allocation per branch.
    let high: UInt64, low: UInt64

    /// The branch of the first `bits` bits of `bytes` (4 or 16 octets).
    package init(v6: Bool, bits: Int, of bytes: [UInt8]) {
        self.v6 = v6
        self.bits = UInt8(bits)
        var high: UInt64 = 0, low: UInt64 = 0
        for i in 0..<16 {
            let keep = max(0, min(8, bits - 8 * i))
            let byte = i < bytes.count && keep > 0 ? UInt64(bytes[i] & UInt8(truncatingIfNeeded: 0xFF << (8 - keep))) : 0
            if i < 8 { high |= byte << (56 - 8 * UInt64(i)) } else { low |= byte << (56 - 8 * UInt64(i - 8)) }
        }
        self.high = high; self.low = low
    }

    /// Every branch above `address`: 3 for IPv4, 31 for IPv6.
    static func above(_ address: IPAddress) -> [ReverseBranch] {
        switch address {
        case .v4(let a):
            let bytes = a.bytes
            return [8, 16, 24].map { ReverseBranch(v6: false, bits: $0, of: bytes) }
        case .v6(let a):
            let bytes = a.bytes
            return stride(from: 4, through: 124, by: 4).map { ReverseBranch(v6: true, bits: $0, of: bytes) }
        }
    }
}

/// How many indexed addresses lie below each `ReverseBranch` (writer side), and the branches with
/// any (published with each snapshot, sharded like the other published maps; changed only when a
/// branch gains its first address or loses its last, so a change that keeps addresses, such as a
/// readiness flip, touches nothing).
struct ReverseBranchIndex {
    private var counts: [ReverseBranch: Int] = [:]
    private(set) var branches = ShardedDictionary<ReverseBranch, Bool>()

    /// An address appeared in one of the address indexes (`added`) or left one.
    mutating func note(_ address: IPAddress, added: Bool) {
        for branch in ReverseBranch.above(address) {
            let n = (counts[branch] ?? 0) + (added ? 1 : -1)
            if n <= 0 {
                counts[branch] = nil
                branches[branch] = nil
            } else {
                if counts[branch] == nil { branches[branch] = true }
                counts[branch] = n
            }
        }
    }
}
