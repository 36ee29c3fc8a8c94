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
    /// The leading `bits` bits of the address, the rest zero.
    package let prefix: [UInt8]

    /// The branch of the first `bits` bits of `bytes` (4 or 16 octets).
    package init(v6: Bool, bits: Int, of bytes: [UInt8]) {
        self.v6 = v6
        self.bits = UInt8(bits)
        prefix = bytes.indices.map { i in
            let keep = max(0, min(8, bits - 8 * i))
            return keep == 0 ? 0 : bytes[i] & UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
        }
    }

    /// Every branch above `address`: 3 for IPv4, 31 for IPv6.
    static func above(_ address: IPAddress) -> [ReverseBranch] {
        switch address {
        case .v4(let a): [8, 16, 24].map { ReverseBranch(v6: false, bits: $0, of: a.bytes) }
        case .v6(let a): stride(from: 4, through: 124, by: 4).map { ReverseBranch(v6: true, bits: $0, of: a.bytes) }
        }
    }
}

/// How many indexed addresses lie below each `ReverseBranch` (writer side), and the branches with
/// any (published with each snapshot; changed only when a branch gains its first address or loses
/// its last, so a change that keeps addresses, such as a readiness flip, copies nothing).
struct ReverseBranchIndex {
    private var counts: [ReverseBranch: Int] = [:]
    private(set) var branches: Set<ReverseBranch> = []

    /// An address appeared in one of the address indexes (`added`) or left one.
    mutating func note(_ address: IPAddress, added: Bool) {
        for branch in ReverseBranch.above(address) {
            let n = (counts[branch] ?? 0) + (added ? 1 : -1)
            if n <= 0 {
                counts[branch] = nil
                branches.remove(branch)
            } else {
                if counts[branch] == nil { branches.insert(branch) }
                counts[branch] = n
            }
        }
    }
}
