import DNSModel
import ClusterModel

extension ClusterZone {
    /// The reverse zones the cluster zone answers PTR questions in.
    public static let reverseZones: [DomainName] = ["in-addr.arpa.", "ip6.arpa."]

    /// PTR names of every cluster IP (spec §2.3.3) and every ready endpoint address (§2.4.3).
    /// A name for an address we do not know is NXDOMAIN; a partial reverse name is NODATA when
    /// some known address lies below it (an empty non-terminal) and NXDOMAIN otherwise.
    public func reverseAnswer(_ question: Question, in snapshot: ClusterSnapshot) -> Answer {
        let view = SnapshotView(snapshot)
        let zone = Self.reverseZones.first { question.name.isSubdomain(of: $0) } ?? "in-addr.arpa."
        let soa = reverseSOA(zone: zone, in: snapshot)
        guard let address = IPAddress(reverseName: question.name) else {
            return Answer(rcode: .nxDomain, authority: [soa])
        }
        let targets = ptrTargets(address, view: view)
        guard !targets.isEmpty else { return Answer(rcode: .nxDomain, authority: [soa]) }
        guard question.type == .ptr || question.type == .any else { return Answer(authority: [soa]) }
        return Answer(answer: targets.map { ResourceRecord(name: question.name, ttl: ttl, data: .ptr($0)) })
    }

    /// True when `name` is a full address this zone has PTR records for.
    public func hasReverseName(_ name: DomainName, in snapshot: ClusterSnapshot) -> Bool {
        guard let address = IPAddress(reverseName: name) else { return false }
        return !ptrTargets(address, view: SnapshotView(snapshot)).isEmpty
    }

    func ptrTargets(_ address: IPAddress, view: SnapshotView) -> [DomainName] {
        var out: [DomainName] = []
        var seen = Set<DomainName>()
        for service in view.services(withClusterIP: address) {
            let name = serviceName(service)
            if seen.insert(name).inserted { out.append(name) }
        }
        for (service, endpoint) in view.endpoints(withIP: address) {
            let name = endpointName(endpoint, in: service)
            if seen.insert(name).inserted { out.append(name) }
        }
        return out
    }

    /// The SOA of a reverse zone (`in-addr.arpa.` or `ip6.arpa.`), synthesised from the cluster SOA.
    func reverseSOA(zone: DomainName, in snapshot: ClusterSnapshot) -> ResourceRecord {
        var rr = soa(in: snapshot)
        rr.name = zone
        return rr
    }
}
