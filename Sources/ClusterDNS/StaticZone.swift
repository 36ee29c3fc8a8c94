import DNSModel

/// A zone served from fixed records (an RFC 1035 master file in `zones/`), answered
/// authoritatively per RFC 1034 §4.3.2: exact match, CNAME, NODATA for existing names and empty
/// non-terminals, NXDOMAIN otherwise; negative answers carry the SOA (RFC 2308 §3).
public struct StaticZone: Sendable {
    /// The zone apex.
    public let origin: DomainName
    /// The SOA record, when the file has one.
    public let soa: ResourceRecord?
    /// Every record, in file order.
    public let records: [ResourceRecord]
    private let byName: [DomainName: [ResourceRecord]]
    /// Names that exist without records of their own (RFC 8020 empty non-terminals).
    private let emptyNonTerminals: Set<DomainName>

    /// Builds a zone from records; those outside `origin` are dropped and reported.
    public init(origin: DomainName, records: [ResourceRecord]) {
        self.origin = origin.lowercased()
        var kept: [ResourceRecord] = []
        var byName: [DomainName: [ResourceRecord]] = [:]
        var ents = Set<DomainName>()
        for rr in records where rr.name.isSubdomain(of: origin) {
            kept.append(rr)
            byName[rr.name.lowercased(), default: []].append(rr)
            var parent = rr.name.lowercased().dropping(labels: 1)
            while parent.isSubdomain(of: origin), parent != origin.lowercased() {
                ents.insert(parent)
                parent = parent.dropping(labels: 1)
            }
        }
        self.records = kept
        self.byName = byName
        self.emptyNonTerminals = ents
        self.soa = kept.first { $0.type == .soa && $0.name == origin }
    }

    /// True when `name` owns records or is an empty non-terminal of this zone.
    public func hasName(_ name: DomainName) -> Bool {
        let key = name.lowercased()
        return byName[key] != nil || emptyNonTerminals.contains(key)
    }

    /// The records of one type at one name.
    public func records(at name: DomainName, type: RecordType) -> [ResourceRecord] {
        (byName[name.lowercased()] ?? []).filter { $0.type == type }
    }

    /// Looks a name up; the owner of every returned record is spelled as asked.
    func lookup(_ name: DomainName, type: RecordType) -> Lookup {
        let key = name.lowercased()
        guard let here = byName[key] else {
            return emptyNonTerminals.contains(key) ? .records([]) : .nxdomain
        }
        if type == .any {
            // RFC 8482 §4.2: answer ANY with one RRset.
            guard let first = here.first else { return .records([]) }
            return .records(here.filter { $0.type == first.type }.map { $0.renamed(name) })
        }
        let exact = here.filter { $0.type == type }
        if exact.isEmpty, let cname = here.first(where: { $0.type == .cname }) {
            return .records([cname.renamed(name)])
        }
        var additional: [ResourceRecord] = []
        for rr in exact {
            let target: DomainName? = switch rr.data {
            case .srv(let s): s.target
            case .mx(_, let x): x
            case .ns(let n): n
            default: nil
            }
            if let target, let rrs = byName[target.lowercased()] {
                additional += rrs.filter { $0.type == .a || $0.type == .aaaa }
            }
        }
        return .records(exact.map { $0.renamed(name) }, additional: additional)
    }

    /// Answers one question whose name lies in this zone, following CNAMEs to names of this
    /// zone (RFC 1034 §4.3.2 step 3a; `Answer.followingCNAMEs`).
    public func answer(_ question: Question) -> Answer {
        answerName(question).followingCNAMEs(of: question) { target in
            target.isSubdomain(of: origin) ? answerName(Question(name: target, type: question.type)) : nil
        }
    }

    /// The answer for the question's name alone: a CNAME there is not followed.
    func answerName(_ question: Question) -> Answer {
        let negativeSOA = soa.map { soa -> ResourceRecord in
            var rr = soa
            if case .soa(let d) = soa.data { rr.ttl = min(soa.ttl, d.minimum) }   // RFC 2308 §5
            return rr
        }
        switch lookup(question.name, type: question.type) {
        case .nxdomain:
            return Answer(rcode: .nxDomain, authority: negativeSOA.map { [$0] } ?? [])
        case .records(let rrs, let additional):
            if rrs.isEmpty { return Answer(authority: negativeSOA.map { [$0] } ?? []) }
            return Answer(answer: rrs, additional: additional)
        }
    }
}
