import DNSModel

/// A core/v1 Pod, cut down to the fields cluster DNS uses.
public struct KubePod: Sendable, Hashable, Codable {
    /// `status.phase` (core/v1 `PodPhase`).
    public enum Phase: String, Sendable, Hashable, Codable, CaseIterable {
        /// Accepted, not all containers running yet.
        case pending = "Pending"
        /// Bound to a node, at least one container running.
        case running = "Running"
        /// All containers exited successfully (terminal).
        case succeeded = "Succeeded"
        /// All containers exited, at least one failed (terminal).
        case failed = "Failed"
        /// State could not be obtained.
        case unknown = "Unknown"

        /// Succeeded and Failed are terminal (`podutil.IsPodTerminal`).
        public var isTerminal: Bool { self == .succeeded || self == .failed }
    }

    /// One `spec.containers[].ports[]` entry (core/v1 `ContainerPort`).
    public struct ContainerPort: Sendable, Hashable, Codable {
        /// The port name, which a Service `targetPort` may refer to.
        public let name: String?
        /// The port number in the container.
        public let containerPort: UInt16
        /// The protocol, TCP when absent.
        public let `protocol`: TransportProtocol

        /// Builds a container port.
        public init(name: String? = nil, containerPort: UInt16, protocol: TransportProtocol = .tcp) {
            self.name = name; self.containerPort = containerPort; self.protocol = `protocol`
        }

        /// Decodes and validates one `ContainerPort`.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: FieldKey.self)
            name = try c.portName("name")
            containerPort = try c.port("containerPort")
            `protocol` = try c.transport("protocol")
        }

        /// Encodes in the Kubernetes JSON shape.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: FieldKey.self)
            try c.put(name, "name")
            try c.encode(containerPort, forKey: "containerPort")
            try c.encode(`protocol`, forKey: "protocol")
        }
    }

    /// The pod's fields, behind one reference (`Box`).
    struct Fields: Sendable, Hashable {
        let name: String
        let namespace: String
        let labels: [String: String]
        let deletionTimestamp: String?
        let hostname: String?
        let subdomain: String?
        let ports: [ContainerPort]
        let podIPs: [IPAddress]
        let phase: Phase?
        let ready: Bool
    }

    private let fields: Box<Fields>

    /// `metadata.name`.
    public var name: String { fields.value.name }
    /// `metadata.namespace`; `default` when absent.
    public var namespace: String { fields.value.namespace }
    /// `metadata.labels`, matched against Service selectors.
    public var labels: [String: String] { fields.value.labels }
    /// `metadata.deletionTimestamp` as given; set means the pod is terminating.
    public var deletionTimestamp: String? { fields.value.deletionTimestamp }
    /// `spec.hostname`.
    public var hostname: String? { fields.value.hostname }
    /// `spec.subdomain`: the headless service that gives the pod a DNS name (spec A6.1).
    public var subdomain: String? { fields.value.subdomain }
    /// All `spec.containers[].ports[]`, flattened in order.
    public var ports: [ContainerPort] { fields.value.ports }
    /// `status.podIPs` (or `status.podIP` when `podIPs` is absent).
    public var podIPs: [IPAddress] { fields.value.podIPs }
    /// `status.phase`.
    public var phase: Phase? { fields.value.phase }
    /// The `Ready` condition has status `True`.
    public var ready: Bool { fields.value.ready }

    /// Builds a pod.
    public init(name: String, namespace: String = "default", labels: [String: String] = [:],
                deletionTimestamp: String? = nil, hostname: String? = nil, subdomain: String? = nil,
                ports: [ContainerPort] = [], podIPs: [IPAddress] = [], phase: Phase? = .running, ready: Bool = true) {
        fields = Box(Fields(name: name, namespace: namespace, labels: labels, deletionTimestamp: deletionTimestamp,
                            hostname: hostname, subdomain: subdomain, ports: ports, podIPs: podIPs, phase: phase, ready: ready))
    }

    /// This pod with its `Ready` condition set to `ready`, every other field shared.
    public func withReady(_ ready: Bool) -> KubePod {
        let f = fields.value
        return KubePod(name: f.name, namespace: f.namespace, labels: f.labels, deletionTimestamp: f.deletionTimestamp,
                       hostname: f.hostname, subdomain: f.subdomain, ports: f.ports, podIPs: f.podIPs, phase: f.phase, ready: ready)
    }

    /// Being deleted: `metadata.deletionTimestamp` is set.
    public var isTerminating: Bool { deletionTimestamp != nil }

    /// This pod's object key.
    public var key: ObjectKey { ObjectKey(kind: .pod, namespace: namespace, name: name) }

    /// Decodes and validates a whole Pod object.
    public init(from decoder: any Decoder) throws {
        let top = try decoder.container(keyedBy: FieldKey.self)
        let meta = try ObjectMeta.decode(from: top, nameRule: .subdomain, namespaced: true)
        var hostname: String?, subdomain: String?
        var ports: [ContainerPort] = []
        if let spec = try top.object("spec") {
            hostname = try spec.label("hostname")
            subdomain = try spec.label("subdomain")
            if spec.contains("containers"), try !spec.decodeNil(forKey: "containers") {
                var list = try spec.nestedUnkeyedContainer(forKey: "containers")
                while !list.isAtEnd {
                    let container = try list.nestedContainer(keyedBy: FieldKey.self)
                    ports += try container.optional([ContainerPort].self, "ports") ?? []
                }
            }
        }
        var ips: [IPAddress] = []
        var phase: Phase?
        var ready = false
        if let status = try top.object("status") {
            if let list = try status.optional([PodIP].self, "podIPs"), !list.isEmpty {
                ips = list.map(\.ip)
                // The API server's rules (`validatePodIPs`): at most one IP per family, the first
                // equal to podIP when both are given.
                if ips.count > 2 || (ips.count == 2 && KubeService.IPFamily(of: ips[0]) == KubeService.IPFamily(of: ips[1])) {
                    throw status.invalid("podIPs", "may specify no more than one IP for each IP family")
                }
                if let one = try status.optional(String.self, "podIP"), !one.isEmpty, IPAddress(one) != ips[0] {
                    throw status.invalid("podIPs", index: 0, "must match podIP (\"\(one)\")")
                }
            } else if let one = try status.optional(String.self, "podIP"), !one.isEmpty {
                ips = [try status.ip("podIP")]
            }
            if let p = try status.optional(String.self, "phase") {
                phase = Phase(rawValue: p) ?? .unknown
            }
            let conditions = try status.optional([Condition].self, "conditions") ?? []
            ready = conditions.contains { $0.type == "Ready" && $0.status == "True" }
        }
        let interner = decoder.interner
        self.init(name: meta.name, namespace: meta.namespace, labels: interner?.intern(meta.labels) ?? meta.labels,
                  deletionTimestamp: meta.deletionTimestamp, hostname: hostname, subdomain: subdomain,
                  ports: interner?.intern(ports) ?? ports, podIPs: ips, phase: phase, ready: ready)
    }

    /// Encodes as a core/v1 Pod object (all ports under one container named `main`).
    public func encode(to encoder: any Encoder) throws {
        var top = encoder.container(keyedBy: FieldKey.self)
        try ObjectMeta.encode(.pod, name: name, namespace: namespace, labels: labels,
                              deletionTimestamp: deletionTimestamp, to: &top)
        var spec = top.nestedContainer(keyedBy: FieldKey.self, forKey: "spec")
        try spec.put(hostname, "hostname")
        try spec.put(subdomain, "subdomain")
        var containers = spec.nestedUnkeyedContainer(forKey: "containers")
        var main = containers.nestedContainer(keyedBy: FieldKey.self)
        try main.encode("main", forKey: "name")
        try main.putNonEmpty(ports, "ports")
        var status = top.nestedContainer(keyedBy: FieldKey.self, forKey: "status")
        try status.put(phase, "phase")
        try status.put(podIPs.first?.description, "podIP")
        try status.putNonEmpty(podIPs.map { PodIP(ip: $0) }, "podIPs")
        try status.encode([Condition(type: "Ready", status: ready ? "True" : "False")], forKey: "conditions")
    }

    /// One `status.podIPs[]` entry.
    struct PodIP: Codable {
        let ip: IPAddress
        init(ip: IPAddress) { self.ip = ip }
        init(from decoder: any Decoder) throws { ip = try decoder.container(keyedBy: FieldKey.self).ip("ip") }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: FieldKey.self)
            try c.encode(ip.description, forKey: "ip")
        }
    }

    /// One `status.conditions[]` entry (only type and status are read).
    struct Condition: Codable {
        let type: String
        let status: String
    }
}
