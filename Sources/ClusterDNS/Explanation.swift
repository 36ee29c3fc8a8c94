import DNSModel
import DNSWire
import ClusterModel

/// Why a name answers the way it does: the objects that make the answer, and every pod or
/// endpoint that was left out with the reason (the most common cluster-DNS report is "my pod's
/// name is NXDOMAIN": not ready, terminating, wrong subdomain, labels that do not match).
public struct Explanation: Sendable, Codable, Equatable {
    /// One object that contributes records.
    public struct Contributor: Sendable, Codable, Equatable {
        /// `service NS/NAME`, `pod NS/NAME` or `endpoint`.
        public var object: String
        /// What it contributes (type and cluster IPs, or the address and hostname).
        public var detail: String
    }
    /// One pod or endpoint left out of the answer.
    public struct Exclusion: Sendable, Codable, Equatable {
        /// `pod NS/NAME` or `endpoint`.
        public var object: String
        /// Its address, when it has one.
        public var address: String?
        /// Why it is not in the answer (not ready, terminating, no IP, labels, subdomain, ...).
        public var reason: String
    }

    /// The name asked about, absolute.
    public var name: String
    /// The record type asked about (`A`, `SRV`, ...).
    public var type: String
    /// The response code the answer has (`NOERROR`, `NXDOMAIN`, ...).
    public var rcode: String
    /// The answer records in zone-file text.
    public var answer: [String]
    /// What the name is: `service`, `endpoint`, `port`, `pod`, `namespace`, `apex`, `reverse`, `other`.
    public var kind: String
    /// The objects that make the answer.
    public var contributors: [Contributor] = []
    /// The pods and endpoints left out, each with the reason.
    public var excluded: [Exclusion] = []
    /// Other facts that explain the answer (where endpoints come from, missing objects, ...).
    public var notes: [String] = []

    /// Human-readable lines, as `clusterdns explain` prints them.
    public var text: String {
        var lines = ["\(name) \(type): \(rcode)"]
        lines += answer.map { "  " + $0 }
        if !contributors.isEmpty { lines.append("made by:") }
        lines += contributors.map { "  \($0.object): \($0.detail)" }
        if !excluded.isEmpty { lines.append("left out:") }
        lines += excluded.map { "  \($0.object)\($0.address.map { " (\($0))" } ?? ""): \($0.reason)" }
        lines += notes.map { "note: " + $0 }
        return lines.joined(separator: "\n")
    }
}

extension Authority {
    /// Explains the answer to `name`/`type` in `snapshot`.
    public func explain(_ name: DomainName, type: RecordType, in snapshot: ClusterSnapshot) -> Explanation {
        let zone = zone(for: name, in: snapshot, ownsAllReverse: true)
        let answer = self.answer(Question(name: name, type: type), zone: zone, in: snapshot)
        var e = Explanation(name: name.description, type: type.description, rcode: answer.rcode.description,
                            answer: answer.answer.map(\.presentation), kind: "other")
        switch zone {
        case .outside:
            e.notes.append("the name is outside every zone served here (forwarded when --upstream is set, else REFUSED)")
        case .static(let origin):
            e.kind = "static"
            e.notes.append("served from the static zone \(origin)")
        case .reverse:
            e.kind = "reverse"
            e.notes.append("PTR records exist for cluster IPs and ready endpoint addresses only")
        case .cluster:
            explainCluster(ClusterName(name, apexLabelCount: cluster.apex.labelCount), into: &e, snapshot: snapshot)
        }
        return e
    }

    private func explainCluster(_ name: ClusterName, into e: inout Explanation, snapshot: ClusterSnapshot) {
        switch name {
        case .apex: e.kind = "apex"
        case .dnsVersion: e.kind = "schema version"
        case .serviceRoot, .podRoot: e.kind = "empty non-terminal"
        case .nameserverParent: e.kind = "empty non-terminal"
        case .nameserver:
            e.kind = "name server"
            e.notes.append("ns.dns.DOMAIN answers the cluster IPs of the Service kube-system/kube-dns, when the zone file names no name servers")
        case .namespace(let ns):
            e.kind = "namespace"
            if !snapshot.namespaces.contains(ns) { e.notes.append("no namespace \(ns) exists (no Namespace object and no object in it)") }
        case .podNamespace(let ns), .pod(let ns, _):
            e.kind = "pod"
            e.notes.append("pod records are served in \(cluster.podMode.rawValue) mode")
            if !snapshot.namespaces.contains(ns) { e.notes.append("no namespace \(ns) exists") }
        case .service(let ns, let svc):
            e.kind = "service"
            explainService(ns, svc, hostname: nil, into: &e, snapshot: snapshot)
        case .endpoint(let ns, let svc, let host):
            e.kind = host.hasPrefix("_") ? "empty non-terminal" : "endpoint"
            explainService(ns, svc, hostname: host.hasPrefix("_") ? nil : host, into: &e, snapshot: snapshot)
        case .port(let ns, let svc, let port, let proto):
            e.kind = "port"
            explainService(ns, svc, hostname: nil, into: &e, snapshot: snapshot)
            if let entry = snapshot.service(namespace: ns, name: svc),
               !entry.service.ports.contains(where: { $0.name?.lowercased() == port && $0.protocol.rawValue.lowercased() == proto }) {
                e.notes.append("service \(ns)/\(svc) has no port named \(port) with protocol \(proto.uppercased()) (SRV needs a named port)")
            }
        case .other:
            e.notes.append("the name does not have a Kubernetes shape (svc.NS.svc.DOMAIN, HOST.svc.NS.svc.DOMAIN, _port._proto.svc.NS.svc.DOMAIN, A-B-C-D.NS.pod.DOMAIN)")
        }
    }

    private func explainService(_ ns: String, _ svc: String, hostname: String?, into e: inout Explanation,
                                snapshot: ClusterSnapshot) {
        guard snapshot.namespaces.contains(ns) else {
            e.notes.append("no namespace \(ns) exists")
            return
        }
        guard let entry = snapshot.service(namespace: ns, name: svc) else {
            e.notes.append("no service \(ns)/\(svc) exists")
            let pods = snapshot.pods.values.filter { $0.namespace == ns && $0.subdomain == svc }
            if !pods.isEmpty {
                e.notes.append("pods \(pods.map(\.name).sorted().joined(separator: ", ")) set subdomain \(svc), but a headless service of that name is needed")
            }
            return
        }
        let s = entry.service
        let kind = s.type == .externalName ? "ExternalName" : s.isHeadless ? "headless" : s.type.rawValue
        e.contributors.append(.init(object: "service \(ns)/\(svc)", detail: kind + (s.clusterAddresses.isEmpty ? "" : " " + s.clusterAddresses.map(\.description).joined(separator: ","))))
        switch entry.source {
        case .endpointSlices: e.notes.append("endpoints come from EndpointSlices labelled kubernetes.io/service-name=\(svc)")
        case .endpoints: e.notes.append("endpoints come from the v1 Endpoints object \(ns)/\(svc)")
        case .pods: e.notes.append("endpoints are derived from the pods matching the selector \(Self.selectorText(s.selector))")
        case .none: break
        }
        if cluster.ignoresEmptyServices, !s.isHeadless, s.type != .externalName, entry.readyEndpoints.isEmpty {
            e.notes.append("service \(ns)/\(svc) has no ready endpoints, so its names are NXDOMAIN (--ignore-empty-services)")
        }
        // An endpoint's name is its DNS label: its hostname, its pod's name (--endpoint-pod-names) or its dashed address.
        for ep in entry.readyEndpoints where hostname == nil || ep.dnsLabel == hostname {
            e.contributors.append(.init(object: ep.targetPod.map { "pod \(ns)/\($0)" } ?? "endpoint",
                                        detail: "\(ep.address) ready" + (ep.hostname.map { ", hostname \($0)" } ?? "")))
        }
        for ep in entry.notReadyEndpoints where hostname == nil || ep.dnsLabel == hostname {
            e.excluded.append(.init(object: ep.targetPod.map { "pod \(ns)/\($0)" } ?? "endpoint", address: ep.address.description,
                                    reason: "not ready" + (ep.targetPod.flatMap { snapshot.pods[NamespacedName(namespace: ns, name: $0)] }?.isTerminating == true ? " (terminating)" : "")))
        }
        guard entry.source == .pods || entry.source == .none else { return }
        for pod in snapshot.pods.values.sorted(by: { ($0.namespace, $0.name) < ($1.namespace, $1.name) }) {
            guard let reason = Self.exclusionReason(pod, service: s, hostname: hostname, entry: entry) else { continue }
            e.excluded.append(.init(object: "pod \(pod.namespace)/\(pod.name)", address: pod.podIPs.first?.description, reason: reason))
        }
    }

    /// Why `pod` is not among the service's ready endpoints, or nil when it is, or is unrelated.
    static func exclusionReason(_ pod: KubePod, service s: KubeService, hostname: String?, entry: ServiceEntry) -> String? {
        let selected = !(s.selector ?? [:]).isEmpty && (s.selector ?? [:]).allSatisfy { pod.labels[$0.key] == $0.value }
        let named = hostname != nil && pod.hostname?.lowercased() == hostname
        // For an endpoint name (`<hostname>.<service>`), only the pods that could own it: its
        // hostname, or its dashed address; for the service name, every pod selected or claiming it.
        let related = hostname.map { h in named || pod.name.lowercased() == h || pod.podIPs.contains { $0.dashed == h } }
            ?? (selected || pod.subdomain == s.name)
        guard related else { return nil }
        if entry.readyEndpoints.contains(where: { $0.targetPod == pod.name }) || entry.notReadyEndpoints.contains(where: { $0.targetPod == pod.name }) {
            if named, pod.subdomain != s.name { return "hostname \(pod.hostname ?? "") needs spec.subdomain \(s.name), the pod has \(pod.subdomain.map { "\"\($0)\"" } ?? "none")" }
            return nil
        }
        if pod.namespace != s.namespace { return selected ? "other namespace (\(pod.namespace))" : nil }
        if s.selector == nil || s.selector?.isEmpty == true { return "the service has no selector, so no pods are selected" }
        if !selected { return "labels \(selectorText(pod.labels)) do not match the selector \(selectorText(s.selector))" }
        if pod.podIPs.isEmpty { return "no IP yet (status.podIP empty)" }
        if !pod.podIPs.contains(where: s.admitsEndpoint) {
            let names = KubeService.IPFamily.allCases.filter(s.endpointFamilies.contains).map(\.rawValue).joined(separator: ", ")
            return "no IP of the service's IP families (\(names))"
        }
        if pod.phase == .succeeded || pod.phase == .failed { return "phase \(pod.phase?.rawValue ?? "")" }
        if pod.isTerminating { return "terminating (deletionTimestamp set)" }
        if !pod.ready { return "not ready (Ready condition is not True)" }
        return nil
    }

    static func selectorText(_ selector: [String: String]?) -> String {
        guard let selector, !selector.isEmpty else { return "{}" }
        return "{" + selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "}"
    }
}
