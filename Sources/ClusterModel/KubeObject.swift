/// One stored Kubernetes object of a kind cluster DNS reads.
public enum KubeObject: Sendable, Hashable, Codable {
    /// A core/v1 Service.
    case service(KubeService)
    /// A core/v1 Pod.
    case pod(KubePod)
    /// A core/v1 Endpoints.
    case endpoints(KubeEndpoints)
    /// A discovery.k8s.io/v1 EndpointSlice.
    case endpointSlice(KubeEndpointSlice)
    /// A core/v1 Namespace.
    case namespace(KubeNamespace)

    /// The object's kind.
    public var kind: ObjectKind {
        switch self {
        case .service: .service
        case .pod: .pod
        case .endpoints: .endpoints
        case .endpointSlice: .endpointSlice
        case .namespace: .namespace
        }
    }

    /// The object's key.
    public var key: ObjectKey {
        switch self {
        case .service(let o): o.key
        case .pod(let o): o.key
        case .endpoints(let o): o.key
        case .endpointSlice(let o): o.key
        case .namespace(let o): o.key
        }
    }

    /// The namespace the object lives in (empty for a Namespace).
    public var namespace: String { key.namespace }

    /// The object's `metadata.labels`.
    public var labels: [String: String] {
        switch self {
        case .service(let o): o.labels
        case .pod(let o): o.labels
        case .endpoints(let o): o.labels
        case .endpointSlice(let o): o.labels
        case .namespace(let o): o.labels
        }
    }

    /// Decodes an object whose `kind` is one of ours; other kinds throw a `dataCorrupted` error at `kind`.
    public init(from decoder: any Decoder) throws {
        let top = try decoder.container(keyedBy: FieldKey.self)
        let name = try top.required(String.self, "kind")
        guard let kind = ObjectKind(kindName: name) else { throw top.invalid("kind", "unsupported kind \"\(name)\"") }
        self = try Self.decode(kind, from: decoder)
    }

    /// Decodes the body of an object of a known kind.
    static func decode(_ kind: ObjectKind, from decoder: any Decoder) throws -> KubeObject {
        switch kind {
        case .service: .service(try KubeService(from: decoder))
        case .pod: .pod(try KubePod(from: decoder))
        case .endpoints: .endpoints(try KubeEndpoints(from: decoder))
        case .endpointSlice: .endpointSlice(try KubeEndpointSlice(from: decoder))
        case .namespace: .namespace(try KubeNamespace(from: decoder))
        }
    }

    /// Encodes the wrapped object in its Kubernetes JSON shape.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .service(let o): try o.encode(to: encoder)
        case .pod(let o): try o.encode(to: encoder)
        case .endpoints(let o): try o.encode(to: encoder)
        case .endpointSlice(let o): try o.encode(to: encoder)
        case .namespace(let o): try o.encode(to: encoder)
        }
    }
}
