import DNSModel

/// A port of an endpoint (core/v1 `EndpointPort`, discovery/v1 `EndpointPort`).
public struct EndpointPort: Sendable, Hashable, Codable, Comparable {
    /// The port name, copied from the Service port name; SRV records need it (spec A2.3).
    public let name: String?
    /// The port number on the endpoint.
    public let port: UInt16
    /// The protocol.
    public let `protocol`: TransportProtocol

    /// Builds a port.
    public init(name: String? = nil, port: UInt16, protocol: TransportProtocol = .tcp) {
        self.name = name; self.port = port; self.protocol = `protocol`
    }

    /// Decodes and validates one port (the number is required).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: FieldKey.self)
        name = try c.portName("name")
        port = try c.port("port")
        `protocol` = try c.transport("protocol")
    }

    /// Encodes in the Kubernetes JSON shape.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FieldKey.self)
        try c.put(name, "name")
        try c.encode(port, forKey: "port")
        try c.encode(`protocol`, forKey: "protocol")
    }

    /// Orders by name, number, protocol.
    public static func < (a: Self, b: Self) -> Bool {
        (a.name ?? "", a.port, a.protocol) < (b.name ?? "", b.port, b.protocol)
    }
}

/// One address behind a Service, as the endpoints controllers would publish it.
public struct Endpoint: Sendable, Hashable {
    /// The endpoint's fields, behind one reference (`Box`): a Service's endpoint list is copied
    /// whenever one of its pods changes, and an element copy is then one retain, not three.
    @usableFromInline struct Fields: Sendable, Hashable {
        @usableFromInline let address: IPAddress
        @usableFromInline let hostname: String?
        @usableFromInline let ready: Bool
        @usableFromInline let targetPod: String?
        @usableFromInline let ports: [EndpointPort]
        /// `dnsLabel`, computed once: every SRV and per-endpoint answer, and the store's change
        /// marks, read it.
        @usableFromInline let dnsLabel: String
    }

    @usableFromInline let fields: Box<Fields>

    /// The address.
    @inlinable public var address: IPAddress { fields.value.address }
    /// The hostname Kubernetes sets (EndpointSlice `hostname`); nil when it sets none (spec A0.3, A6.1).
    @inlinable public var hostname: String? { fields.value.hostname }
    /// Whether DNS serves it (EndpointSlice `conditions.ready`, nil counted as ready; spec A6.4).
    @inlinable public var ready: Bool { fields.value.ready }
    /// The pod behind it (`targetRef.name`), when known.
    @inlinable public var targetPod: String? { fields.value.targetPod }
    /// The ports, named after the Service ports.
    @inlinable public var ports: [EndpointPort] { fields.value.ports }

    /// Builds an endpoint, named by `naming` when it has no hostname.
    public init(address: IPAddress, hostname: String? = nil, ready: Bool = true, targetPod: String? = nil, ports: [EndpointPort] = [],
                naming: EndpointNaming = .address) {
        let podLabel = naming == .podName ? targetPod.flatMap { Names.isDNS1123Label(Names.lowercased($0)) ? $0 : nil } : nil
        fields = Box(Fields(address: address, hostname: hostname, ready: ready, targetPod: targetPod, ports: ports,
                            dnsLabel: Names.lowercased(hostname ?? podLabel ?? address.dashed)))
    }

    /// The endpoint's DNS label under its Service: its hostname; without one, its dashed address
    /// (spec §2.4.1 leaves that label free; CoreDNS `endpointHostname` uses the dashed IP), or,
    /// with `EndpointNaming.podName`, its pod's name when that is a DNS label (CoreDNS
    /// `endpoint_pod_names`); ASCII lower-cased as DNS names compare (RFC 4343).
    @inlinable public var dnsLabel: String { fields.value.dnsLabel }
}

/// What an endpoint without a hostname is called under its Service (spec §2.4.1 leaves it free).
public enum EndpointNaming: String, Sendable, Hashable, CaseIterable {
    /// Its address, dashed: `10-244-1-7.svc.ns.svc.cluster.local` (CoreDNS's default).
    case address
    /// Its pod's name, when the pod is known and its name is a DNS label (at most 63
    /// characters), else its dashed address (CoreDNS `endpoint_pod_names`).
    case podName
}

/// Where a Service's endpoints came from.
public enum EndpointSource: String, Sendable, Hashable {
    /// EndpointSlices labelled with the service name.
    case endpointSlices
    /// A v1 Endpoints object named after the service.
    case endpoints
    /// Computed from the Pods the selector matches, as the EndpointSlice controller would.
    case pods
    /// No endpoints (ExternalName, or no selector and no endpoint objects).
    case none
}

/// A Service and its endpoints.
public struct ServiceEntry: Sendable, Hashable {
    /// The entry's fields, behind one reference (`Box`): `==` and `hash` are synthesised from it.
    @usableFromInline struct Contents: Sendable, Hashable {
        @usableFromInline let service: KubeService
        @usableFromInline let readyEndpoints: [Endpoint]
        @usableFromInline let notReadyEndpoints: [Endpoint]
        @usableFromInline let source: EndpointSource
    }

    @usableFromInline let contents: Box<Contents>

    /// The Service.
    @inlinable public var service: KubeService { contents.value.service }
    /// The endpoints DNS serves, sorted by address.
    @inlinable public var readyEndpoints: [Endpoint] { contents.value.readyEndpoints }
    /// The endpoints that exist but are not ready (kept so tooling can say why an address is missing).
    @inlinable public var notReadyEndpoints: [Endpoint] { contents.value.notReadyEndpoints }
    /// Where the endpoints came from.
    @inlinable public var source: EndpointSource { contents.value.source }

    /// Builds an entry.
    public init(service: KubeService, readyEndpoints: [Endpoint] = [], notReadyEndpoints: [Endpoint] = [], source: EndpointSource = .none) {
        contents = Box(Contents(service: service, readyEndpoints: readyEndpoints, notReadyEndpoints: notReadyEndpoints, source: source))
    }

    /// All endpoints, ready ones first.
    public var endpoints: [Endpoint] { readyEndpoints + notReadyEndpoints }

    /// The service's key.
    @inlinable public var key: ServiceKey {
        ServiceKey(namespace: contents.value.service.namespace, name: contents.value.service.name)
    }
}
