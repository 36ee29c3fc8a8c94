/// A core/v1 Namespace (cluster-scoped), cut down to its name and labels.
public struct KubeNamespace: Sendable, Hashable, Codable {
    /// `metadata.name`, a DNS-1123 label.
    public let name: String
    /// `metadata.labels` (CoreDNS can filter namespaces by label, `namespace_labels`).
    public let labels: [String: String]

    /// Builds a namespace.
    public init(name: String, labels: [String: String] = [:]) {
        self.name = name; self.labels = labels
    }

    /// This namespace's key (with an empty namespace).
    public var key: ObjectKey { ObjectKey(kind: .namespace, namespace: "", name: name) }

    /// Decodes and validates a Namespace object.
    public init(from decoder: any Decoder) throws {
        let top = try decoder.container(keyedBy: FieldKey.self)
        let meta = try ObjectMeta.decode(from: top, nameRule: .label, namespaced: false)
        self.init(name: meta.name, labels: meta.labels)
    }

    /// Encodes as a core/v1 Namespace object.
    public func encode(to encoder: any Encoder) throws {
        var top = encoder.container(keyedBy: FieldKey.self)
        try ObjectMeta.encode(.namespace, name: name, namespace: "", labels: labels, to: &top)
    }
}
