import DNSModel

/// A core/v1 Service, cut down to the fields cluster DNS uses.
public struct KubeService: Sendable, Hashable, Codable {
    /// `spec.type` (core/v1 `ServiceType`); absent means ClusterIP.
    public enum ServiceType: String, Sendable, Hashable, Codable, CaseIterable {
        /// A virtual IP inside the cluster.
        case clusterIP = "ClusterIP"
        /// ClusterIP plus a port on every node.
        case nodePort = "NodePort"
        /// NodePort plus an external load balancer.
        case loadBalancer = "LoadBalancer"
        /// A DNS alias (CNAME, spec A4) with no proxying and no endpoints.
        case externalName = "ExternalName"
    }

    /// An IP family (core/v1 `IPFamily`), the entries of `spec.ipFamilies`.
    public enum IPFamily: String, Sendable, Hashable, Codable, CaseIterable {
        /// IPv4 (EndpointSlice address type `IPv4`).
        case ipv4 = "IPv4"
        /// IPv6 (EndpointSlice address type `IPv6`).
        case ipv6 = "IPv6"

        /// The family of an address.
        public init(of address: IPAddress) {
            switch address { case .v4: self = .ipv4; case .v6: self = .ipv6 }
        }

        /// The family's bit in `Fields.endpointFamilyBits`.
        var bit: UInt8 { self == .ipv4 ? 1 : 2 }
    }

    /// `spec.ipFamilyPolicy` (core/v1 `IPFamilyPolicy`).
    public enum IPFamilyPolicy: String, Sendable, Hashable, Codable, CaseIterable {
        /// One family.
        case singleStack = "SingleStack"
        /// Both families where the cluster has them.
        case preferDualStack = "PreferDualStack"
        /// Both families.
        case requireDualStack = "RequireDualStack"
    }

    /// One entry of `spec.ports` (core/v1 `ServicePort`); `nodePort` is not kept.
    public struct Port: Sendable, Hashable, Codable {
        /// The port name; required by Kubernetes when a service has more than one port.
        public let name: String?
        /// The protocol, TCP when absent.
        public let `protocol`: TransportProtocol
        /// The service port.
        public let port: UInt16
        /// The pod port: a number, or the name of a container port; absent means `port`.
        public let targetPort: IntOrString?

        /// Builds a port.
        public init(name: String? = nil, protocol: TransportProtocol = .tcp, port: UInt16, targetPort: IntOrString? = nil) {
            self.name = name; self.protocol = `protocol`; self.port = port; self.targetPort = targetPort
        }

        /// Decodes and validates one `ServicePort`. A numeric `targetPort` equal to `port` is
        /// read as absent (the API server's default, which `encode` writes out), so an object
        /// encoded and decoded again is equal to itself.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: FieldKey.self)
            name = try c.portName("name")
            `protocol` = try c.transport("protocol")
            port = try c.port("port")
            switch try c.optional(IntOrString.self, "targetPort") {
            case .int(let n)?:
                // intstr 0 is "unset" in Kubernetes and defaults to `port`.
                if n == 0 { targetPort = nil; break }
                guard UInt16(exactly: n) != nil else { throw c.invalid("targetPort", "\(n) is not a valid port") }
                targetPort = n == Int(port) ? nil : .int(n)
            case .string(let s)?:
                if s.isEmpty { targetPort = nil; break }
                if let n = Int(s) {
                    guard UInt16(exactly: n) != nil, n != 0 else { throw c.invalid("targetPort", "\(n) is not a valid port") }
                    targetPort = n == Int(port) ? nil : .int(n)
                } else {
                    guard Names.isPortName(s) else { throw c.invalid("targetPort", "\"\(s)\" is not a valid port name") }
                    targetPort = .string(s)
                }
            case nil:
                targetPort = nil
            }
        }

        /// Encodes in the Kubernetes JSON shape.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: FieldKey.self)
            try c.put(name, "name")
            try c.encode(`protocol`, forKey: "protocol")
            try c.encode(port, forKey: "port")
            try c.put(targetPort ?? .int(Int(port)), "targetPort")
        }
    }

    /// The service's fields, behind one reference (`Box`): a `ServiceEntry` read for a DNS
    /// answer, or copied into a new entry when an endpoint changes, copies one reference, not
    /// thirteen fields (eleven of them references: a retain and a release each).
    struct Fields: Sendable, Hashable {
        let name: String
        let namespace: String
        let labels: [String: String]
        let type: ServiceType
        let clusterIP: String?
        let clusterIPs: [String]
        let ports: [Port]
        let selector: [String: String]?
        let publishNotReadyAddresses: Bool
        let tolerateUnreadyEndpoints: Bool
        let externalName: String?
        let clusterAddresses: [IPAddress]
        let ipFamilies: [IPFamily]
        let ipFamilyPolicy: IPFamilyPolicy?
        /// `endpointFamilies` as bits (1: IPv4, 2: IPv6), so that checking a pod IP on every pod
        /// change reads a byte, and a Service holds no set.
        let endpointFamilyBits: UInt8
    }

    private let fields: Box<Fields>

    /// `metadata.name`, a DNS-1123 label.
    public var name: String { fields.value.name }
    /// `metadata.namespace`; `default` when absent.
    public var namespace: String { fields.value.namespace }
    /// `metadata.labels`.
    public var labels: [String: String] { fields.value.labels }
    /// `spec.type`.
    public var type: ServiceType { fields.value.type }
    /// `spec.clusterIP`: an IP, `None` (headless) or nil/empty (none allocated).
    public var clusterIP: String? { fields.value.clusterIP }
    /// `spec.clusterIPs`: up to one IP per family, or `["None"]`.
    public var clusterIPs: [String] { fields.value.clusterIPs }
    /// `spec.ports`.
    public var ports: [Port] { fields.value.ports }
    /// `spec.selector`; nil or empty selects no pods (the endpoints are managed by hand).
    public var selector: [String: String]? { fields.value.selector }
    /// `spec.publishNotReadyAddresses`: every endpoint counts as ready (spec A0.4).
    public var publishNotReadyAddresses: Bool { fields.value.publishNotReadyAddresses }
    /// The annotation `service.alpha.kubernetes.io/tolerate-unready-endpoints` set to true
    /// (Go's `strconv.ParseBool`, as the old Endpoints controller read it): every endpoint counts
    /// as ready. The DNS specification names it in its definition of a ready endpoint (§2.1);
    /// CoreDNS ignores it.
    public var tolerateUnreadyEndpoints: Bool { fields.value.tolerateUnreadyEndpoints }
    /// Whether every endpoint counts as ready, whatever its pod or slice says:
    /// `publishNotReadyAddresses` or `tolerateUnreadyEndpoints`.
    public var publishesNotReadyEndpoints: Bool { publishNotReadyAddresses || tolerateUnreadyEndpoints }
    /// `spec.externalName`, the CNAME target of an ExternalName service.
    public var externalName: String? { fields.value.externalName }
    /// The cluster IPs as addresses: `clusterIPs`, else `clusterIP`, without `None`, empty ones and
    /// repeats (each address once, in the given order).
    public var clusterAddresses: [IPAddress] { fields.value.clusterAddresses }
    /// `spec.ipFamilies`: the service's IP families, in order; empty when not set (a manifest
    /// written by hand, or an ExternalName service: the apiserver defaults it for the others).
    public var ipFamilies: [IPFamily] { fields.value.ipFamilies }
    /// `spec.ipFamilyPolicy`; nil when not set.
    public var ipFamilyPolicy: IPFamilyPolicy? { fields.value.ipFamilyPolicy }
    /// The address families of the endpoints computed from pods: a pod IP of another family is no
    /// endpoint. As the EndpointSlice controller's `getAddressTypesForService` (kubernetes
    /// `pkg/controller/endpointslice`): `ipFamilies` when set; else both families when
    /// `ipFamilyPolicy` asks for dual stack (the apiserver of a dual-stack cluster would set
    /// both); else, with a cluster IP, its family (here the families of all `clusterAddresses`,
    /// as the apiserver would default `ipFamilies` from `clusterIPs`); else (headless, or no
    /// cluster IP) both families.
    public var endpointFamilies: Set<IPFamily> { Set(IPFamily.allCases.filter { fields.value.endpointFamilyBits & $0.bit != 0 }) }

    /// Whether an address of `address`'s family can be an endpoint (`endpointFamilies`).
    public func admitsEndpoint(_ address: IPAddress) -> Bool {
        fields.value.endpointFamilyBits & IPFamily(of: address).bit != 0
    }

    /// Builds a service; `clusterIP`/`clusterIPs` strings other than `None` and "" must be IPs
    /// (strings that do not parse are left out of `clusterAddresses`).
    public init(name: String, namespace: String = "default", labels: [String: String] = [:],
                type: ServiceType = .clusterIP, clusterIP: String? = nil, clusterIPs: [String] = [],
                ports: [Port] = [], selector: [String: String]? = nil,
                publishNotReadyAddresses: Bool = false, tolerateUnreadyEndpoints: Bool = false,
                externalName: String? = nil, ipFamilies: [IPFamily] = [], ipFamilyPolicy: IPFamilyPolicy? = nil) {
        let texts = clusterIPs.isEmpty ? (clusterIP.map { [$0] } ?? []) : clusterIPs
        var seen = Set<IPAddress>()
        let addresses = texts.compactMap { IPAddress($0) }.filter { seen.insert($0).inserted }
        let headless = type != .externalName && (clusterIP == "None" || clusterIPs.first == "None")
        let chosen: [IPFamily]
        if !ipFamilies.isEmpty {
            chosen = ipFamilies
        } else if ipFamilyPolicy == .preferDualStack || ipFamilyPolicy == .requireDualStack {
            chosen = IPFamily.allCases
        } else if !headless, !addresses.isEmpty {
            chosen = addresses.map(IPFamily.init(of:))
        } else {
            chosen = IPFamily.allCases
        }
        let families = chosen.reduce(UInt8(0)) { $0 | $1.bit }
        fields = Box(Fields(name: name, namespace: namespace, labels: labels, type: type, clusterIP: clusterIP,
                            clusterIPs: clusterIPs, ports: ports, selector: selector,
                            publishNotReadyAddresses: publishNotReadyAddresses,
                            tolerateUnreadyEndpoints: tolerateUnreadyEndpoints, externalName: externalName,
                            clusterAddresses: addresses, ipFamilies: ipFamilies, ipFamilyPolicy: ipFamilyPolicy,
                            endpointFamilyBits: families))
    }

    /// True for a headless service (`clusterIP: None`, spec A3).
    public var isHeadless: Bool {
        type != .externalName && (clusterIP == "None" || clusterIPs.first == "None")
    }

    /// This service's object key.
    public var key: ObjectKey { ObjectKey(kind: .service, namespace: namespace, name: name) }

    /// The annotation behind `tolerateUnreadyEndpoints`.
    static let tolerateUnreadyAnnotation = "service.alpha.kubernetes.io/tolerate-unready-endpoints"

    /// Decodes and validates a whole Service object.
    public init(from decoder: any Decoder) throws {
        let top = try decoder.container(keyedBy: FieldKey.self)
        let meta = try ObjectMeta.decode(from: top, nameRule: .label, namespaced: true)
        let spec = try top.object("spec")
        var type = ServiceType.clusterIP
        if let spec, let t = try spec.optional(String.self, "type") {
            guard let v = ServiceType(rawValue: t) else { throw spec.invalid("type", "\"\(t)\" is not a valid service type") }
            type = v
        }
        let clusterIP = try spec?.optional(String.self, "clusterIP")
        if let ip = clusterIP, let spec, ip != "None", !ip.isEmpty, IPAddress(ip) == nil {
            throw spec.invalid("clusterIP", "\"\(ip)\" is not a valid IP address")
        }
        let clusterIPs = try spec?.optional([String].self, "clusterIPs") ?? []
        for (i, ip) in clusterIPs.enumerated() where ip != "None" && IPAddress(ip) == nil {
            throw (spec ?? top).invalid("clusterIPs", index: i, "\"\(ip)\" is not a valid IP address")
        }
        var ipFamilyPolicy: IPFamilyPolicy?
        if let spec, let text = try spec.optional(String.self, "ipFamilyPolicy") {
            guard let p = IPFamilyPolicy(rawValue: text) else {
                throw spec.invalid("ipFamilyPolicy", "\"\(text)\" is not a valid IP family policy (SingleStack, PreferDualStack, RequireDualStack)")
            }
            ipFamilyPolicy = p
        }
        var ipFamilies: [IPFamily] = []
        if let spec, let texts = try spec.optional([String].self, "ipFamilies") {
            // core/v1 validation: at most one entry per family, each IPv4 or IPv6.
            guard texts.count <= 2 else { throw spec.invalid("ipFamilies", "may contain at most 2 entries, got \(texts.count)") }
            for (i, t) in texts.enumerated() {
                guard let f = IPFamily(rawValue: t) else { throw spec.invalid("ipFamilies", index: i, "\"\(t)\" is not a valid IP family (IPv4, IPv6)") }
                guard !ipFamilies.contains(f) else { throw spec.invalid("ipFamilies", index: i, "\"\(t)\" is listed twice") }
                ipFamilies.append(f)
            }
        }
        if let spec { try Self.checkClusterIPs(clusterIP: clusterIP, clusterIPs: clusterIPs, ipFamilies: ipFamilies, in: spec) }
        let externalName = try spec?.optional(String.self, "externalName")
        if type == .externalName, let spec {
            // core/v1 validation: a DNS-1123 subdomain once one trailing dot is dropped.
            guard let n = externalName, !n.isEmpty else {
                throw spec.invalid("externalName", "is required for type ExternalName")
            }
            let name = n.hasSuffix(".") ? String(n.dropLast()) : n
            guard Names.isDNS1123Subdomain(name), DomainName(n) != nil else {
                throw spec.invalid("externalName", "\"\(n)\" is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', at most 253 characters)")
            }
        }
        let ports = try spec?.optional([Port].self, "ports") ?? []
        let selector = try spec?.optional([String: String].self, "selector")
        if let selector, let spec, let problem = Names.labelProblem(selector) { throw spec.invalid("selector", problem) }
        let annotations = try top.object("metadata")?.optional([String: String].self, "annotations")
        let tolerate = annotations?[Self.tolerateUnreadyAnnotation].map { ["1", "t", "T", "true", "TRUE", "True"].contains($0) } ?? false
        let interner = decoder.interner
        self.init(
            name: meta.name, namespace: meta.namespace, labels: interner?.intern(meta.labels) ?? meta.labels, type: type,
            clusterIP: clusterIP, clusterIPs: clusterIPs,
            ports: interner?.intern(ports) ?? ports,
            selector: selector,
            publishNotReadyAddresses: try spec?.optional(Bool.self, "publishNotReadyAddresses") ?? false,
            tolerateUnreadyEndpoints: tolerate, externalName: externalName, ipFamilies: ipFamilies, ipFamilyPolicy: ipFamilyPolicy)
    }

    /// The API server's rules for `clusterIP`, `clusterIPs` and `ipFamilies` together
    /// (`ValidateService`, `validateClusterIPFlags`): at most two cluster IPs, one per family; the
    /// first is `clusterIP`; `None` only alone; each IP of the family `ipFamilies` names at its
    /// index. A manifest breaking them would be refused by the API server, so it is here.
    static func checkClusterIPs(clusterIP: String?, clusterIPs: [String], ipFamilies: [IPFamily],
                                in spec: KeyedDecodingContainer<FieldKey>) throws {
        guard !clusterIPs.isEmpty else { return }
        guard clusterIPs.count <= 2 else { throw spec.invalid("clusterIPs", "may only hold up to 2 values, got \(clusterIPs.count)") }
        if let clusterIP, !clusterIP.isEmpty, clusterIPs[0] != clusterIP {
            throw spec.invalid("clusterIPs", index: 0, "first value must match clusterIP (\"\(clusterIP)\")")
        }
        if let i = clusterIPs.firstIndex(of: "None"), clusterIPs.count > 1 {
            throw spec.invalid("clusterIPs", index: i, "\"None\" must be the first and only value")
        }
        let addresses = clusterIPs.map { IPAddress($0) }
        if addresses.count == 2, let a = addresses[0], let b = addresses[1], IPFamily(of: a) == IPFamily(of: b) {
            throw spec.invalid("clusterIPs", index: 1, "may specify no more than one IP for each IP family")
        }
        for (i, address) in addresses.enumerated() where i < ipFamilies.count {
            guard let address else { continue }
            guard IPFamily(of: address) == ipFamilies[i] else {
                throw spec.invalid("clusterIPs", index: i, "expected an \(ipFamilies[i].rawValue) value as indicated by ipFamilies[\(i)]")
            }
        }
    }

    /// Encodes as a core/v1 Service object.
    public func encode(to encoder: any Encoder) throws {
        var top = encoder.container(keyedBy: FieldKey.self)
        try ObjectMeta.encode(.service, name: name, namespace: namespace, labels: labels,
                              annotations: tolerateUnreadyEndpoints ? [Self.tolerateUnreadyAnnotation: "true"] : [:], to: &top)
        var spec = top.nestedContainer(keyedBy: FieldKey.self, forKey: "spec")
        try spec.encode(type, forKey: "type")
        try spec.put(clusterIP, "clusterIP")
        try spec.putNonEmpty(clusterIPs, "clusterIPs")
        try spec.putNonEmpty(ipFamilies, "ipFamilies")
        try spec.put(ipFamilyPolicy, "ipFamilyPolicy")
        try spec.putNonEmpty(ports, "ports")
        try spec.put(selector, "selector")
        if publishNotReadyAddresses { try spec.encode(true, forKey: "publishNotReadyAddresses") }
        try spec.put(externalName, "externalName")
    }
}
