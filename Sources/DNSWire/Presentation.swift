internal import CLDNS
import DNSModel

extension ResourceRecord {
    /// Parses one RR in zone-file text (RFC 1035 §5.1) with libldns, e.g.
    /// `web.default.svc.cluster.local. 30 IN A 10.0.0.1`. Relative names (and `@`) are taken
    /// relative to `origin`, or to the root when it is nil; a missing TTL becomes `defaultTTL`
    /// (ldns substitutes its own default of 3600 for 0).
    public init(presentation text: String, origin: DomainName? = nil, defaultTTL: UInt32 = 3600) throws(WireError) {
        guard let originRDF = LDNS.rdf(origin ?? .root) else { throw WireError("out of memory") }
        defer { ldns_rdf_deep_free(originRDF) }
        var rr: UnsafeMutablePointer<ldns_rr>? = nil
        let status = ldns_rr_new_frm_str(&rr, text, defaultTTL, originRDF, nil)
        guard status == LDNS_STATUS_OK, let rr else {
            if let rr { ldns_rr_free(rr) }
            throw WireError(status == LDNS_STATUS_OK ? "no record in the text" : LDNS.errorText(status))
        }
        defer { ldns_rr_free(rr) }
        self = try LDNS.record(rr)
    }

    /// The record as one RFC 1035 master-file line, as libldns prints it (fields separated by
    /// tabs, absolute names, no trailing newline). Records ldns cannot read back (RDATA that does
    /// not fit the type) are printed in the RFC 3597 generic form.
    public var presentation: String {
        var w = MessageWriter(capacity: 64, compress: false)
        w.record(self)
        if let line = LDNS.presentation(wire: w.bytes) { return line }
        let rdata = RDataCodec.encode(data)
        let hex = rdata.map { b in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
        return "\(name)\t\(ttl)\t\(self.class)\tTYPE\(type.rawValue)\t\\# \(rdata.count)"
            + (hex.isEmpty ? "" : " " + hex)
    }
}
