import DNSModel

/// The outcome of looking one question up in one zone: NXDOMAIN and NODATA are values here,
/// not errors (RFC 2308 §1: NODATA is NOERROR with an empty answer section).
public struct Answer: Sendable, Equatable {
    /// NOERROR, NXDOMAIN, REFUSED, ...
    public var rcode: ResponseCode
    /// The answer section.
    public var answer: [ResourceRecord]
    /// The zone's SOA for negative answers (RFC 2308 §3).
    public var authority: [ResourceRecord]
    /// Address records of SRV targets and the like.
    public var additional: [ResourceRecord]

    /// Builds an answer; the default is NODATA (NOERROR, no records).
    public init(rcode: ResponseCode = .noError, answer: [ResourceRecord] = [],
                authority: [ResourceRecord] = [], additional: [ResourceRecord] = []) {
        self.rcode = rcode; self.answer = answer; self.authority = authority; self.additional = additional
    }

    /// True for a NOERROR answer without records (the name exists, the type does not).
    public var isNoData: Bool { rcode == .noError && answer.isEmpty }
}

/// How a name in a zone turned out, before the negative answer gets its SOA.
enum Lookup {
    /// The name does not exist (NXDOMAIN).
    case nxdomain
    /// The name exists; these records answer the question (empty = NODATA).
    case records([ResourceRecord], additional: [ResourceRecord] = [])
}
