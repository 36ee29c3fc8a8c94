internal import CLDNS
import DNSModel

extension ResourceRecord {
    /// Parses one RR in zone-file text (RFC 1035 §5.1) with libldns, e.g.
    /// `web.default.svc.cluster.local. 30 IN A 10.0.0.1`. Relative names (and `@`) are taken
    /// relative to `origin`, or to the root when it is nil; a missing TTL becomes `defaultTTL`.
    /// A TTL of 4294967295 reads as 0 (RFC 2181 §8: the top bit set means 0).
    public init(presentation text: String, origin: DomainName? = nil, defaultTTL: UInt32 = 3600) throws(WireError) {
        guard let originRDF = LDNS.rdf(origin ?? .root) else { throw WireError("out of memory") }
        defer { ldns_rdf_deep_free(originRDF) }
        var rr: UnsafeMutablePointer<ldns_rr>? = nil
        let status = ldns_rr_new_frm_str(&rr, text, LDNS.defaultTTL(defaultTTL), originRDF, nil)
        guard status == LDNS_STATUS_OK, let rr else {
            if let rr { ldns_rr_free(rr) }
            throw WireError(status == LDNS_STATUS_OK ? "no record in the text" : LDNS.errorText(status))
        }
        defer { ldns_rr_free(rr) }
        self = try LDNS.record(rr)
    }

    /// The record as one RFC 1035 master-file line, as libldns prints it (fields separated by
    /// tabs, absolute names, no trailing newline).
    ///
    /// ldns leaves `"`, `$` and `@` in names unescaped, which zone parsers then read as a quote,
    /// a directive or the origin; so the owner is written with `DomainName.description`, and a
    /// record with such a name in its RDATA is written with RFC 3597 generic RDATA (`\# n hex`),
    /// as is RDATA that does not fit its type (ldns cannot print it).
    public var presentation: String {
        var w = MessageWriter(capacity: 64, compress: false)
        w.record(self)
        if !rdataNames.contains(where: \.hasUnsafePresentationByte),
           let line = LDNS.presentation(wire: w.bytes), let tab = line.firstIndex(of: "\t") {
            return name.description + line[tab...]
        }
        let rdata = RDataCodec.encode(data)
        let hex = rdata.map { b in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
        let typeText = RDataCodec.decodesCleanly(type: type, rdata: rdata) ? type.description : "TYPE\(type.rawValue)"
        return "\(name)\t\(ttl)\t\(self.class)\t\(typeText)\t\\# \(rdata.count)" + (hex.isEmpty ? "" : " " + hex)
    }

    /// The domain names inside the RDATA of the types modelled with names.
    private var rdataNames: [DomainName] {
        switch data {
        case .ns(let n), .cname(let n), .ptr(let n): [n]
        case .mx(_, let n): [n]
        case .soa(let s): [s.mname, s.rname]
        case .srv(let s): [s.target]
        default: []
        }
    }
}

extension DomainName {
    /// True when a label holds an octet that ldns prints bare but zone parsers treat specially.
    fileprivate var hasUnsafePresentationByte: Bool {
        labelBytes.contains { label in
            label.contains { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "$") || $0 == UInt8(ascii: "@") }
        }
    }
}

extension RDataCodec {
    /// True when `rdata` is valid for `type`, so the mnemonic may precede generic RDATA.
    static func decodesCleanly(type: RecordType, rdata: [UInt8]) -> Bool {
        (try? decode(type: type, rdata: rdata)) != nil
    }
}
