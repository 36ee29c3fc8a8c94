import DNSModel

/// A core/v1 Endpoints object, cut down to the fields cluster DNS uses.
public struct KubeEndpoints: Sendable, Hashable, Codable {
    /// One `subsets[].addresses[]` or `notReadyAddresses[]` entry (core/v1 `EndpointAddress`).
    public struct Address: Sendable, Hashable, Codable {
        /// `ip`.
        public let ip: IPAddress
        /// `hostname`, a DNS-1123 label.
        public let hostname: String?
        /// `targetRef.name` (usually the pod).
        public let targetName: String?

        /// Builds an address.
        public init(ip: IPAddress, hostname: String? = nil, targetName: String? = nil) {
            self.ip = ip; self.hostname = hostname; self.targetName = targetName
        }

        /// Decodes and validates one address.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: FieldKey.self)
            ip = try c.ip("ip")
            hostname = try c.label("hostname")
            targetName = try c.object("targetRef")?.optional(String.self, "name")
        }

        /// Encodes in the Kubernetes JSON shape.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: FieldKey.self)
            try c.encode(ip.description, forKey: "ip")
            try c.put(hostname, "hostname")
            if let targetName { try c.encode(["kind": "Pod", "name": targetName], forKey: "targetRef") }
        }
    }

    /// One `subsets[]` entry (core/v1 `EndpointSubset`): every address has every port.
    public struct Subset: Sendable, Hashable, Codable {
        /// Ready addresses.
        public let addresses: [Address]
        /// Addresses that are not ready (spec A0.4).
        public let notReadyAddresses: [Address]
        /// The ports of all these addresses.
        public let ports: [EndpointPort]

        /// Builds a subset.
        public init(addresses: [Address] = [], notReadyAddresses: [Address] = [], ports: [EndpointPort] = []) {
            self.addresses = addresses; self.notReadyAddresses = notReadyAddresses; self.ports = ports
        }

        /// Decodes one subset.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: FieldKey.self)
            addresses = try c.optional([Address].self, "addresses") ?? []
            notReadyAddresses = try c.optional([Address].self, "notReadyAddresses") ?? []
            ports = try c.optional([EndpointPort].self, "ports") ?? []
        }

        /// Encodes in the Kubernetes JSON shape.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: FieldKey.self)
            try c.putNonEmpty(addresses, "addresses")
            try c.putNonEmpty(notReadyAddresses, "notReadyAddresses")
            try c.putNonEmpty(ports, "ports")
        }
    }

    /// `metadata.name`, equal to the Service's name.
    public let name: String
    /// `metadata.namespace`; `default` when absent.
    public let namespace: String
    /// `metadata.labels`.
    public let labels: [String: String]
    /// `subsets`.
    public let subsets: [Subset]

    /// Builds an Endpoints object.
    public init(name: String, namespace: String = "default", labels: [String: String] = [:], subsets: [Subset] = []) {
        self.name = name; self.namespace = namespace; self.labels = labels; self.subsets = subsets
    }

    /// This object's key.
    public var key: ObjectKey { ObjectKey(kind: .endpoints, namespace: namespace, name: name) }

    /// Decodes and validates a whole Endpoints object.
    public init(from decoder: any Decoder) throws {
        let top = try decoder.container(keyedBy: FieldKey.self)
        let meta = try ObjectMeta.decode(from: top, nameRule: .subdomain, namespaced: true)
        self.init(name: meta.name, namespace: meta.namespace, labels: meta.labels,
                  subsets: try top.optional([Subset].self, "subsets") ?? [])
    }

    /// Encodes as a core/v1 Endpoints object.
    public func encode(to encoder: any Encoder) throws {
        var top = encoder.container(keyedBy: FieldKey.self)
        try ObjectMeta.encode(.endpoints, name: name, namespace: namespace, labels: labels, to: &top)
        try top.putNonEmpty(subsets, "subsets")
    }
}
