/// The SOA RDATA fields (RFC 1035 §3.3.13).
public struct SOAData: Hashable, Sendable {
    public var mname: DomainName
    public var rname: DomainName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    public var minimum: UInt32
    public init(mname: DomainName, rname: DomainName, serial: UInt32, refresh: UInt32,
                retry: UInt32, expire: UInt32, minimum: UInt32) {
        self.mname = mname; self.rname = rname; self.serial = serial; self.refresh = refresh
        self.retry = retry; self.expire = expire; self.minimum = minimum
    }
}

/// The SRV RDATA fields (RFC 2782).
public struct SRVData: Hashable, Sendable {
    public var priority: UInt16
    public var weight: UInt16
    public var port: UInt16
    public var target: DomainName
    public init(priority: UInt16, weight: UInt16, port: UInt16, target: DomainName) {
        self.priority = priority; self.weight = weight; self.port = port; self.target = target
    }
}

/// Record data, typed for the records a cluster DNS server produces; any other type is kept as bytes.
public enum RData: Hashable, Sendable {
    case a(IPv4Address)
    case aaaa(IPv6Address)
    case ns(DomainName)
    case cname(DomainName)
    case ptr(DomainName)
    case soa(SOAData)
    case mx(preference: UInt16, exchange: DomainName)
    /// TXT character-strings (RFC 1035 §3.3.14), each at most 255 octets.
    case txt([[UInt8]])
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
    public var name: DomainName
    public var `class`: RecordClass
    public var ttl: UInt32
    public var data: RData
    public init(name: DomainName, class: RecordClass = .in, ttl: UInt32, data: RData) {
        self.name = name; self.class = `class`; self.ttl = ttl; self.data = data
    }
    /// The record's TYPE.
    public var type: RecordType { data.type }
}

/// A question (RFC 1035 §4.1.2).
public struct Question: Hashable, Sendable {
    public var name: DomainName
    public var type: RecordType
    public var `class`: RecordClass
    public init(name: DomainName, type: RecordType, class: RecordClass = .in) {
        self.name = name; self.type = type; self.class = `class`
    }
}
