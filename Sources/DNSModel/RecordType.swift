/// An RR TYPE or QTYPE (RFC 1035 §3.2.2–3.2.3); unknown values round-trip.
public struct RecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The number on the wire.
    public let rawValue: UInt16
    /// The value with this number.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// A: an IPv4 address (RFC 1035).
    public static let a = RecordType(rawValue: 1)
    /// NS: a name server (RFC 1035).
    public static let ns = RecordType(rawValue: 2)
    /// CNAME: the canonical name of an alias (RFC 1035).
    public static let cname = RecordType(rawValue: 5)
    /// SOA: the start of a zone of authority (RFC 1035).
    public static let soa = RecordType(rawValue: 6)
    /// PTR: a name an address points back to (RFC 1035).
    public static let ptr = RecordType(rawValue: 12)
    /// HINFO: host information (RFC 1035; RFC 8482 answers ANY with it).
    public static let hinfo = RecordType(rawValue: 13)
    /// MX: a mail exchange (RFC 1035).
    public static let mx = RecordType(rawValue: 15)
    /// TXT: text strings (RFC 1035).
    public static let txt = RecordType(rawValue: 16)
    /// AAAA: an IPv6 address (RFC 3596).
    public static let aaaa = RecordType(rawValue: 28)
    /// SRV: a service location (RFC 2782).
    public static let srv = RecordType(rawValue: 33)
    /// DNAME: redirection of a subtree (RFC 6672); its RDATA is the target name, uncompressed.
    public static let dname = RecordType(rawValue: 39)
    /// OPT: the EDNS pseudo-record (RFC 6891).
    public static let opt = RecordType(rawValue: 41)
    /// IXFR: an incremental zone transfer, as QTYPE only (RFC 1995).
    public static let ixfr = RecordType(rawValue: 251)
    /// AXFR: a whole zone transfer, as QTYPE only (RFC 5936).
    public static let axfr = RecordType(rawValue: 252)
    /// ANY (`*`) as a QTYPE: every type (RFC 1035; RFC 8482 answers it with one RRset).
    public static let any = RecordType(rawValue: 255)

    static let names: [UInt16: String] = [
        1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 13: "HINFO", 15: "MX", 16: "TXT",
        28: "AAAA", 33: "SRV", 39: "DNAME", 41: "OPT", 251: "IXFR", 252: "AXFR", 255: "ANY",
        257: "CAA", 99: "SPF", 35: "NAPTR", 43: "DS", 48: "DNSKEY", 46: "RRSIG", 47: "NSEC",
    ]

    /// The mnemonic (`A`, `SRV`) or `TYPEnnn` (RFC 3597 §5).
    public var description: String { Self.names[rawValue] ?? "TYPE\(rawValue)" }

    /// Parses a mnemonic or `TYPEnnn`, case-insensitively.
    public init?(_ text: String) {
        let upper = text.uppercased()
        if let hit = Self.names.first(where: { $0.value == upper }) { self.init(rawValue: hit.key); return }
        if upper.hasPrefix("TYPE"), let v = UInt16(upper.dropFirst(4)) { self.init(rawValue: v); return }
        return nil
    }

    /// True for types that are only valid in a question (RFC 1035 §3.2.3, RFC 6891).
    public var isMetaType: Bool { rawValue == 41 || (rawValue >= 128 && rawValue <= 255) }
}

/// An RR CLASS (RFC 1035 §3.2.4).
public struct RecordClass: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The number on the wire.
    public let rawValue: UInt16
    /// The value with this number.
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// IN: the Internet class.
    public static let `in` = RecordClass(rawValue: 1)
    /// CH: the Chaos class (RFC 1035).
    public static let chaos = RecordClass(rawValue: 3)
    /// ANY (`*`) as a QCLASS: every class.
    public static let any = RecordClass(rawValue: 255)
    /// The mnemonic (`IN`, `NOERROR`, ...), or the number.
    public var description: String {
        switch rawValue { case 1: "IN"; case 3: "CH"; case 4: "HS"; case 254: "NONE"; case 255: "ANY"; default: "CLASS\(rawValue)" }
    }
}

/// A response code, including the extended ones carried in OPT (RFC 6891 §6.1.3).
public struct ResponseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The number on the wire.
    public let rawValue: UInt16
    /// The value with this number.
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// NOERROR.
    public static let noError = ResponseCode(rawValue: 0)
    /// FORMERR: the query could not be interpreted.
    public static let formErr = ResponseCode(rawValue: 1)
    /// SERVFAIL: the server could not answer.
    public static let servFail = ResponseCode(rawValue: 2)
    /// NXDOMAIN: the name does not exist.
    public static let nxDomain = ResponseCode(rawValue: 3)
    /// NOTIMP: the kind of query is not implemented.
    public static let notImp = ResponseCode(rawValue: 4)
    /// REFUSED: the server will not answer this.
    public static let refused = ResponseCode(rawValue: 5)
    /// YXDOMAIN: a name that should not exist does; here, the name a DNAME leads to would be
    /// too long (RFC 6672 §2.2).
    public static let yxDomain = ResponseCode(rawValue: 6)
    /// NOTAUTH: not authoritative for the zone (RFC 2136).
    public static let notAuth = ResponseCode(rawValue: 9)
    /// BADVERS: an EDNS version the server does not speak (RFC 6891).
    public static let badVers = ResponseCode(rawValue: 16)
    /// The mnemonic (`IN`, `NOERROR`, ...), or the number.
    public var description: String {
        switch rawValue {
        case 0: "NOERROR"; case 1: "FORMERR"; case 2: "SERVFAIL"; case 3: "NXDOMAIN"
        case 4: "NOTIMP"; case 5: "REFUSED"; case 6: "YXDOMAIN"; case 9: "NOTAUTH"; case 16: "BADVERS"
        default: "RCODE\(rawValue)"
        }
    }
}

/// A header OPCODE (RFC 1035 §4.1.1).
public struct OpCode: RawRepresentable, Hashable, Sendable {
    /// The number on the wire.
    public let rawValue: UInt8
    /// The value with this number.
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// QUERY: a standard query.
    public static let query = OpCode(rawValue: 0)
    /// NOTIFY: a zone change notice (RFC 1996).
    public static let notify = OpCode(rawValue: 4)
    /// UPDATE: a dynamic update (RFC 2136).
    public static let update = OpCode(rawValue: 5)
}
