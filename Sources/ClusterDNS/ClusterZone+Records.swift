import DNSModel
import ClusterModel
import DNSWire

extension ClusterZone {
    /// Every record of the cluster zone: SOA first, then the rest in DNSSEC canonical order
    /// (RFC 4034 §6). It is built by the same functions that answer queries, so a transfer or
    /// an exported zone file always agrees with live answers.
    public func records(in snapshot: ClusterSnapshot) -> [ResourceRecord] {
        let view = SnapshotView(snapshot)
        var out: [ResourceRecord] = nsRecords() + nameserverRecords(view)
        out.append(ResourceRecord(name: apex.prepending("dns-version")!, ttl: Self.schemaVersionTTL, data: .txt(Self.schemaVersion)))
        for rr in overlay?.records ?? [] where rr.type != .soa && !(rr.type == .ns && rr.name == apex) {
            out.append(rr)
        }
        for service in view.allServices {
            let name = serviceName(service)
            if case .records(let rrs, _) = serviceLookup(service, owner: name, type: .any) { out += rrs }
            if case .records(let rrs, _) = srvForAllPorts(service, owner: name) { out += rrs }
            var endpointNames = Set<String>()
            if service.kind.isAddressable {
                for ep in service.readyEndpoints where endpointNames.insert(ep.dnsLabel).inserted {
                    guard let owner = endpointName(ep, in: service) else { continue }
                    if case .records(let rrs, _) = endpointLookup(service, hostname: ep.dnsLabel, owner: owner, type: .any) {
                        out += rrs
                    }
                }
            }
            var portNames = Set<String>()
            for p in service.ports {
                guard let pname = p.name?.lowercased(), portNames.insert(pname + "/" + p.proto).inserted,
                      let owner = DomainName(labels: ["_" + pname, "_" + p.proto] + name.labels),
                      case .records(let rrs, _) = portLookup(service, port: pname, proto: p.proto, owner: owner, type: .srv)
                else { continue }
                out += rrs
            }
        }
        let soa = soa(in: snapshot)
        return [soa] + Self.canonicalOrder(out)
    }

    /// PTR records of every known address, per reverse zone (`in-addr.arpa.` and `ip6.arpa.`,
    /// both always: each has its SOA and NS, as served, even with no address of its family).
    public func reverseRecords(in snapshot: ClusterSnapshot) -> [DomainName: [ResourceRecord]] {
        let view = SnapshotView(snapshot)
        var byZone: [DomainName: [ResourceRecord]] = ["in-addr.arpa.": [], "ip6.arpa.": []]
        for address in view.allAddresses {
            let owner = address.reverseName
            let zone: DomainName = if case .v4 = address { "in-addr.arpa." } else { "ip6.arpa." }
            for target in ptrTargets(address, view: view) {
                byZone[zone, default: []].append(ResourceRecord(name: owner, ttl: ttl, data: .ptr(target)))
            }
        }
        for (zone, rrs) in byZone {
            byZone[zone] = [reverseSOA(zone: zone, in: snapshot)] + reverseNS(zone: zone) + Self.canonicalOrder(rrs)
        }
        return byZone
    }

    /// Sorts records by owner in canonical order, then type, then RDATA in canonical form as
    /// octet strings (RFC 4034 §6.3); drops exact duplicates. The RDATA forms are built once per
    /// record, not per comparison.
    static func canonicalOrder(_ records: [ResourceRecord]) -> [ResourceRecord] {
        var seen = Set<ResourceRecord>()
        let unique = records.filter { seen.insert($0).inserted }
        return unique.map { ($0, $0.data.canonicalWire) }.sorted { x, y in
            let a = x.0, b = y.0
            if a.name != b.name { return a.name < b.name }
            if a.type != b.type { return a.type.rawValue < b.type.rawValue }
            return x.1.lexicographicallyPrecedes(y.1)
        }.map(\.0)
    }
}
