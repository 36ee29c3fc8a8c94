/// The parts of `metadata` (apimachinery `ObjectMeta`) that cluster DNS needs.
struct ObjectMeta: Sendable, Hashable {
    var name: String
    var namespace: String
    var labels: [String: String]
    var deletionTimestamp: String?

    /// How strict the name rule is for a kind.
    enum NameRule { case label, subdomain }

    /// Reads `metadata` from a top-level object container.
    ///
    /// A missing `metadata.namespace` means `default` for namespaced kinds (the API server's
    /// defaulting); cluster-scoped kinds get an empty namespace.
    static func decode(from top: Decoding, nameRule: NameRule, namespaced: Bool) throws -> ObjectMeta {
        guard let m = try top.object("metadata") else {
            throw DecodingError.keyNotFound(FieldKey("metadata"), .init(codingPath: top.codingPath, debugDescription: "is required"))
        }
        let name = try m.required(String.self, "name")
        switch nameRule {
        case .label:
            guard Names.isDNS1123Label(name) else { throw m.invalid("name", "\"\(name)\" is not a valid DNS-1123 label") }
        case .subdomain:
            guard Names.isDNS1123Subdomain(name) else { throw m.invalid("name", "\"\(name)\" is not a valid DNS-1123 subdomain") }
        }
        var namespace = ""
        if namespaced {
            namespace = try m.optional(String.self, "namespace") ?? ""
            if namespace.isEmpty { namespace = "default" }
            guard Names.isDNS1123Label(namespace) else {
                throw m.invalid("namespace", "\"\(namespace)\" is not a valid DNS-1123 label")
            }
        }
        let labels = try m.optional([String: String].self, "labels") ?? [:]
        if let problem = Names.labelProblem(labels) { throw m.invalid("labels", problem) }
        return ObjectMeta(
            name: name, namespace: namespace,
            labels: labels,
            deletionTimestamp: try m.optional(String.self, "deletionTimestamp"))
    }

    /// Writes `apiVersion`, `kind` and `metadata`.
    static func encode(_ kind: ObjectKind, name: String, namespace: String, labels: [String: String],
                       annotations: [String: String] = [:], deletionTimestamp: String? = nil,
                       to top: inout Encoding) throws {
        try top.encode(kind.apiVersion, forKey: "apiVersion")
        try top.encode(kind.kindName, forKey: "kind")
        var m = top.nestedContainer(keyedBy: FieldKey.self, forKey: "metadata")
        try m.encode(name, forKey: "name")
        if kind.isNamespaced { try m.encode(namespace, forKey: "namespace") }
        try m.putNonEmpty(labels, "labels")
        try m.putNonEmpty(annotations, "annotations")
        try m.put(deletionTimestamp, "deletionTimestamp")
    }
}
