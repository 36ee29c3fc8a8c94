#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif
import DNSModel

/// Writes DNS wire data into a buffer of its own, compressing names (RFC 1035 §4.1.4) when asked.
///
/// The buffer is a raw allocation written through a pointer, not an `Array` appended to byte by
/// byte: a reply is encoded on every answer-cache miss, and the per-append uniqueness and
/// capacity checks were half of its cost (an A record took ~130 ns). Non-copyable, so the buffer
/// has exactly one owner and is freed with it.
struct MessageWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Bytes written so far.
    private(set) var count = 0
    let compress: Bool
    /// Names (and their suffixes) already written, for compression pointers: where each starts,
    /// how long it is uncompressed (so only suffixes of the same length are compared), and whether
    /// it was written out in full, without a pointer (then one `memcmp` compares it).
    private var names: [(offset: Int, length: Int, literal: Bool)] = []

    init(capacity: Int, compress: Bool = true) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
        self.compress = compress
        if compress { names.reserveCapacity(16) }
    }

    deinit { base.deallocate() }

    /// A copy of the bytes written.
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Claims the next `n` bytes (growing the buffer when needed) and returns where they start.
    @inline(__always)
    private mutating func claim(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if count + n > capacity { grow(to: count + n) }
        defer { count += n }
        return base + count
    }

    private mutating func grow(to needed: Int) {
        var size = capacity * 2
        while size < needed { size *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = size
    }

    mutating func u8(_ v: UInt8) { claim(1).pointee = v }
    mutating func u16(_ v: UInt16) {
        let p = claim(2)
        p[0] = UInt8(v >> 8); p[1] = UInt8(truncatingIfNeeded: v)
    }
    mutating func u32(_ v: UInt32) {
        let p = claim(4)
        p[0] = UInt8(v >> 24); p[1] = UInt8(truncatingIfNeeded: v >> 16)
        p[2] = UInt8(truncatingIfNeeded: v >> 8); p[3] = UInt8(truncatingIfNeeded: v)
    }
    mutating func u64(_ v: UInt64) { u32(UInt32(truncatingIfNeeded: v >> 32)); u32(UInt32(truncatingIfNeeded: v)) }
    mutating func append(_ data: [UInt8]) { data.withUnsafeBufferPointer { append($0) } }
    private mutating func append(_ data: UnsafeBufferPointer<UInt8>) {
        guard let start = data.baseAddress, !data.isEmpty else { return }
        claim(data.count).update(from: start, count: data.count)
    }

    mutating func set16(_ v: UInt16, at offset: Int) {
        precondition(offset >= 0 && offset + 2 <= count, "set16 past the bytes written")
        base[offset] = UInt8(v >> 8); base[offset + 1] = UInt8(truncatingIfNeeded: v)
    }

    /// Drops everything written from `offset` on (used to cut a message at a record boundary).
    mutating func truncate(to offset: Int) {
        precondition(offset >= 0 && offset <= count, "truncate past the bytes written")
        count = offset
        names.removeAll { $0.offset >= offset }
    }

    /// Writes `name`, replacing its longest already-written suffix with a pointer.
    mutating func name(_ name: DomainName, compressible: Bool = true) {
        name.wire.withUnsafeBufferPointer { wire in
            guard compress, compressible else { append(wire); return }
            var pos = 0
            let first = names.count
            while pos < wire.count, wire[pos] != 0 {
                if let target = find(wire, from: pos) {
                    u16(0xC000 | UInt16(target))
                    return
                }
                if count < 0x3FFF { names.append((count, wire.count - pos, false)) }
                let n = Int(wire[pos])
                append(UnsafeBufferPointer(rebasing: wire[pos...(pos + n)]))
                pos += 1 + n
            }
            u8(0)
            // Written out in full: each suffix just recorded is plain bytes up to the root label.
            for k in first..<names.count { names[k].literal = true }
        }
    }

    /// Finds an earlier occurrence of the suffix `wire[from...]`, spelled the same.
    private func find(_ wire: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        let length = wire.count - from
        for name in names where name.length == length {
            if name.literal, memcmp(wire.baseAddress! + from, base + name.offset, length) == 0 { return name.offset }
            if equalsSuffix(wire, from: from, at: name.offset) { return name.offset }
        }
        return nil
    }

    /// True when the (possibly compressed) name written at `at` spells `wire[from...]`.
    private func equalsSuffix(_ wire: UnsafeBufferPointer<UInt8>, from: Int, at: Int) -> Bool {
        var i = from, j = at
        var hops = 0
        while true {
            guard j < count, i < wire.count else { return false }
            var len = base[j]
            if len & 0xC0 == 0xC0 {
                hops += 1
                guard hops < 64, j + 1 < count else { return false }
                j = Int(len & 0x3F) << 8 | Int(base[j + 1])
                continue
            }
            guard wire[i] == len else { return false }
            if len == 0 { return true }
            len = len & 0x3F
            guard j + Int(len) < count, i + Int(len) < wire.count else { return false }
            // Byte for byte, case included: a pointer must not change how a name is spelled (a
            // lower-case SRV target's address record would otherwise take the question's case;
            // names compare case-insensitively, RFC 4343, but a client prints what it gets).
            if memcmp(wire.baseAddress! + i + 1, base + j + 1, Int(len)) != 0 { return false }
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
        let lengthAt = count
        u16(0)
        rdata(rr.data)
        set16(UInt16(count - lengthAt - 2), at: lengthAt)
    }

    /// Writes the records of one section while the message stays within `budget` bytes, adding
    /// each to `written`; false when one did not fit (it is taken out again, and the rest skipped;
    /// with `wholeRRsets`, so are the records of its RRset written before it).
    mutating func records(_ section: [ResourceRecord], budget: Int, written: inout UInt16, wholeRRsets: Bool = false) -> Bool {
        // Where the RRset being written began (its first record's index and offset).
        var setStart = (index: 0, offset: count)
        for i in section.indices {
            let mark = count
            if i > 0, section[i].type != section[i - 1].type || section[i].name != section[i - 1].name {
                setStart = (i, mark)
            }
            record(section[i])
            if count > budget {
                if wholeRRsets, setStart.index < i {
                    // No part of an RRset (RFC 2181 §5, §9): its records already written go too.
                    truncate(to: setStart.offset)
                    written -= UInt16(i - setStart.index)
                } else {
                    truncate(to: mark)
                }
                return false
            }
            written += 1
        }
        return true
    }
}
