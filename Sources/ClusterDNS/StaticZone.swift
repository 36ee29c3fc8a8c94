import DNSModel

/// A zone served from fixed records (an RFC 1035 master file in `zones/`), answered
/// authoritatively per RFC 1034 §4.3.2: exact match, CNAME, NODATA for existing names and empty
/// non-terminals, NXDOMAIN otherwise; negative answers carry the SOA (RFC 2308 §3). A name at or
/// below a delegation (NS records below the apex) gets a referral (step 3b). A name that does not
/// exist is answered from the wildcard `*.<closest encloser>` when the zone has one (RFC 4592
/// §3.3.1), with the asked name as owner, and a name below a DNAME is redirected by a synthesized
/// CNAME (RFC 6672 §3.2), as Knot and NSD do.
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
    /// Zone cuts: names below the apex that own NS records (RFC 1034 §4.2.1).
    private let cuts: Set<DomainName>
    /// Owners of DNAME records (RFC 6672), lower-cased.
    private let dnameOwners: Set<DomainName>
    /// Records outside the origin, which are dropped, as messages for the log.
    public let warnings: [String]
    /// Names below a DNAME owner, sorted: not served, the DNAME redirects them (RFC 6672 §2.3: a
    /// DNAME owner has no descendants). The cluster domain's file, an overlay of plain names,
    /// applies no DNAME, so there they are served.
    public let hiddenByDNAME: [DomainName]

    /// Builds a zone from records; those outside `origin` are dropped and named in `warnings`.
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
        let apex = origin.lowercased()
        let owners = Set(kept.filter { $0.type == .dname }.map { $0.name.lowercased() })
        dnameOwners = owners
        /// Below a DNAME owner nothing is served, NS records included (RFC 6672 §2.3).
        func isHidden(_ name: DomainName) -> Bool { owners.contains { name != $0 && name.isSubdomain(of: $0) } }
        cuts = Set(kept.filter { $0.type == .ns && $0.name.lowercased() != apex }.map { $0.name.lowercased() }.filter { !isHidden($0) })
        let outside = records.filter { !$0.name.isSubdomain(of: origin) }
        hiddenByDNAME = owners.isEmpty ? [] : byName.keys.filter(isHidden).sorted { $0.description < $1.description }
        warnings = outside.map { "\($0.name) \($0.type) is outside the zone \(origin): not served" }
    }

    /// The zone cut nearest the apex at or above `name`, when `name` lies in delegated space.
    func delegation(of name: DomainName) -> DomainName? {
        guard !cuts.isEmpty else { return nil }
        var found: DomainName?
        var n = name.lowercased()
        while n != origin, n.isSubdomain(of: origin) {
            if cuts.contains(n) { found = n }
            n = n.dropping(labels: 1)
        }
        return found
    }

    /// A referral to the zone cut `cut` (RFC 1034 §4.3.2 step 3b): no answer, not
    /// authoritative, the cut's NS records in the authority section, and the addresses of those
    /// name servers this zone holds (glue) in the additional section.
    func referral(to cut: DomainName) -> Answer {
        let ns = (byName[cut] ?? []).filter { $0.type == .ns }
        var glue: [ResourceRecord] = []
        for rr in ns {
            guard case .ns(let target) = rr.data else { continue }
            glue += (byName[target.lowercased()] ?? []).filter { $0.type == .a || $0.type == .aaaa }
        }
        return Answer(authority: ns, additional: glue, isReferral: true)
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
        var here = byName[key]
        if here == nil, !emptyNonTerminals.contains(key), let source = wildcardSource(for: key) {
            // RFC 4592 §3.3.1: the wildcard's records, or NODATA when it is an empty non-terminal.
            here = byName[source] ?? (emptyNonTerminals.contains(source) ? [] : nil)
        }
        guard let here else { return emptyNonTerminals.contains(key) ? .records([]) : .nxdomain }
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

    /// The source of synthesis for a name that does not exist (RFC 4592 §3.3.1): `*.` plus its
    /// closest encloser (the longest ancestor that owns records or is an empty non-terminal),
    /// whether or not the zone has that name; nil for a name that exists.
    func wildcardSource(for key: DomainName) -> DomainName? {
        guard byName[key] == nil, !emptyNonTerminals.contains(key), key != origin, key.isSubdomain(of: origin) else { return nil }
        var encloser = key.dropping(labels: 1)
        while encloser != origin, byName[encloser] == nil, !emptyNonTerminals.contains(encloser) {
            encloser = encloser.dropping(labels: 1)
        }
        return encloser.prepending("*")
    }

    /// For a name below a DNAME owner (the one nearest the apex), the DNAME and a CNAME from the
    /// name to the name with the owner's suffix replaced by the target, with the DNAME's TTL;
    /// YXDOMAIN with the DNAME when that name would be too long (RFC 6672 §3.2, §2.2). Nil for a
    /// name not below a DNAME. Spelled as Knot spells them: the DNAME's owner as asked, the
    /// synthesized target in lower case.
    func substitutingDNAME(_ name: DomainName) -> Answer? {
        var owner: DomainName?
        var n = name.lowercased().dropping(labels: 1)
        while n.isSubdomain(of: origin) {
            if dnameOwners.contains(n) { owner = n }
            if n == origin { break }
            n = n.dropping(labels: 1)
        }
        guard let owner, let rr = byName[owner]?.first(where: { $0.type == .dname }),
              case .unknown(_, let data) = rr.data, let target = DomainName(wire: data),
              let cut = name.wireOffset(ofLabel: name.labelCount - owner.labelCount) else { return nil }
        let dname = rr.renamed(name.dropping(labels: name.labelCount - owner.labelCount))
        guard let synthesized = DomainName(wire: Array(name.lowercased().wire[..<cut]) + target.wire) else {
            return Answer(rcode: .yxDomain, answer: [dname])
        }
        return Answer(answer: [dname, ResourceRecord(name: name, ttl: rr.ttl, data: .cname(synthesized))])
    }

    /// Answers one question whose name lies in this zone, following CNAMEs to names of this
    /// zone (RFC 1034 §4.3.2 step 3a; `Answer.followingCNAMEs`).
    public func answer(_ question: Question) -> Answer {
        answerName(question).followingCNAMEs(of: question) { target in
            // A target in delegated space is not ours to answer: the chain stops at its CNAME.
            target.isSubdomain(of: origin) && delegation(of: target) == nil
                ? answerName(Question(name: target, type: question.type)) : nil
        }
    }

    /// The answer for the question's name alone: a CNAME there is not followed.
    func answerName(_ question: Question) -> Answer {
        // DS (43) at a cut belongs to the parent side (RFC 4035 §3.1.4.1); anything else there or
        // below is a referral.
        if let cut = delegation(of: question.name), !(question.type.rawValue == 43 && question.name.lowercased() == cut) {
            return referral(to: cut)
        }
        if !dnameOwners.isEmpty, let redirected = substitutingDNAME(question.name) { return redirected }
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
