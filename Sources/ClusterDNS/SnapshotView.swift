import DNSModel
import ClusterModel

/// A service as the record builders see it: names lower-cased, ports and endpoints reduced to
/// what DNS needs.
struct ServiceView {
    /// How the service's own name answers.
    enum Kind {
        /// ClusterIP, NodePort or LoadBalancer: the cluster IPs (exposure never changes DNS).
        case clusterIP([IPAddress])
        /// `clusterIP: None`.
        case headless
        /// A CNAME target; nil when `externalName` is not a usable host name (e.g. an IP literal).
        case externalName(DomainName?)

        var isAddressable: Bool { if case .externalName = self { false } else { true } }
    }

    struct Port {
        var name: String?
        /// `tcp`, `udp` or `sctp`, as in `_<proto>` labels.
        var proto: String
        var port: UInt16
    }

    struct EndpointView {
        var address: IPAddress
        /// The endpoint's DNS label: its hostname, or its dashed address (CoreDNS `endpointHostname`).
        var label: String
        var ports: [EndpointPort]

        /// The endpoint's port for the service port with this name and protocol.
        func port(named name: String?, proto: String) -> UInt16? {
            ports.first { $0.name?.lowercased() == name?.lowercased() && $0.protocol.rawValue.lowercased() == proto }?.port
        }
    }

    let name: String
    let namespace: String
    let kind: Kind
    let ports: [Port]
    let readyEndpoints: [EndpointView]

    init(_ entry: ServiceEntry) {
        let s = entry.service
        name = s.name.lowercased()
        namespace = s.namespace.lowercased()
        if s.type == .externalName {
            let target = s.externalName.flatMap { text -> DomainName? in
                guard IPAddress(text) == nil, !text.isEmpty else { return nil }
                return DomainName(text)
            }
            kind = .externalName(target)
        } else if s.isHeadless {
            kind = .headless
        } else {
            kind = .clusterIP(s.clusterAddresses)
        }
        ports = s.ports.map { Port(name: $0.name, proto: $0.protocol.rawValue.lowercased(), port: $0.port) }
        readyEndpoints = entry.readyEndpoints.map {
            EndpointView(address: $0.address, label: $0.dnsLabel, ports: $0.ports)
        }
    }
}

/// Read access to one snapshot in the shapes the record builders need.
struct SnapshotView {
    let snapshot: ClusterSnapshot
    init(_ snapshot: ClusterSnapshot) { self.snapshot = snapshot }

    func namespaceExists(_ ns: String) -> Bool { snapshot.namespaces.contains(ns) }

    func service(_ ns: String, _ name: String) -> ServiceView? {
        snapshot.services[ServiceKey(namespace: ns, name: name)].map(ServiceView.init)
    }

    var allServices: [ServiceView] {
        snapshot.services.keys.sorted().compactMap { snapshot.services[$0].map(ServiceView.init) }
    }

    func podExists(ip: IPAddress, namespace: String) -> Bool {
        snapshot.podNamespaces(ip: ip).contains(namespace)
    }

    func services(withClusterIP ip: IPAddress) -> [ServiceView] {
        snapshot.services(withClusterIP: ip).compactMap { snapshot.services[$0].map(ServiceView.init) }
    }

    func endpoints(withIP ip: IPAddress) -> [(ServiceView, ServiceView.EndpointView)] {
        var out: [(ServiceView, ServiceView.EndpointView)] = []
        for key in snapshot.services(withEndpointIP: ip) {
            guard let entry = snapshot.services[key] else { continue }
            let view = ServiceView(entry)
            guard view.kind.isAddressable else { continue }
            for ep in view.readyEndpoints where ep.address == ip { out.append((view, ep)) }
        }
        return out
    }

    /// Every cluster IP and ready endpoint address.
    var allAddresses: [IPAddress] {
        var set = Set<IPAddress>()
        for entry in snapshot.services.values {
            set.formUnion(entry.service.clusterAddresses)
            set.formUnion(entry.readyEndpoints.map(\.address))
        }
        return set.sorted()
    }
}
