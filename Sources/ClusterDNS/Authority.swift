import DNSModel
import DNSWire
import ClusterModel

/// Everything this server is authoritative for: the cluster zone, its reverse zones and the
/// static zones. Turns query bytes into reply bytes; pure and synchronous.
public struct Authority: Sendable {
    /// The cluster zone.
    public let cluster: ClusterZone
    /// Static zones by apex (lower case).
    public let staticZones: [DomainName: StaticZone]
    /// Largest UDP reply we send, whatever the client offers (RFC 6891 §6.2.5; 1232 per DNS Flag Day 2020).
    public let maxUDPSize: Int
    /// The name server identifier for EDNS NSID (RFC 5001), when one is set.
    public let nsid: [UInt8]?

    /// Serves `cluster`, its reverse zones and `staticZones` (a static zone for the cluster
    /// domain itself is ignored here: pass it as the cluster zone's overlay); answers an NSID
    /// request with `nsid` when given.
    public init(cluster: ClusterZone, staticZones: [StaticZone] = [], maxUDPSize: Int = 1232, nsid: [UInt8]? = nil) {
        self.nsid = nsid
        self.cluster = cluster
        var zones: [DomainName: StaticZone] = [:]
        for z in staticZones where z.origin != cluster.apex { zones[z.origin] = z }
        self.staticZones = zones
        self.maxUDPSize = max(512, min(maxUDPSize, 65535))
    }

    /// Where a question's name belongs.
    public enum Zone: Sendable, Equatable {
        /// The cluster domain (`cluster.local.`).
        case cluster
        /// A reverse tree, `in-addr.arpa.` or `ip6.arpa.`, named by its apex.
        case reverse(DomainName)
        /// A static zone from a zone file, named by its apex.
        case `static`(DomainName)
        /// Outside everything we serve (forwarded, or REFUSED).
        case outside
    }

    /// Finds the zone for `name`: the cluster domain, then the longest matching static zone, then
    /// the reverse trees. `ownsAllReverse`: true when no upstream takes reverse names, so every
    /// reverse name is ours (answered NXDOMAIN when unknown); false when one does, so only the
    /// reverse names of addresses we know, and the partial names above them, are ours and the
    /// rest are `.outside` (forwarded).
    public func zone(for name: DomainName, in snapshot: ClusterSnapshot, ownsAllReverse: Bool) -> Zone {
        if name.isSubdomain(of: cluster.apex) { return .cluster }
        var best: StaticZone?
        for z in staticZones.values where name.isSubdomain(of: z.origin) {
            if best == nil || z.origin.labelCount > best!.origin.labelCount { best = z }
        }
        if let best { return .static(best.origin) }
        for r in ClusterZone.reverseZones where name.isSubdomain(of: r) {
            if ownsAllReverse || cluster.hasReverseName(name, in: snapshot) || cluster.isReverseBranch(name, in: snapshot) {
                return .reverse(r)
            }
        }
        return .outside
    }

    /// The zone that answers `question`: the zone of its name, except that a DS question at the
    /// apex of a static zone is answered by the zone above it when we serve that one too (the
    /// parent side of the cut holds the DS set, RFC 4035 §3.1.4.1).
    public func zone(answering question: Question, in snapshot: ClusterSnapshot, ownsAllReverse: Bool) -> Zone {
        let zone = zone(for: question.name, in: snapshot, ownsAllReverse: ownsAllReverse)
        // 43: DS.
        guard question.type.rawValue == 43, case .static(let origin) = zone, question.name.lowercased() == origin,
              question.name.labelCount > 1 else { return zone }
        let parent = self.zone(for: question.name.dropping(labels: 1), in: snapshot, ownsAllReverse: ownsAllReverse)
        return parent == .outside ? zone : parent
    }

    /// Answers a parsed question from whichever zone its name belongs to, as a server without
    /// upstream does (every reverse name is ours; a name outside every zone gets REFUSED).
    public func answer(_ question: Question, in snapshot: ClusterSnapshot) -> Answer {
        answer(question, zone: zone(answering: question, in: snapshot, ownsAllReverse: true), in: snapshot)
    }

    /// Answers a parsed question from the zone it belongs to; `.outside` gives REFUSED. A CNAME whose
    /// target lies in another zone we serve is followed there (RFC 1034 §4.3.2 step 3a), so an
    /// ExternalName pointing at a static zone gets its addresses too; the rcode and SOA are the
    /// last name's (`Answer.followingCNAMEs`).
    public func answer(_ question: Question, zone: Zone, in snapshot: ClusterSnapshot) -> Answer {
        answerInZone(question, zone: zone, in: snapshot).followingCNAMEs(of: question) { target in
            // Each step in the zone that holds its name: a static zone nested in another
            // (`example.test.` inside `test.`) answers for its names, not its parent.
            let next = self.zone(for: target, in: snapshot, ownsAllReverse: true)
            guard next != .outside else { return nil }
            let answer = answerInZone(Question(name: target, type: question.type), zone: next, in: snapshot)
            return answer.isReferral ? nil : answer          // delegated space is not ours to answer
        }
    }

    func answerInZone(_ question: Question, zone: Zone, in snapshot: ClusterSnapshot) -> Answer {
        switch zone {
        case .cluster: return cluster.answer(question, in: snapshot)
        case .reverse: return cluster.reverseAnswer(question, in: snapshot)
        // The name's own step only: the chain is followed by `answer`, zone by zone.
        case .static(let origin): return staticZones[origin]?.answerName(question) ?? Answer(rcode: .refused)
        case .outside: return Answer(rcode: .refused)
        }
    }

    /// The SOA a transfer of `zone` starts with (the first of `transferRecords`), without
    /// building the rest; nil for no zone, or a static zone without SOA.
    func transferSOA(_ zone: Zone, in snapshot: ClusterSnapshot) -> ResourceRecord? {
        switch zone {
        case .cluster: return cluster.soa(in: snapshot)
        case .reverse(let r): return cluster.reverseSOA(zone: r, in: snapshot)
        case .static(let origin): return staticZones[origin]?.soa
        case .outside: return nil
        }
    }

    /// Every record of a zone for AXFR (RFC 5936): SOA first; the caller appends the closing SOA.
    public func transferRecords(_ zone: Zone, in snapshot: ClusterSnapshot) -> [ResourceRecord]? {
        switch zone {
        case .cluster: return cluster.records(in: snapshot)
        case .reverse(let r):
            return cluster.reverseRecords(in: snapshot)[r]      // both reverse zones, SOA and NS at least
        case .static(let origin):
            guard let z = staticZones[origin], let soa = z.soa else { return nil }
            return [soa] + z.records.filter { $0.type != .soa }
        case .outside: return nil
        }
    }
}
