/// A manifest that could not be read, located by source, document and field.
public struct ManifestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where the input came from (a file path, `api`, ...).
    public let source: String
    /// The 0-based index of the YAML document (always 0 for JSON).
    public let document: Int
    /// The field path inside the document, such as `spec.ports[1].port`; empty when the
    /// problem is the document as a whole (a syntax error, an oversized input).
    public let field: String
    /// What is wrong.
    public let message: String
    /// Where in the input the field is: the field's own value, or for a missing field the
    /// object that lacks it; nil for an error about the input as a whole (a syntax error says
    /// where in its message).
    public let position: Position?

    /// A place in a manifest's text.
    public struct Position: Sendable, Hashable {
        /// The line, from 1.
        public let line: Int
        /// The column, from 1 (bytes for JSON, characters for YAML, as Yams counts).
        public let column: Int

        /// Builds a position.
        public init(line: Int, column: Int) { self.line = line; self.column = column }
    }

    /// Builds an error.
    public init(source: String, document: Int, field: String, message: String, position: Position? = nil) {
        self.source = source; self.document = document; self.field = field; self.message = message
        self.position = position
    }

    /// `source:document:field: message`, or `source:document: message` without a field; then
    /// ` (line L, column C)` when the position is known.
    public var description: String {
        let head = field.isEmpty ? "\(source):\(document): \(message)" : "\(source):\(document):\(field): \(message)"
        guard let position else { return head }
        return "\(head) (line \(position.line), column \(position.column))"
    }

    /// Turns a `DecodingError` into a field path and message; `locate` gives the position of a
    /// coding path in the input, when it can.
    init(source: String, document: Int, decoding error: DecodingError,
         locate: ([any CodingKey]) -> Position? = { _ in nil }) {
        var path: [any CodingKey]
        let message: String
        switch error {
        case .keyNotFound(let key, let ctx):
            path = ctx.codingPath + [key]
            message = "is required"
        case .valueNotFound(let type, let ctx):
            path = ctx.codingPath
            message = "is required (expected \(Self.typeName(type)))"
        case .typeMismatch(let type, let ctx):
            path = ctx.codingPath
            message = "expected \(Self.typeName(type))"
        case .dataCorrupted(let ctx):
            path = ctx.codingPath
            if let underlying = ctx.underlyingError {
                message = "\(ctx.debugDescription) \(underlying)"
            } else {
                message = ctx.debugDescription
            }
        @unknown default:
            path = []
            message = "\(error)"
        }
        self.init(source: source, document: document, field: Self.format(path), message: message, position: locate(path))
    }

    /// `a.b[2].c` from a coding path.
    static func format(_ path: [any CodingKey]) -> String {
        var out = ""
        for key in path {
            if let i = key.intValue, key.stringValue.hasPrefix("Index ") {
                out += "[\(i)]"
            } else {
                if !out.isEmpty { out += "." }
                out += key.stringValue
            }
        }
        return out
    }

    /// A readable name for the type a decoder expected.
    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is UInt16.Type, is Int64.Type, is UInt64.Type, is UInt.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Dictionary") || name.contains("Mapping") || name.contains("KeyedDecodingContainer") { return "an object" }
            if name.hasPrefix("Array") || name.contains("Sequence") || name.contains("Unkeyed") { return "an array" }
            if name.contains("Scalar") { return "a scalar" }
            return name
        }
    }
}

/// The objects read from one manifest input.
public struct ManifestContents: Sendable, Hashable {
    /// The objects of kinds cluster DNS reads, in input order.
    public var objects: [KubeObject]
    /// The `kind` of every object that was skipped because cluster DNS does not read it
    /// (`apiVersion/kind` when the kind is ours but the apiVersion is not).
    public var skippedKinds: [String]

    /// Builds contents.
    public init(objects: [KubeObject] = [], skippedKinds: [String] = []) {
        self.objects = objects; self.skippedKinds = skippedKinds
    }
}

/// Resource limits for manifest decoding (hostile or broken inputs must not hang or crash).
public struct ManifestLimits: Sendable, Hashable {
    /// Largest input accepted, in bytes (default 64 MiB).
    public var maxBytes: Int
    /// Most YAML alias uses (`*name`) in one document (default 1000).
    public var maxAliases: Int
    /// Deepest nesting of YAML/JSON collections (default 100).
    public var maxDepth: Int
    /// Most nodes a YAML document may expand to through aliases, beyond ten times its written size.
    public var maxAliasExpansion: Int

    /// Builds limits.
    public init(maxBytes: Int = 64 << 20, maxAliases: Int = 1000, maxDepth: Int = 100, maxAliasExpansion: Int = 100_000) {
        self.maxBytes = maxBytes; self.maxAliases = maxAliases
        self.maxDepth = maxDepth; self.maxAliasExpansion = maxAliasExpansion
    }
}
