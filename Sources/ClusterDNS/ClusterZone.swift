import DNSModel
import ClusterModel

/// The cluster zone (`cluster.local` by default) answered from one snapshot of the endpoint store,
/// following the Kubernetes DNS-Based Service Discovery specification, schema 1.1.0.
///
/// Pure and synchronous: no I/O, no clock, no logging. `answer` and `records` share the same
/// record builders, so a zone transfer always matches what queries see.
public struct ClusterZone: Sendable {
    /// The cluster domain.
    public let apex: DomainName
    /// TTL of every generated record, and the SOA minimum (negative-caching time, RFC 2308 §4).
    public let ttl: UInt32
    /// Which pod A records are answered.
    public let podMode: PodRecordMode
    /// Records from a static zone file for the same domain: they supply SOA and NS, and extra names.
    public let overlay: StaticZone?

    /// The schema version served at `dns-version.<zone>` (spec §2.1).
    public static let schemaVersion = "1.1.0"
    /// The TTL of the schema version record: 28800 s, as in the spec's example (§2.1) and
    /// CoreDNS (`kubernetes.go`); the version never changes while the server runs, whatever `ttl`.
    public static let schemaVersionTTL: UInt32 = 28800

    /// Where the SOA serial starts: the serial is `serialBase` (or the zone file's serial, when
    /// larger) plus the snapshot generation. `serve` passes the Unix time it started at, so the
    /// serial does not fall back after a restart (RFC 1982: a secondary keeps a copy whose serial
    /// looks newer) unless the last run published more than one generation per second of uptime.
    public let serialBase: UInt32

    /// When true, a ClusterIP (NodePort, LoadBalancer) Service with no ready endpoint answers
    /// NXDOMAIN, as a headless one does, so that a client's search path moves on (CoreDNS
    /// `ignore empty_service`); the spec (§2.3) answers its cluster IP whatever its endpoints.
    public let ignoresEmptyServices: Bool

    /// The zone for `apex`, its records living `ttl` seconds.
    public init(apex: DomainName = "cluster.local.", ttl: UInt32 = 5, podMode: PodRecordMode = .insecure,
                overlay: StaticZone? = nil, serialBase: UInt32 = 0, ignoresEmptyServices: Bool = false) {
        self.apex = apex.lowercased(); self.ttl = ttl; self.podMode = podMode; self.overlay = overlay
        self.serialBase = serialBase; self.ignoresEmptyServices = ignoresEmptyServices
    }

    /// The zone's SOA: the overlay's when it has one (serial advanced by the snapshot generation,
    /// from `serialBase` when that is larger; minimum and TTL the smaller of its minimum and
    /// `ttl`), otherwise synthesised like CoreDNS (`ns.dns.<zone>`,
    /// `hostmaster.<zone>`, serial `serialBase` + generation).
    public func soa(in snapshot: ClusterSnapshot) -> ResourceRecord {
        let serial = UInt32(truncatingIfNeeded: snapshot.generation)
        if let rr = overlay?.soa, case .soa(var data) = rr.data {
            data.serial = max(data.serial, serialBase) &+ serial
            data.minimum = min(data.minimum, ttl)
            // Its TTL is the minimum too: a negative answer is cached for min(SOA TTL, minimum)
            // (RFC 2308 §3), which must not exceed the minimum the file asks for.
            return ResourceRecord(name: apex, ttl: data.minimum, data: .soa(data))
        }
        return ResourceRecord(name: apex, ttl: ttl, data: .soa(SOAData(
            mname: nameserver, rname: apex.prepending("hostmaster") ?? apex,
            serial: serialBase &+ serial, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl)))
    }

    /// The synthesised name server name `ns.dns.<zone>` (CoreDNS `ns.go`).
    var nameserver: DomainName { apex.prepending("dns")?.prepending("ns") ?? apex }

    /// The apex NS records: the overlay's, or `ns.dns.<zone>`.
    func nsRecords() -> [ResourceRecord] {
        let fromFile = overlay?.records(at: apex, type: .ns) ?? []
        return fromFile.isEmpty ? [ResourceRecord(name: apex, ttl: ttl, data: .ns(nameserver))] : fromFile
    }

    /// True when the apex NS is synthesised (`ns.dns.<zone>`): the zone file names none.
    var synthesisesNS: Bool { overlay?.records(at: apex, type: .ns).isEmpty ?? true }

    /// The addresses of the synthesised name server: the cluster IPs of the Service that fronts
    /// cluster DNS, `kube-system/kube-dns` (the name every distribution keeps; CoreDNS `ns.go`
    /// answers `ns.dns.<zone>` with the cluster IPs of the Service whose endpoints it serves).
    /// Empty when there is no such Service: `ns.dns.<zone>` then exists without addresses (NODATA).
    func nameserverAddresses(_ view: SnapshotView) -> [IPAddress] {
        guard synthesisesNS, let entry = view.service("kube-system", "kube-dns"),
              case .clusterIP(let addresses) = entry.kind else { return [] }
        return addresses.sorted()
    }

    /// The synthesised name server's A and AAAA records (glue for the apex NS).
    func nameserverRecords(_ view: SnapshotView, type: RecordType = .any) -> [ResourceRecord] {
        addressRecords(nameserverAddresses(view), owner: nameserver, type: type)
    }

    /// Answers one question whose name lies in this zone, following CNAMEs (ExternalName
    /// Services, static CNAMEs) to the names of this zone they point at (spec §2.5; CoreDNS
    /// chases in-zone targets); `Authority` follows them into our other zones too.
    public func answer(_ question: Question, in snapshot: ClusterSnapshot) -> Answer {
        chase(question, in: snapshot).answer
    }

    /// `answer`, and why its CNAME chain (if any) ended.
    func chase(_ question: Question, in snapshot: ClusterSnapshot) -> (answer: Answer, end: CNAMEChainEnd) {
        answerName(question, in: snapshot).chasingCNAMEs(of: question) { target in
            target.isSubdomain(of: apex) ? answerName(Question(name: target, type: question.type), in: snapshot) : nil
        }
    }

    /// The answer for the question's name alone: a CNAME there is not followed.
    func answerName(_ question: Question, in snapshot: ClusterSnapshot) -> Answer {
        let owner = question.name
        let view = SnapshotView(snapshot)
        let name = ClusterName(owner, apexLabelCount: apex.labelCount)
        var lookup = lookup(name, owner: owner, type: question.type, view: view)
        // Static records from the zone file live beside the generated ones.
        if let overlay, owner != apex, overlay.hasName(owner) {
            let fixed = overlay.lookup(owner, type: question.type)
            switch (lookup, fixed) {
            case (.nxdomain, _): lookup = fixed
            case (.records(let rrs, let add), .records(let more, let moreAdd)):
                lookup = .records(rrs + more, additional: add + moreAdd)
            default: break
            }
        }
        switch lookup {
        case .nxdomain:
            var answer = Answer(rcode: .nxDomain, authority: [soa(in: snapshot)])
            answer.extendedError = whyMissing(name, view: view)
            return answer
        case .records(let rrs, let additional):
            if rrs.isEmpty { return Answer(authority: [soa(in: snapshot)]) }
            return Answer(answer: rrs, additional: additional)
        }
    }

    func lookup(_ name: ClusterName, owner: DomainName, type: RecordType, view: SnapshotView) -> Lookup {
        switch name {
        case .apex:
            switch type {
            case .soa, .any: return .records([soa(in: view.snapshot).renamed(owner)])
            case .ns:
                // Glue: the name servers' addresses, from the zone file or synthesised (CoreDNS `ns.go`).
                var glue: [ResourceRecord] = nameserverRecords(view)
                for rr in nsRecords() {
                    if case .ns(let target) = rr.data, let overlay {
                        glue += overlay.records(at: target, type: .a) + overlay.records(at: target, type: .aaaa)
                    }
                }
                return .records(nsRecords().map { $0.renamed(owner) }, additional: glue)
            default: return .records([])
            }
        case .dnsVersion:
            let txt = ResourceRecord(name: owner, ttl: Self.schemaVersionTTL, data: .txt(Self.schemaVersion))
            return .records(type == .txt || type == .any ? [txt] : [])
        case .serviceRoot:
            return .records([])
        case .nameserverParent:
            return synthesisesNS ? .records([]) : .nxdomain
        case .nameserver:
            // The zone file's own records answer when it names its name servers.
            guard synthesisesNS else { return .nxdomain }
            return .records(nameserverRecords(view, type: type).map { $0.renamed(owner) })
        case .podRoot:
            return podMode == .disabled ? .nxdomain : .records([])
        case .namespace(let ns):
            return view.namespaceExists(ns) ? .records([]) : .nxdomain
        case .service(let ns, let svc):
            guard let entry = view.service(ns, svc) else { return .nxdomain }
            return serviceLookup(entry, owner: owner, type: type)
        case .endpoint(let ns, let svc, let host):
            guard let entry = view.service(ns, svc) else { return .nxdomain }
            if host.hasPrefix("_") {
                return protocolExists(entry, proto: String(host.dropFirst())) ? .records([]) : .nxdomain
            }
            return endpointLookup(entry, hostname: host, owner: owner, type: type)
        case .port(let ns, let svc, let port, let proto):
            guard let entry = view.service(ns, svc) else { return .nxdomain }
            return portLookup(entry, port: port, proto: proto, owner: owner, type: type)
        case .podNamespace(let ns):
            return podMode != .disabled && view.namespaceExists(ns) ? .records([]) : .nxdomain
        case .pod(let ns, let label):
            return podLookup(namespace: ns, label: label, owner: owner, type: type, view: view)
        case .other:
            return .nxdomain
        }
    }

    /// `a-b-c-d.<ns>.pod.<zone>` (CoreDNS `pods insecure|verified`; legacy, spec 1.0.x).
    func podLookup(namespace ns: String, label: String, owner: DomainName, type: RecordType,
                   view: SnapshotView) -> Lookup {
        guard podMode != .disabled, view.namespaceExists(ns), let address = Self.podAddress(label) else {
            return .nxdomain
        }
        if podMode == .verified, !view.podExists(ip: address, namespace: ns) { return .nxdomain }
        return .records(addressRecords([address], owner: owner, type: type))
    }

    /// Reads the address out of a pod label: exactly three dashes is IPv4, otherwise IPv6 with
    /// dashes for colons (CoreDNS `findPods`).
    static func podAddress(_ label: String) -> IPAddress? {
        let dashes = label.filter { $0 == "-" }.count
        if dashes == 3, !label.contains("--") {
            return IPv4Address(label.replacingOccurrences("-", ".")).map(IPAddress.v4)
        }
        return IPv6Address(label.replacingOccurrences("-", ":")).map(IPAddress.v6)
    }

    /// A and AAAA records for `addresses` that match `type` (ANY takes both), each address once.
    /// Equal addresses must be adjacent, so no set is needed to find them: endpoint lists are sorted
    /// by address (`EndpointComputer.order`) and a Service's `clusterAddresses` are distinct.
    func addressRecords(_ addresses: some Collection<IPAddress>, owner: DomainName, type: RecordType) -> [ResourceRecord] {
        var out: [ResourceRecord] = []
        out.reserveCapacity(addresses.count)
        var previous: IPAddress?
        for address in addresses where address != previous {
            previous = address
            switch address {
            case .v4 where type == .a || type == .any, .v6 where type == .aaaa || type == .any:
                out.append(addressRecord(address, owner: owner))
            default: break
            }
        }
        return out
    }

    /// The A or AAAA record of one address.
    func addressRecord(_ address: IPAddress, owner: DomainName) -> ResourceRecord {
        switch address {
        case .v4(let a): ResourceRecord(name: owner, ttl: ttl, data: .a(a))
        case .v6(let a): ResourceRecord(name: owner, ttl: ttl, data: .aaaa(a))
        }
    }
}

extension Lookup {
    var isNX: Bool { if case .nxdomain = self { true } else { false } }
}

extension ResourceRecord {
    /// The same record under another owner spelling (to echo the question's case).
    func renamed(_ owner: DomainName) -> ResourceRecord {
        var rr = self
        rr.name = owner
        return rr
    }
}

extension String {
    func replacingOccurrences(_ a: Character, _ b: Character) -> String { String(map { $0 == a ? b : $0 }) }
}
