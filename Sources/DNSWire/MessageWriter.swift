#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif
import DNSModel

/// Appends DNS wire data to a byte array, compressing names (RFC 1035 §4.1.4) when asked.
struct MessageWriter {
    private(set) var bytes: [UInt8]
    let compress: Bool
    /// Names (and their suffixes) already written, for compression pointers: where each starts
    /// and how long it is uncompressed, so only suffixes of the same length are compared.
    private var names: [(offset: Int, length: Int)] = []

    init(capacity: Int, compress: Bool = true) {
        bytes = []
        bytes.reserveCapacity(capacity)
        names.reserveCapacity(16)
        self.compress = compress
    }

    var count: Int { bytes.count }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xFF)) }
    mutating func u32(_ v: UInt32) {
        bytes.append(UInt8(v >> 24)); bytes.append(UInt8((v >> 16) & 0xFF))
        bytes.append(UInt8((v >> 8) & 0xFF)); bytes.append(UInt8(v & 0xFF))
    }
    mutating func u64(_ v: UInt64) { u32(UInt32(truncatingIfNeeded: v >> 32)); u32(UInt32(truncatingIfNeeded: v)) }
    mutating func append(_ data: [UInt8]) { bytes.append(contentsOf: data) }

    mutating func set16(_ v: UInt16, at offset: Int) {
        bytes[offset] = UInt8(v >> 8); bytes[offset + 1] = UInt8(v & 0xFF)
    }

    /// Drops everything written from `offset` on (used to cut a message at a record boundary).
    mutating func truncate(to offset: Int) {
        bytes.removeSubrange(offset...)
        names.removeAll { $0.offset >= offset }
    }

    /// Writes `name`, replacing its longest already-written suffix with a pointer.
    mutating func name(_ name: DomainName, compressible: Bool = true) {
        let wire = name.wire
        guard compress, compressible else { bytes.append(contentsOf: wire); return }
        var pos = 0
        while pos < wire.count, wire[pos] != 0 {
            if let target = find(wire, from: pos) {
                u16(0xC000 | UInt16(target))
                return
            }
            if bytes.count < 0x3FFF { names.append((bytes.count, wire.count - pos)) }
            let n = Int(wire[pos])
            bytes.append(contentsOf: wire[pos...(pos + n)])
            pos += 1 + n
        }
        bytes.append(0)
    }

    /// Finds an earlier occurrence of the suffix `wire[from...]`, comparing case-insensitively.
    private func find(_ wire: [UInt8], from: Int) -> Int? {
        let length = wire.count - from
        for name in names where name.length == length && equalsSuffix(wire, from: from, at: name.offset) {
            return name.offset
        }
        return nil
    }

    /// True when the (possibly compressed) name written at `at` spells `wire[from...]`.
    private func equalsSuffix(_ wire: [UInt8], from: Int, at: Int) -> Bool {
        var i = from, j = at
        var hops = 0
        while true {
            guard j < bytes.count else { return false }
            var len = bytes[j]
            if len & 0xC0 == 0xC0 {
                hops += 1
                guard hops < 64, j + 1 < bytes.count else { return false }
                j = Int(len & 0x3F) << 8 | Int(bytes[j + 1])
                continue
            }
            guard wire[i] == len else { return false }
            if len == 0 { return true }
            len = len & 0x3F
            guard j + Int(len) < bytes.count else { return false }
            // Same case first (names we build are lower-case), else compare folding ASCII case.
            let same = wire.withUnsafeBufferPointer { a in
                bytes.withUnsafeBufferPointer { b in memcmp(a.baseAddress! + i + 1, b.baseAddress! + j + 1, Int(len)) == 0 }
            }
            if !same {
                for k in 1...Int(len) where DomainName.lower(wire[i + k]) != DomainName.lower(bytes[j + k]) {
                    return false
                }
            }
            i += 1 + Int(len); j += 1 + Int(len)
        }
    }

    /// Writes RDATA (without the RDLENGTH). Names in NS, CNAME, PTR, MX and SOA may be compressed
    /// (RFC 3597 §4); SRV targets must not be (RFC 2782).
    mutating func rdata(_ data: RData) {
        switch data {
        case .a(let a): u32(a.value)
        case .aaaa(let a): u64(a.high); u64(a.low)
        case .ns(let n), .cname(let n), .ptr(let n): name(n)
        case .mx(let pref, let exchange): u16(pref); name(exchange)
        case .soa(let s):
            name(s.mname); name(s.rname)
            u32(s.serial); u32(s.refresh); u32(s.retry); u32(s.expire); u32(s.minimum)
        case .srv(let s):
            u16(s.priority); u16(s.weight); u16(s.port); name(s.target, compressible: false)
        case .txt(let strings):
            for s in strings { u8(UInt8(min(s.count, 255))); append(Array(s.prefix(255))) }
        case .unknown(_, let d): append(d)
        }
    }

    /// Writes a whole resource record.
    mutating func record(_ rr: ResourceRecord) {
        name(rr.name)
        u16(rr.type.rawValue); u16(rr.class.rawValue); u32(rr.ttl)
        let lengthAt = bytes.count
        u16(0)
        rdata(rr.data)
        set16(UInt16(bytes.count - lengthAt - 2), at: lengthAt)
    }
}
