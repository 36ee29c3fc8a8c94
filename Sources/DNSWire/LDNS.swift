internal import CLDNS
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif
import DNSModel
internal import Synchronization

/// Small helpers around libldns. Every pointer ldns hands out is freed in the function that got
/// it (defer) or by the `final class` that owns it; no ldns type leaves this module.
enum LDNS {
    /// ldns's text for a status code.
    static func errorText(_ status: ldns_status) -> String {
        if let text = ldns_get_errorstr_by_id(status) { return String(cString: text) }
        return "ldns status \(status.rawValue)"
    }

    /// ldns replaces a default TTL of 0 with 3600, so 0 travels as `UInt32.max` (a TTL with the
    /// top bit set means 0 anyway, RFC 2181 §8) and `record` maps it back.
    static func defaultTTL(_ ttl: UInt32) -> UInt32 { ttl == 0 ? .max : ttl }

    /// A fresh ldns dname holding `name` (caller frees with `ldns_rdf_deep_free`).
    static func rdf(_ name: DomainName) -> UnsafeMutablePointer<ldns_rdf>? {
        name.wire.withUnsafeBytes { ldns_dname_new_frm_data(UInt16($0.count), $0.baseAddress) }
    }

    /// The bytes of an ldns dname as a `DomainName`, nil when it is relative or malformed.
    static func domainName(_ rdf: UnsafePointer<ldns_rdf>?) -> DomainName? {
        guard let rdf, let data = ldns_rdf_data(rdf) else { return nil }
        let bytes = Array(UnsafeBufferPointer(start: data, count: ldns_rdf_size(rdf)))
        guard bytes.count <= DomainName.maxWireLength else { return nil }
        var i = 0
        while i < bytes.count {
            let n = Int(bytes[i])
            if n == 0 { return i == bytes.count - 1 ? DomainName(uncheckedWire: bytes) : nil }
            guard n <= DomainName.maxLabelLength else { return nil }
            i += 1 + n
        }
        return nil                                  // no root label: a relative name
    }

    /// Converts a parsed ldns RR (borrowed) into our model, via its uncompressed RDATA.
    static func record(_ rr: UnsafeMutablePointer<ldns_rr>) throws(WireError) -> ResourceRecord {
        guard let owner = domainName(ldns_rr_owner(rr)) else {
            throw WireError("owner name is not a valid absolute name")
        }
        let type = RecordType(rawValue: UInt16(truncatingIfNeeded: ldns_rr_get_type(rr).rawValue))
        let cls = RecordClass(rawValue: UInt16(truncatingIfNeeded: ldns_rr_get_class(rr).rawValue))
        guard let buffer = ldns_buffer_new(256) else { throw WireError("out of memory") }
        defer { ldns_buffer_free(buffer) }
        let status = ldns_rr_rdata2buffer_wire(buffer, rr)
        guard status == LDNS_STATUS_OK else { throw WireError(errorText(status)) }
        let count = ldns_buffer_position(buffer)
        let rdata = count == 0 ? [] : Array(UnsafeBufferPointer(start: ldns_buffer_begin(buffer), count: count))
        guard rdata.count <= 65535 else { throw WireError("RDATA longer than 65535 octets") }
        let data = try RDataCodec.decode(type: type, rdata: rdata)
        let ttl = ldns_rr_ttl(rr)
        return ResourceRecord(name: owner, class: cls, ttl: ttl == .max ? 0 : ttl, data: data)
    }

    /// ldns's presentation line for one record in uncompressed wire form, nil if ldns refuses it.
    static func presentation(wire: [UInt8]) -> String? {
        var rr: UnsafeMutablePointer<ldns_rr>? = nil
        var pos = 0
        let status = wire.withUnsafeBufferPointer { p in
            ldns_wire2rr(&rr, p.baseAddress, p.count, &pos, LDNS_SECTION_ANSWER)
        }
        guard status == LDNS_STATUS_OK, let rr else {
            if let rr { ldns_rr_free(rr) }
            return nil
        }
        defer { ldns_rr_free(rr) }
        guard pos == wire.count, let text = ldns_rr2str(rr) else { return nil }
        defer { free(text) }
        var line = String(cString: text)
        while let last = line.last, last == "\n" || last == "\r" || last == " " || last == "\t" {
            line.removeLast()
        }
        return line
    }
}

/// Cross-checks against libldns, for tests and fuzzing.
package enum LDNSCheck {
    private static let printLock = Locked(0)   // not Void: a zero-sized value confuses TSan

    /// ldns's `ldns_pkt2str` text for a packet, or nil when `ldns_wire2pkt` rejects it.
    package static func parseWithLDNS(_ wire: [UInt8]) -> String? {
        guard !wire.isEmpty else { return nil }
        var pkt: UnsafeMutablePointer<ldns_pkt>? = nil
        let status = wire.withUnsafeBufferPointer { ldns_wire2pkt(&pkt, $0.baseAddress, $0.count) }
        guard status == LDNS_STATUS_OK, let pkt else {
            if let pkt { ldns_pkt_free(pkt) }
            return nil
        }
        defer { ldns_pkt_free(pkt) }
        // ldns_pkt2str prints a `;; WHEN:` line with the non-reentrant ctime(): one at a time.
        return printLock.withLock { _ -> String? in
            guard let text = ldns_pkt2str(pkt) else { return nil }
            defer { free(text) }
            return String(cString: text)
        }
    }
}
