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

    let name: String
    let namespace: String
    let kind: Kind
    /// The Service's ports (built on use: most answers do not need them).
    var ports: [Port] { entry.service.ports.map { Port(name: $0.name, proto: $0.protocol.label, port: $0.port) } }
    /// The entry, held by reference: its Service's fields are read one at a time (`ServiceEntry`'s
    /// reads are inlinable), never copied whole.
    private let entry: ServiceEntry
    /// The entry's ready endpoints, sorted by address (the entry's own array, not a copy per
    /// endpoint). Their DNS names use `Endpoint.dnsLabel`.
    var readyEndpoints: [Endpoint] { entry.readyEndpoints }
    /// The entry's endpoints that are not ready (for saying why a name is missing).
    var notReadyEndpoints: [Endpoint] { entry.notReadyEndpoints }

    init(_ entry: ServiceEntry) {
        self.entry = entry
        name = entry.service.name.lowercased()
        namespace = entry.service.namespace.lowercased()
        if entry.service.type == .externalName {
            let target = entry.service.externalName.flatMap { text -> DomainName? in
                guard IPAddress(text) == nil, !text.isEmpty else { return nil }
                return DomainName(text)
            }
            kind = .externalName(target)
        } else if entry.service.isHeadless {
            kind = .headless
        } else {
            kind = .clusterIP(entry.service.clusterAddresses)
        }
    }
}

extension TransportProtocol {
    /// The protocol as in `_<proto>` labels (RFC 2782): lower case.
    var label: String {
        switch self {
        case .tcp: "tcp"
        case .udp: "udp"
        case .sctp: "sctp"
        }
    }
}

extension Endpoint {
    /// The endpoint's port for the service port with this name (ASCII case-insensitive) and
    /// protocol label.
    func port(named name: String?, proto: String) -> UInt16? {
        for p in ports where p.protocol.label == proto {
            switch (p.name, name) {
            case (nil, nil): return p.port
            // Endpoint port names are copied from the Service's, so the exact match comes first.
            case (let a?, let b?) where a == b || a.utf8.elementsEqual(b.utf8, by: { DomainName.lower($0) == DomainName.lower($1) }):
                return p.port
            default: continue
            }
        }
        return nil
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

    func endpoints(withIP ip: IPAddress) -> [(ServiceView, Endpoint)] {
        var out: [(ServiceView, Endpoint)] = []
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
