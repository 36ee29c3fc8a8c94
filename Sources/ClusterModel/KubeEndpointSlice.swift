import DNSModel

/// A discovery.k8s.io/v1 EndpointSlice, cut down to the fields cluster DNS uses.
public struct KubeEndpointSlice: Sendable, Hashable, Codable {
    /// The label naming the owning Service (`discovery.k8s.io/v1` `LabelServiceName`).
    public static let serviceNameLabel = "kubernetes.io/service-name"

    /// `addressType` (discovery/v1 `AddressType`).
    public enum AddressType: String, Sendable, Hashable, Codable, CaseIterable {
        /// IPv4 addresses.
        case ipv4 = "IPv4"
        /// IPv6 addresses.
        case ipv6 = "IPv6"
        /// Domain names (deprecated; such endpoints are not served and their addresses are not kept).
        case fqdn = "FQDN"
    }

    /// One `endpoints[]` entry (discovery/v1 `Endpoint`).
    public struct Endpoint: Sendable, Hashable, Codable {
        /// `addresses` (parsed; empty for FQDN slices).
        public let addresses: [IPAddress]
        /// `conditions.ready`; nil means unknown, which counts as ready (spec A6.4).
        public let ready: Bool?
        /// `conditions.terminating`.
        public let terminating: Bool?
        /// `hostname`.
        public let hostname: String?
        /// `targetRef.name` (usually the pod).
        public let targetName: String?

        /// Builds a slice endpoint.
        public init(addresses: [IPAddress], ready: Bool? = nil, terminating: Bool? = nil,
                    hostname: String? = nil, targetName: String? = nil) {
            self.addresses = addresses; self.ready = ready; self.terminating = terminating
            self.hostname = hostname; self.targetName = targetName
        }

        /// Decodes one endpoint of an IPv4 or IPv6 slice; every address must be an IP.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: FieldKey.self)
            var parsed: [IPAddress] = []
            for (i, s) in try c.required([String].self, "addresses").enumerated() {
                guard let a = IPAddress(s) else { throw c.invalid("addresses", index: i, "\"\(s)\" is not a valid IP address") }
                parsed.append(a)
            }
            addresses = parsed
            let conditions = try c.object("conditions")
            ready = try conditions?.optional(Bool.self, "ready")
            terminating = try conditions?.optional(Bool.self, "terminating")
            hostname = try c.label("hostname")
            targetName = try c.object("targetRef")?.optional(String.self, "name")
        }

        /// Encodes in the Kubernetes JSON shape.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: FieldKey.self)
            try c.encode(addresses.map(\.description), forKey: "addresses")
            var cond = c.nestedContainer(keyedBy: FieldKey.self, forKey: "conditions")
            try cond.put(ready, "ready")
            try cond.put(terminating, "terminating")
            try c.put(hostname, "hostname")
            if let targetName { try c.encode(["kind": "Pod", "name": targetName], forKey: "targetRef") }
        }
    }

    /// `metadata.name`.
    public let name: String
    /// `metadata.namespace`; `default` when absent.
    public let namespace: String
    /// `metadata.labels`; `kubernetes.io/service-name` names the Service.
    public let labels: [String: String]
    /// `addressType`.
    public let addressType: AddressType
    /// `endpoints`.
    public let endpoints: [Endpoint]
    /// `ports` (entries without a port number, meaning "all ports", are not kept).
    public let ports: [EndpointPort]

    /// Builds a slice.
    public init(name: String, namespace: String = "default", labels: [String: String] = [:],
                addressType: AddressType = .ipv4, endpoints: [Endpoint] = [], ports: [EndpointPort] = []) {
        self.name = name; self.namespace = namespace; self.labels = labels
        self.addressType = addressType; self.endpoints = endpoints; self.ports = ports
    }

    /// The owning Service's name, from the `kubernetes.io/service-name` label.
    public var serviceName: String? { labels[Self.serviceNameLabel] }

    /// This slice's key.
    public var key: ObjectKey { ObjectKey(kind: .endpointSlice, namespace: namespace, name: name) }

    /// Decodes and validates a whole EndpointSlice object.
    public init(from decoder: any Decoder) throws {
        let top = try decoder.container(keyedBy: FieldKey.self)
        let meta = try ObjectMeta.decode(from: top, nameRule: .subdomain, namespaced: true)
        let t = try top.required(String.self, "addressType")
        guard let type = AddressType(rawValue: t) else { throw top.invalid("addressType", "\"\(t)\" is not a valid address type") }
        var endpoints: [Endpoint] = []
        if type == .fqdn {
            endpoints = []
        } else if let list = try top.optional([Endpoint].self, "endpoints") {
            endpoints = list
            for (i, e) in list.enumerated() {
                for (j, a) in e.addresses.enumerated() where (type == .ipv4) != a.isV4 {
                    let path: [FieldKey] = ["endpoints", FieldKey(intValue: i) ?? "", "addresses", FieldKey(intValue: j) ?? ""]
                    throw top.invalid(path: path, "\(a) does not match addressType \(t)")
                }
            }
        }
        let ports = try top.optional([SlicePort].self, "ports") ?? []
        self.init(name: meta.name, namespace: meta.namespace, labels: meta.labels, addressType: type,
                  endpoints: endpoints, ports: ports.compactMap(\.port))
    }

    /// Encodes as a discovery.k8s.io/v1 EndpointSlice object.
    public func encode(to encoder: any Encoder) throws {
        var top = encoder.container(keyedBy: FieldKey.self)
        try ObjectMeta.encode(.endpointSlice, name: name, namespace: namespace, labels: labels, to: &top)
        try top.encode(addressType, forKey: "addressType")
        try top.encode(endpoints, forKey: "endpoints")
        try top.putNonEmpty(ports, "ports")
    }

    /// A slice port whose number may be absent.
    struct SlicePort: Decodable {
        let port: EndpointPort?
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: FieldKey.self)
            if let n = try c.optionalPort("port") {
                port = EndpointPort(name: try c.portName("name"), port: n, protocol: try c.transport("protocol"))
            } else {
                port = nil
            }
        }
    }
}

extension IPAddress {
    var isV4: Bool { if case .v4 = self { true } else { false } }
}
