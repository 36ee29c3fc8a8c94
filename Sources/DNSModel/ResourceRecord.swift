/// The SOA RDATA fields (RFC 1035 §3.3.13).
public struct SOAData: Hashable, Sendable {
    /// MNAME: the primary name server.
    public var mname: DomainName
    /// RNAME: the mailbox of the person responsible, as a name.
    public var rname: DomainName
    /// SERIAL: the zone version (compared by RFC 1982 arithmetic).
    public var serial: UInt32
    /// REFRESH: seconds between a secondary's checks.
    public var refresh: UInt32
    /// RETRY: seconds before a failed check is retried.
    public var retry: UInt32
    /// EXPIRE: seconds after which an unrefreshed secondary stops answering.
    public var expire: UInt32
    /// MINIMUM: the negative-caching TTL (RFC 2308 §4).
    public var minimum: UInt32
    /// SOA data from its seven fields.
    public init(mname: DomainName, rname: DomainName, serial: UInt32, refresh: UInt32,
                retry: UInt32, expire: UInt32, minimum: UInt32) {
        self.mname = mname; self.rname = rname; self.serial = serial; self.refresh = refresh
        self.retry = retry; self.expire = expire; self.minimum = minimum
    }
}

/// The SRV RDATA fields (RFC 2782).
public struct SRVData: Hashable, Sendable {
    /// Lower is tried first.
    public var priority: UInt16
    /// Among equal priorities, the share of picks.
    public var weight: UInt16
    /// The service's port on the target.
    public var port: UInt16
    /// The host that offers the service.
    public var target: DomainName
    /// SRV data from its four fields.
    public init(priority: UInt16, weight: UInt16, port: UInt16, target: DomainName) {
        self.priority = priority; self.weight = weight; self.port = port; self.target = target
    }
}

/// Record data, typed for the records a cluster DNS server produces; any other type is kept as bytes.
public enum RData: Hashable, Sendable {
    /// A.
    case a(IPv4Address)
    /// AAAA.
    case aaaa(IPv6Address)
    /// NS: the name server's name.
    case ns(DomainName)
    /// CNAME: the canonical name.
    case cname(DomainName)
    /// PTR: the name pointed to.
    case ptr(DomainName)
    /// SOA.
    case soa(SOAData)
    /// MX: preference and mail exchange.
    case mx(preference: UInt16, exchange: DomainName)
    /// TXT character-strings (RFC 1035 §3.3.14), each at most 255 octets.
    case txt([[UInt8]])
    /// SRV.
    case srv(SRVData)
    /// Any other type, as uncompressed RDATA (RFC 3597).
    case unknown(type: RecordType, data: [UInt8])

    /// The TYPE this data belongs to.
    public var type: RecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .ns: .ns
        case .cname: .cname
        case .ptr: .ptr
        case .soa: .soa
        case .mx: .mx
        case .txt: .txt
        case .srv: .srv
        case .unknown(let t, _): t
        }
    }

    /// A TXT record of one or more strings.
    public static func txt(_ strings: String...) -> RData { .txt(strings.map { Array($0.utf8) }) }
}

/// A resource record (RFC 1035 §3.2.1).
public struct ResourceRecord: Hashable, Sendable {
    /// The owner (of a record) or the name asked about (of a question).
    public var name: DomainName
    /// The CLASS (IN).
    public var `class`: RecordClass
    /// Seconds the record may be cached.
    public var ttl: UInt32
    /// The typed RDATA; its case gives the TYPE.
    public var data: RData
    /// A record from owner, class, TTL and data.
    public init(name: DomainName, class: RecordClass = .in, ttl: UInt32, data: RData) {
        self.name = name; self.class = `class`; self.ttl = ttl; self.data = data
    }
    /// The record's TYPE.
    public var type: RecordType { data.type }
}

/// A question (RFC 1035 §4.1.2).
public struct Question: Hashable, Sendable {
    /// The owner (of a record) or the name asked about (of a question).
    public var name: DomainName
    /// The QTYPE.
    public var type: RecordType
    /// The CLASS (IN).
    public var `class`: RecordClass
    /// A question for `name` and `type`, class IN by default.
    public init(name: DomainName, type: RecordType, class: RecordClass = .in) {
        self.name = name; self.type = type; self.class = `class`
    }
}
