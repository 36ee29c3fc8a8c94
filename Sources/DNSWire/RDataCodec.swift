import DNSModel

/// Reads and writes RDATA for the types `RData` models; everything else stays opaque (RFC 3597).
enum RDataCodec {
    /// Decodes RDATA of `type` that sits at `reader.offset` and runs for `length` octets.
    /// Names inside RDATA may be compressed (RFC 1035 §3.3, RFC 3597 §4 for the well-known types).
    static func decode(type: RecordType, length: Int, from reader: inout ByteReader) throws(WireError) -> RData {
        let end = reader.offset + length
        guard length >= 0, end <= reader.bytes.count else { throw WireError("RDATA runs past the message") }
        var r = reader
        let data: RData
        switch type {
        case .a:
            guard length == 4 else { throw WireError("A RDATA is not 4 octets") }
            data = .a(IPv4Address(try r.u8(), try r.u8(), try r.u8(), try r.u8()))
        case .aaaa:
            guard length == 16 else { throw WireError("AAAA RDATA is not 16 octets") }
            data = .aaaa(IPv6Address(bytes: try r.take(16)))
        case .ns: data = .ns(try r.name())
        case .cname: data = .cname(try r.name())
        case .ptr: data = .ptr(try r.name())
        case .mx: data = .mx(preference: try r.u16(), exchange: try r.name())
        case .soa:
            data = .soa(SOAData(mname: try r.name(), rname: try r.name(), serial: try r.u32(),
                                refresh: try r.u32(), retry: try r.u32(), expire: try r.u32(), minimum: try r.u32()))
        case .srv:
            data = .srv(SRVData(priority: try r.u16(), weight: try r.u16(), port: try r.u16(), target: try r.name()))
        case .txt:
            var strings: [[UInt8]] = []
            while r.offset < end {
                let n = Int(try r.u8())
                guard r.offset + n <= end else { throw WireError("TXT string runs past its RDATA") }
                strings.append(try r.take(n))
            }
            data = .txt(strings)
        default:
            data = .unknown(type: type, data: try r.take(length))
        }
        guard r.offset == end else { throw WireError("\(type) RDATA length does not match its content") }
        reader.offset = end
        return data
    }

    /// Decodes uncompressed RDATA held on its own.
    static func decode(type: RecordType, rdata: [UInt8]) throws(WireError) -> RData {
        try ByteReader.reading(rdata) { (raw) throws(WireError) -> RData in
            var reader = ByteReader(raw)
            return try decode(type: type, length: rdata.count, from: &reader)
        }
    }

    /// Uncompressed RDATA (the form zone files, RFC 3597 and DNSSEC canonical order use).
    static func encode(_ data: RData) -> [UInt8] {
        var w = MessageWriter(capacity: 64, compress: false)
        w.rdata(data)
        return w.bytes
    }
}

extension RData {
    /// The RDATA in canonical form (RFC 4034 §6.2): names uncompressed and lower-cased (NS, CNAME,
    /// PTR, MX, SOA and SRV are in §6.2's list), the rest as on the wire. Canonical RR ordering
    /// (§6.3) sorts the records of one name and type by this, as left-justified octet strings.
    public var canonicalWire: [UInt8] {
        let folded: RData
        switch self {
        case .ns(let n): folded = .ns(n.lowercased())
        case .cname(let n): folded = .cname(n.lowercased())
        case .ptr(let n): folded = .ptr(n.lowercased())
        case .mx(let preference, let exchange): folded = .mx(preference: preference, exchange: exchange.lowercased())
        case .soa(var s):
            s.mname = s.mname.lowercased(); s.rname = s.rname.lowercased()
            folded = .soa(s)
        case .srv(var s):
            s.target = s.target.lowercased()
            folded = .srv(s)
        case .a, .aaaa, .txt, .unknown: folded = self
        }
        var writer = MessageWriter(capacity: 32, compress: false)
        writer.rdata(folded)
        return writer.bytes
    }
}
