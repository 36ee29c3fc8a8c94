/// The Kubernetes kinds cluster DNS reads.
public enum ObjectKind: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// core/v1 Service.
    case service
    /// core/v1 Pod.
    case pod
    /// core/v1 Endpoints.
    case endpoints
    /// discovery.k8s.io/v1 EndpointSlice.
    case endpointSlice
    /// core/v1 Namespace (cluster-scoped).
    case namespace

    /// The `kind` field value (`Service`, `EndpointSlice`, ...).
    public var kindName: String {
        switch self {
        case .service: "Service"
        case .pod: "Pod"
        case .endpoints: "Endpoints"
        case .endpointSlice: "EndpointSlice"
        case .namespace: "Namespace"
        }
    }

    /// The `apiVersion` field value (`v1` or `discovery.k8s.io/v1`).
    public var apiVersion: String { self == .endpointSlice ? "discovery.k8s.io/v1" : "v1" }

    /// The REST resource name (`services`, `endpointslices`, ...).
    public var resource: String {
        switch self {
        case .service: "services"
        case .pod: "pods"
        case .endpoints: "endpoints"
        case .endpointSlice: "endpointslices"
        case .namespace: "namespaces"
        }
    }

    /// Whether objects of this kind live in a namespace (all but Namespace).
    public var isNamespaced: Bool { self != .namespace }

    /// The kind whose `kind` field is `name` (exact, as in Kubernetes), if it is one of ours.
    public init?(kindName name: String) {
        guard let k = Self.allCases.first(where: { $0.kindName == name }) else { return nil }
        self = k
    }

    /// The kind whose REST resource name is `resource` (case-insensitive).
    public init?(resource: String) {
        let r = resource.lowercased()
        guard let k = Self.allCases.first(where: { $0.resource == r }) else { return nil }
        self = k
    }

    /// Orders by declaration order.
    public static func < (a: Self, b: Self) -> Bool {
        (allCases.firstIndex(of: a) ?? 0) < (allCases.firstIndex(of: b) ?? 0)
    }
}

/// Identifies one stored object: kind, namespace (empty for Namespaces) and name.
public struct ObjectKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The object's kind.
    public let kind: ObjectKind
    /// The namespace and name, lower-cased.
    public let id: NamespacedName

    /// Builds a key; the namespace is ignored for cluster-scoped kinds.
    public init(kind: ObjectKind, namespace: String, name: String) {
        self.kind = kind
        self.id = NamespacedName(namespace: kind.isNamespaced ? namespace : "", name: name)
    }

    /// The namespace (empty for Namespaces).
    public var namespace: String { id.namespace }
    /// The name.
    public var name: String { id.name }

    /// Orders by kind, namespace, name.
    public static func < (a: Self, b: Self) -> Bool { (a.kind, a.id) < (b.kind, b.id) }

    /// `resource/namespace/name`.
    public var description: String { "\(kind.resource)/\(id)" }
}
