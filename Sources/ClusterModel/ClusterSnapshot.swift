import DNSModel

/// An immutable view of the cluster at one generation. Cheap to share: readers hold a reference.
public final class ClusterSnapshot: Sendable {
    /// Increments by one with every published change.
    public let generation: UInt64
    /// Every Service with its endpoints, by lower-cased (namespace, name).
    public let services: ShardedDictionary<ServiceKey, ServiceEntry>
    /// Namespaces that exist: every Namespace object, every namespace some object lives in, and `default`.
    public let namespaces: Set<String>
    /// The Services with an endpoint at each address, ready or not (once per such endpoint), for
    /// reverse lookups (spec A3.5, C7), which answer for the ready ones only; the endpoints
    /// themselves are in `services`. Not-ready endpoints are indexed too, so that a readiness
    /// flip, the commonest change under churn, leaves the index alone.
    public let endpointsByIP: ShardedDictionary<IPAddress, [ServiceKey]>
    /// Services by cluster IP, for reverse lookups (spec A2.4, A2.5).
    public let servicesByClusterIP: ShardedDictionary<IPAddress, [ServiceKey]>
    /// Pods by IP: pods with an IP that are not terminating and not Succeeded, Failed or Unknown
    /// (CoreDNS `pods verified`, spec C8; Pending pods with an IP count).
    public let podsByIP: ShardedDictionary<IPAddress, PodsAtAddress>
    /// Stored Pods.
    public let pods: ShardedDictionary<NamespacedName, KubePod>
    /// Stored v1 Endpoints objects.
    public let endpoints: ShardedDictionary<NamespacedName, KubeEndpoints>
    /// Stored EndpointSlices.
    public let endpointSlices: ShardedDictionary<NamespacedName, KubeEndpointSlice>
    /// Stored Namespace objects, by name.
    public let namespaceObjects: [String: KubeNamespace]
    /// The reverse-tree branches above every address of `endpointsByIP` and
    /// `servicesByClusterIP`: the partial reverse names that are empty non-terminals.
    package let reverseBranches: ShardedDictionary<ReverseBranch, Bool>

    init(generation: UInt64, services: ShardedDictionary<ServiceKey, ServiceEntry>, namespaces: Set<String>,
         endpointsByIP: ShardedDictionary<IPAddress, [ServiceKey]>,
         servicesByClusterIP: ShardedDictionary<IPAddress, [ServiceKey]>,
         podsByIP: ShardedDictionary<IPAddress, PodsAtAddress>,
         pods: ShardedDictionary<NamespacedName, KubePod>,
         endpoints: ShardedDictionary<NamespacedName, KubeEndpoints>,
         endpointSlices: ShardedDictionary<NamespacedName, KubeEndpointSlice>,
         namespaceObjects: [String: KubeNamespace], reverseBranches: ShardedDictionary<ReverseBranch, Bool> = .init()) {
        self.generation = generation; self.services = services; self.namespaces = namespaces
        self.endpointsByIP = endpointsByIP; self.servicesByClusterIP = servicesByClusterIP
        self.podsByIP = podsByIP; self.pods = pods; self.endpoints = endpoints
        self.endpointSlices = endpointSlices; self.namespaceObjects = namespaceObjects
        self.reverseBranches = reverseBranches
    }

    /// The empty cluster at generation 0 (only `default` exists).
    public static let empty = ClusterSnapshot(
        generation: 0, services: .init(), namespaces: ["default"], endpointsByIP: .init(),
        servicesByClusterIP: .init(), podsByIP: .init(), pods: .init(), endpoints: .init(),
        endpointSlices: .init(), namespaceObjects: [:])

    /// The Service entry for a namespace and name (case-insensitive).
    public func service(namespace: String, name: String) -> ServiceEntry? {
        services[ServiceKey(namespace: namespace, name: name)]
    }

    /// The namespaces of the pods that have `ip` (for `pods verified`).
    public func podNamespaces(ip: IPAddress) -> [String] {
        podsByIP[ip]?.pods.map(\.namespace) ?? []
    }

    /// The services whose cluster IPs include `ip`.
    public func services(withClusterIP ip: IPAddress) -> [ServiceKey] {
        servicesByClusterIP[ip] ?? []
    }

    /// The services with an endpoint at `ip`, ready or not (check `readyEndpoints` for what DNS
    /// serves), each once, sorted (so the answer does not depend on the order in which changes
    /// reached the index).
    public func services(withEndpointIP ip: IPAddress) -> [ServiceKey] {
        Set(endpointsByIP[ip] ?? []).sorted()
    }

    /// How many objects of a kind are stored.
    public func objectCount(of kind: ObjectKind) -> Int {
        switch kind {
        case .service: services.count
        case .pod: pods.count
        case .endpoints: endpoints.count
        case .endpointSlice: endpointSlices.count
        case .namespace: namespaceObjects.count
        }
    }

    /// The stored object with this key.
    public func object(_ key: ObjectKey) -> KubeObject? {
        switch key.kind {
        case .service: services[key.id].map { .service($0.service) }
        case .pod: pods[key.id].map { .pod($0) }
        case .endpoints: endpoints[key.id].map { .endpoints($0) }
        case .endpointSlice: endpointSlices[key.id].map { .endpointSlice($0) }
        case .namespace: namespaceObjects[key.name].map { .namespace($0) }
        }
    }

    /// The stored objects of a kind, optionally of one namespace, sorted by namespace and name.
    /// O(objects of the kind).
    public func objects(of kind: ObjectKind, namespace: String? = nil) -> [KubeObject] {
        func pick<V>(_ map: ShardedDictionary<NamespacedName, V>, _ wrap: (V) -> KubeObject) -> [KubeObject] {
            map.filter { namespace == nil || $0.key.namespace == namespace }
                .sorted { $0.key < $1.key }.map { wrap($0.value) }
        }
        switch kind {
        case .service: return pick(services) { .service($0.service) }
        case .pod: return pick(pods) { .pod($0) }
        case .endpoints: return pick(endpoints) { .endpoints($0) }
        case .endpointSlice: return pick(endpointSlices) { .endpointSlice($0) }
        case .namespace: return namespaceObjects.sorted { $0.key < $1.key }.map { .namespace($0.value) }
        }
    }
}
