import DNSModel
import ClusterModel

extension ClusterZone {
    /// The fully qualified name of a service: `<svc>.<ns>.svc.<zone>`.
    func serviceName(_ entry: ServiceView) -> DomainName {
        apex.prepending(labels: [entry.name, entry.namespace, "svc"]) ?? apex
    }

    /// `<svc>.<ns>.svc.<zone>`: cluster IPs (spec §2.3.1), every ready endpoint for a headless
    /// service (§2.4.1; none ready is NXDOMAIN), or a CNAME for ExternalName (§2.5).
    func serviceLookup(_ entry: ServiceView, owner: DomainName, type: RecordType) -> Lookup {
        if isIgnoredAsEmpty(entry) { return .nxdomain }
        switch entry.kind {
        case .externalName(let target):
            guard let target else { return .nxdomain }   // an IP literal or a bad name is not served
            return .records([ResourceRecord(name: owner, ttl: ttl, data: .cname(target))])
        case .clusterIP(let addresses):
            if type == .srv { return srvForAllPorts(entry, owner: owner) }
            return .records(addressRecords(addresses, owner: owner, type: type))
        case .headless:
            let ready = entry.readyEndpoints
            guard !ready.isEmpty else { return .nxdomain }
            if type == .srv { return srvForAllPorts(entry, owner: owner) }
            return .records(addressRecords(ready.lazy.map(\.address), owner: owner, type: type))
        }
    }

    /// SRV on the bare service name: every port, named or not (a CoreDNS extension).
    func srvForAllPorts(_ entry: ServiceView, owner: DomainName) -> Lookup {
        isIgnoredAsEmpty(entry) ? .nxdomain : srv(entry, ports: entry.ports, owner: owner)
    }

    /// True for a ClusterIP Service without a ready endpoint when `ignoresEmptyServices`: its
    /// names are then NXDOMAIN, as a headless Service's are.
    func isIgnoredAsEmpty(_ entry: ServiceView) -> Bool {
        guard ignoresEmptyServices, case .clusterIP = entry.kind else { return false }
        return entry.readyEndpoints.isEmpty
    }

    /// `_<port>._<proto>.<svc>.<ns>.svc.<zone>` SRV: named ports only (spec §2.3.2, §2.4.2).
    func portLookup(_ entry: ServiceView, port: String, proto: String, owner: DomainName,
                    type: RecordType) -> Lookup {
        let matching = entry.ports.filter { $0.name?.lowercased() == port && $0.proto == proto }
        guard !matching.isEmpty, entry.kind.isAddressable, !isIgnoredAsEmpty(entry) else { return .nxdomain }
        if case .headless = entry.kind, entry.readyEndpoints.isEmpty { return .nxdomain }
        guard type == .srv || type == .any else { return .records([]) }
        return srv(entry, ports: matching, owner: owner)
    }

    /// True when `_<proto>.<svc>...` is an empty non-terminal: some named port uses that protocol.
    func protocolExists(_ entry: ServiceView, proto: String) -> Bool {
        guard entry.kind.isAddressable, !isIgnoredAsEmpty(entry) else { return false }
        if case .headless = entry.kind, entry.readyEndpoints.isEmpty { return false }
        return entry.ports.contains { $0.name != nil && $0.proto == proto }
    }

    /// SRV records: priority 0, weight floor(100 / N) for N targets (CoreDNS `backend_lookup.go`;
    /// a ClusterIP Service counts one per port and cluster IP, a headless one per port and ready
    /// endpoint, repeats included), with the targets' addresses in the additional section.
    /// ClusterIP services point at the service name and service port; headless ones at each ready
    /// endpoint's name and port.
    func srv(_ entry: ServiceView, ports: [ServiceView.Port], owner: DomainName) -> Lookup {
        switch entry.kind {
        case .externalName:
            return .records([])
        case .clusterIP(let addresses):
            let target = serviceName(entry)
            // CoreDNS counts a target per (port, cluster IP) pair, so a dual-stack Service's
            // single port weighs 50 (`findServices` in plugin/kubernetes, `SRV` in backend_lookup.go).
            let weight = UInt16(max(1, 100 / max(1, ports.count * max(1, addresses.count))))
            var seen = Set<UInt16>()
            let out = ports.filter { seen.insert($0.port).inserted }.map {
                srvRecord(owner: owner, port: $0.port, target: target, weight: weight)
            }
            return .records(out, additional: addressRecords(addresses, owner: target, type: .any))
        case .headless:
            // Endpoints are read in place through the buffer, not copied (a retain and a release
            // each): this runs for every SRV answer recomputed after a change.
            return entry.readyEndpoints.withUnsafeBufferPointer {
                headlessSRV($0, ports: ports, service: serviceName(entry), owner: owner)
            }
        }
    }

    /// One SRV record of `owner`, priority 0.
    private func srvRecord(owner: DomainName, port: UInt16, target: DomainName, weight: UInt16) -> ResourceRecord {
        ResourceRecord(name: owner, ttl: ttl, data: .srv(SRVData(priority: 0, weight: weight, port: port, target: target)))
    }

    /// A headless Service's SRV records (spec §2.4.2): one per ready endpoint and port it has
    /// (named ports resolved per endpoint), each (endpoint name, port) once, targets named
    /// `<label>.<service>`; the targets' addresses, each once, in the additional section.
    private func headlessSRV(_ endpoints: UnsafeBufferPointer<Endpoint>, ports: [ServiceView.Port],
                             service: DomainName, owner: DomainName) -> Lookup {
        // The weight divides 100 among every (endpoint, port) target, repeats included, so the
        // endpoints' ports are matched first (kept, endpoint by endpoint, for the records).
        var matched: [UInt16?] = [], count = 0
        matched.reserveCapacity(endpoints.count * ports.count)
        // An endpoint whose name would pass 255 octets has no target (RFC 1035 §2.3.4).
        let room = 255 - service.wire.count - 1
        for i in endpoints.indices {
            let named = endpoints[i].dnsLabel.utf8.count <= room
            for p in ports {
                let port = named ? endpoints[i].port(named: p.name, proto: p.proto) : nil
                matched.append(port)
                if port != nil { count += 1 }
            }
        }
        let weight = UInt16(max(1, 100 / max(1, count)))
        // Targets all share the service name, so duplicates are found by the endpoint label, not
        // by hashing whole names.
        struct TargetPort: Hashable { let label: String; let port: UInt16 }
        var seen = Set<TargetPort>(minimumCapacity: count)
        var out: [ResourceRecord] = [], additional: [ResourceRecord] = []
        out.reserveCapacity(count)
        additional.reserveCapacity(endpoints.count)
        var previous: Int?                           // the last endpoint that had a target
        for i in endpoints.indices {
            let label = endpoints[i].dnsLabel
            var target: DomainName?
            for port in matched[i * ports.count ..< (i + 1) * ports.count] {
                guard let port else { continue }
                if target == nil { target = service.prepending(label) }
                guard let target else { break }
                if seen.insert(TargetPort(label: label, port: port)).inserted {
                    out.append(srvRecord(owner: owner, port: port, target: target, weight: weight))
                }
            }
            // In target order, each record once: the endpoints are sorted by address, then
            // hostname (`EndpointComputer.order`), so equal (label, address) pairs are adjacent.
            guard let target else { continue }
            defer { previous = i }
            if let p = previous, endpoints[p].address == endpoints[i].address, endpoints[p].dnsLabel == label { continue }
            additional.append(addressRecord(endpoints[i].address, owner: target))
        }
        return .records(out, additional: additional)
    }

    /// The per-endpoint name `<hostname>.<svc>.<ns>.svc.<zone>`; an endpoint without a hostname
    /// gets its dashed address (spec §2.4.1 leaves the label free; CoreDNS uses the dashed IP).
    /// Nil when that name would pass 255 octets (RFC 1035 §2.3.4): such an endpoint has no name,
    /// no SRV record and no PTR.
    func endpointName(_ ep: Endpoint, in entry: ServiceView) -> DomainName? {
        serviceName(entry).prepending(ep.dnsLabel)
    }

    /// `<hostname>.<svc>.<ns>.svc.<zone>`: the ready endpoints with that name (spec §2.4.1;
    /// CoreDNS also answers these for ClusterIP services).
    func endpointLookup(_ entry: ServiceView, hostname: String, owner: DomainName, type: RecordType) -> Lookup {
        guard entry.kind.isAddressable else { return .nxdomain }
        let hits = entry.readyEndpoints.lazy.filter { $0.dnsLabel == hostname }.map(\.address)
        guard !hits.isEmpty else { return .nxdomain }
        return .records(addressRecords(hits, owner: owner, type: type))
    }
}
