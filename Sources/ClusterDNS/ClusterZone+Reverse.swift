import DNSModel
import ClusterModel

extension ClusterZone {
    /// The reverse zones the cluster zone answers PTR questions in.
    public static let reverseZones: [DomainName] = ["in-addr.arpa.", "ip6.arpa."]

    /// PTR names of every cluster IP (spec §2.3.3) and every ready endpoint address (§2.4.3).
    /// A full address we do not know is NXDOMAIN. The reverse zone's apex owns the cluster zone's
    /// SOA and NS (RFC 1035 §4.3.2) and answers as its apex does. A partial reverse name
    /// (`96.10.in-addr.arpa.`: 1–3 octets, or 1–31 nibbles under `ip6.arpa.`) with a known address
    /// below it (`ClusterSnapshot.reverseBranches`) is an empty non-terminal: NODATA, as an
    /// NXDOMAIN there would tell resolvers that nothing below exists (RFC 8020), and a
    /// QNAME-minimising resolver (RFC 9156) walking down to a PTR would stop at it. Anything else
    /// under the zone is NXDOMAIN, as a server loaded with the exported zone answers.
    public func reverseAnswer(_ question: Question, in snapshot: ClusterSnapshot) -> Answer {
        let view = SnapshotView(snapshot)
        let zone = Self.reverseZones.first { question.name.isSubdomain(of: $0) } ?? "in-addr.arpa."
        let soa = reverseSOA(zone: zone, in: snapshot)
        guard let address = IPAddress(reverseName: question.name) else {
            // The apex answers as the cluster zone's apex does (SOA, NS with glue; NODATA otherwise).
            if question.name.lowercased() == zone,
               case .records(let rrs, let additional) = lookup(.apex, owner: question.name, type: question.type, view: view) {
                return rrs.isEmpty ? Answer(authority: [soa]) : Answer(answer: rrs, additional: additional)
            }
            return isReverseBranch(question.name, in: snapshot) ? Answer(authority: [soa])
                : Answer(rcode: .nxDomain, authority: [soa])
        }
        let targets = ptrTargets(address, view: view)
        guard !targets.isEmpty else { return Answer(rcode: .nxDomain, authority: [soa]) }
        guard question.type == .ptr || question.type == .any else { return Answer(authority: [soa]) }
        return Answer(answer: targets.map { ResourceRecord(name: question.name, ttl: ttl, data: .ptr($0)) })
    }

    /// True when `name` lies strictly between a reverse zone's apex and the names of full
    /// addresses: 1–3 decimal octets under `in-addr.arpa.`, 1–31 hex nibbles under `ip6.arpa.`.
    static func isPartialReverseName(_ name: DomainName, in zone: DomainName) -> Bool {
        let labels = name.lowercased().labels.dropLast(zone.labelCount)
        if zone == "in-addr.arpa." {
            return (1...3).contains(labels.count)
                && labels.allSatisfy { octet in
                    octet.utf8.allSatisfy { (0x30...0x39).contains($0) } && UInt8(octet) != nil
                        && (octet == "0" || !octet.hasPrefix("0"))
                }
        }
        return (1...31).contains(labels.count) && labels.allSatisfy { $0.count == 1 && UInt8($0, radix: 16) != nil }
    }

    /// True when `name` is a partial reverse name with a known address below it: an empty
    /// non-terminal of the reverse tree, answered NODATA even when reverse names of unknown
    /// addresses are forwarded (RFC 8020: an upstream's NXDOMAIN there would deny our PTRs).
    public func isReverseBranch(_ name: DomainName, in snapshot: ClusterSnapshot) -> Bool {
        let lower = name.lowercased()
        guard !snapshot.reverseBranches.isEmpty,
              let zone = Self.reverseZones.first(where: { lower.isSubdomain(of: $0) }),
              Self.isPartialReverseName(lower, in: zone) else { return false }
        let labels = Array(lower.labels.dropLast(zone.labelCount).reversed())   // most significant first
        if zone == "in-addr.arpa." {
            var bytes = [UInt8](repeating: 0, count: 4)
            for (i, octet) in labels.enumerated() { bytes[i] = UInt8(octet) ?? 0 }
            return snapshot.reverseBranches[ReverseBranch(v6: false, bits: 8 * labels.count, of: bytes)] != nil
        }
        var bytes = [UInt8](repeating: 0, count: 16)
        for (i, nibble) in labels.enumerated() {
            let n = UInt8(nibble, radix: 16) ?? 0
            bytes[i / 2] |= i % 2 == 0 ? n << 4 : n
        }
        return snapshot.reverseBranches[ReverseBranch(v6: true, bits: 4 * labels.count, of: bytes)] != nil
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
            guard let name = endpointName(endpoint, in: service) else { continue }
            if seen.insert(name).inserted { out.append(name) }
        }
        return out
    }

    /// The NS records of a reverse zone: the cluster zone's name servers, at the reverse apex.
    func reverseNS(zone: DomainName) -> [ResourceRecord] {
        nsRecords().map { $0.renamed(zone) }
    }

    /// The SOA of a reverse zone (`in-addr.arpa.` or `ip6.arpa.`), synthesised from the cluster SOA.
    func reverseSOA(zone: DomainName, in snapshot: ClusterSnapshot) -> ResourceRecord {
        var rr = soa(in: snapshot)
        rr.name = zone
        return rr
    }
}
