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
    /// A referral to a delegated zone (NS in `authority`, RFC 1034 §4.3.2 step 3b): sent
    /// without the AA bit.
    public var isReferral: Bool
    /// Why, when the answer is negative for a reason a client could not guess: sent as an
    /// Extended DNS Error (RFC 8914) to clients that use EDNS.
    public var extendedError: ExtendedError?

    /// Builds an answer; the default is NODATA (NOERROR, no records).
    public init(rcode: ResponseCode = .noError, answer: [ResourceRecord] = [],
                authority: [ResourceRecord] = [], additional: [ResourceRecord] = [], isReferral: Bool = false) {
        self.rcode = rcode; self.answer = answer; self.authority = authority; self.additional = additional
        self.isReferral = isReferral
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

extension Answer {
    /// The longest CNAME chain followed for one question (the spec notes, C6: CoreDNS cuts
    /// chains longer than 10): an answer carries at most this many CNAMEs.
    public static let maxCNAMEChain = 10

    /// This answer with the CNAME it ends in followed (RFC 1034 §4.3.2 step 3a): `resolve`
    /// answers a name we are authoritative for, without following CNAMEs itself, and returns nil
    /// for any other name, where the chain stops for the client (or the forwarder) to follow.
    /// Every owner name is visited once, so a loop ends the chain with each CNAME in it once; a
    /// chain of up to `maxCNAMEChain` CNAMEs is followed to its end, a longer one is cut after
    /// that many. The rcode and the authority section are those
    /// of the last name: NXDOMAIN when the chain ends at a name that does not exist (RFC 6604
    /// §2.1), and the SOA of its zone for a negative end (RFC 2308 §2.1, §2.2), as an
    /// authoritative server answers the same chain from the zone file.
    public func followingCNAMEs(of question: Question, _ resolve: (DomainName) -> Answer?) -> Answer {
        chasingCNAMEs(of: question, resolve).answer
    }

    /// `followingCNAMEs`, and why the chain stopped there.
    func chasingCNAMEs(of question: Question, _ resolve: (DomainName) -> Answer?) -> (answer: Answer, end: CNAMEChainEnd) {
        guard question.type != .cname, question.type != .any else { return (self, .answered) }
        var out = self
        while out.rcode == .noError, out.authority.isEmpty, let last = out.answer.last, case .cname(let target) = last.data {
            // A loop: the target owns a CNAME met already (not a DNAME's owner, which may be
            // asked for again). Names compare case-blind.
            if out.answer.contains(where: { $0.type == .cname && $0.name == target }) { return (out, .loop) }
            // YXDOMAIN: a DNAME further on leads to a name too long (RFC 6672 §2.2), the chain's outcome.
            guard let next = resolve(target), next.rcode == .noError || next.rcode == .nxDomain || next.rcode == .yxDomain else {
                return (out, .outside)
            }
            // `next` may start with a DNAME (RFC 6672) before its CNAME.
            if next.answer.last?.type == .cname, out.answer.count(where: { $0.type == .cname }) >= Self.maxCNAMEChain {
                return (out, .cut)
            }
            // A record met again (the same DNAME on every step of a chain) is sent once (RFC 2181 §5).
            out.answer += next.answer.filter { !out.answer.contains($0) }
            out.additional += next.additional
            out.rcode = next.rcode
            out.authority = next.authority
            out.extendedError = next.extendedError
            if next.answer.isEmpty { break }
        }
        return (out, .answered)
    }
}

/// Why `Answer.followingCNAMEs` stopped.
enum CNAMEChainEnd: Equatable {
    /// The last name answered: records that are not a CNAME, NODATA or NXDOMAIN.
    case answered
    /// The last CNAME points back at a name of the chain.
    case loop
    /// `Answer.maxCNAMEChain` CNAMEs were followed and the last one's target is a CNAME too.
    case cut
    /// The last CNAME points outside our zones (or at a name we could not answer).
    case outside
}
