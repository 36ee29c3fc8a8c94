import DNSModel

/// A transport protocol of a Kubernetes port (core/v1 `Protocol`: TCP, UDP or SCTP; absent means TCP).
public enum TransportProtocol: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// TCP, the Kubernetes default.
    case tcp = "TCP"
    /// UDP.
    case udp = "UDP"
    /// SCTP.
    case sctp = "SCTP"

    /// Orders by raw value, for stable output.
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// A value that is either an integer or a string (`k8s.io/apimachinery/pkg/util/intstr.IntOrString`).
public enum IntOrString: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A number (for a target port, the port number itself).
    case int(Int)
    /// A name (for a target port, the name of a container port).
    case string(String)

    /// Decodes a JSON number as `.int` and a JSON string as `.string`, as Kubernetes does.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int.self) { self = .int(n); return }
        self = .string(try c.decode(String.self))
    }

    /// Encodes as a bare number or string.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        }
    }

    /// The number or the name as text.
    public var description: String {
        switch self { case .int(let n): String(n); case .string(let s): s }
    }
}

/// A namespace and a name, lower-cased: the key of a namespaced object of a known kind.
public struct NamespacedName: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The namespace (empty for cluster-scoped objects).
    public let namespace: String
    /// The object name.
    public let name: String

    /// Builds a key; ASCII upper case is folded because DNS lookups ignore case (spec A0.2).
    public init(namespace: String, name: String) {
        self.namespace = Names.lowercased(namespace)
        self.name = Names.lowercased(name)
    }

    /// Orders by namespace, then name.
    public static func < (a: Self, b: Self) -> Bool {
        (a.namespace, a.name) < (b.namespace, b.name)
    }

    /// `namespace/name`.
    public var description: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }
}

/// The key of a Service in a snapshot: its namespace and name, lower-cased.
public typealias ServiceKey = NamespacedName

/// Name rules from `k8s.io/apimachinery/pkg/util/validation`.
package enum Names {
    /// Folds ASCII upper case without allocating when there is none.
    static func lowercased(_ s: String) -> String {
        s.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) ? s.lowercased() : s
    }

    /// `IsDNS1123Label`: 1–63 of `[a-z0-9-]`, starting and ending alphanumeric.
    static func isDNS1123Label(_ s: String) -> Bool {
        let u = s.utf8
        guard !u.isEmpty, u.count <= 63, let f = u.first, let l = u.last,
              isAlnum(f), isAlnum(l) else { return false }
        return u.allSatisfy { isAlnum($0) || $0 == 0x2D }
    }

    /// `IsDNS1123Subdomain`: at most 253 characters, dot-separated DNS-1123 labels.
    static func isDNS1123Subdomain(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 253 else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNS1123Label(String($0)) }
    }

    /// `IsValidPortName` (IANA_SVC_NAME): 1–15 of `[a-z0-9-]`, at least one letter, no `--`,
    /// not starting or ending with `-`.
    static func isPortName(_ s: String) -> Bool {
        let u = s.utf8
        guard !u.isEmpty, u.count <= 15, u.first != 0x2D, u.last != 0x2D, !s.contains("--") else { return false }
        return u.allSatisfy { isAlnum($0) || $0 == 0x2D } && u.contains { $0 >= 0x61 && $0 <= 0x7A }
    }

    /// A label key (`IsQualifiedName`): an optional DNS-1123 subdomain prefix and `/`, then a
    /// name of 1–63 of `[A-Za-z0-9._-]` starting and ending alphanumeric.
    package static func isLabelKey(_ s: String) -> Bool {
        let parts = s.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2, !isDNS1123Subdomain(String(parts[0])) { return false }
        return isLabelName(parts.last ?? "", allowEmpty: false)
    }

    /// A label value (`IsValidLabelValue`): empty, or 1–63 of `[A-Za-z0-9._-]` starting and
    /// ending alphanumeric.
    package static func isLabelValue(_ s: String) -> Bool { isLabelName(Substring(s), allowEmpty: true) }

    private static func isLabelName(_ s: Substring, allowEmpty: Bool) -> Bool {
        let u = s.utf8
        guard let f = u.first, let l = u.last else { return allowEmpty }
        func alnum(_ c: UInt8) -> Bool { isAlnum(c) || (c >= 0x41 && c <= 0x5A) }
        return u.count <= 63 && alnum(f) && alnum(l) && u.allSatisfy { alnum($0) || $0 == 0x2D || $0 == 0x2E || $0 == 0x5F }
    }

    /// The first key or value of `labels` (or of a selector) that Kubernetes would refuse, as a message.
    static func labelProblem(_ labels: [String: String]) -> String? {
        // The common case, all valid, without sorting; the first problem in key order otherwise.
        guard labels.contains(where: { !isLabelKey($0.key) || !isLabelValue($0.value) }) else { return nil }
        for (k, v) in labels.sorted(by: { $0.key < $1.key }) {
            if !isLabelKey(k) { return "\"\(k)\" is not a valid label key (an optional DNS subdomain and /, then 1-63 of [A-Za-z0-9._-], alphanumeric at both ends)" }
            if !isLabelValue(v) { return "\"\(v)\" (for \(k)) is not a valid label value (at most 63 of [A-Za-z0-9._-], alphanumeric at both ends)" }
        }
        return nil
    }

    private static func isAlnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
}

/// A string coding key, so decoding code can name JSON fields literally.
struct FieldKey: CodingKey, ExpressibleByStringLiteral {
    let stringValue: String
    let intValue: Int?
    init(_ s: String) { stringValue = s; intValue = nil }
    init(stringLiteral s: String) { self.init(s) }
    init?(stringValue s: String) { self.init(s) }
    init?(intValue i: Int) { stringValue = "Index \(i)"; intValue = i }
}

typealias Decoding = KeyedDecodingContainer<FieldKey>
typealias Encoding = KeyedEncodingContainer<FieldKey>

extension KeyedDecodingContainer where K == FieldKey {
    /// A validation error for `key`, reported at its full field path.
    func invalid(_ key: FieldKey, _ message: String) -> DecodingError {
        DecodingError.dataCorrupted(.init(codingPath: codingPath + [key], debugDescription: message))
    }

    /// A validation error for element `index` of the array field `key`.
    func invalid(_ key: FieldKey, index: Int, _ message: String) -> DecodingError {
        let path: [any CodingKey] = codingPath + [key, FieldKey(intValue: index) ?? key]
        return DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: message))
    }

    /// A validation error at a path below this container.
    func invalid(path: [FieldKey], _ message: String) -> DecodingError {
        DecodingError.dataCorrupted(.init(codingPath: codingPath + path, debugDescription: message))
    }

    /// An optional field; JSON `null` counts as absent.
    func optional<T: Decodable>(_ type: T.Type, _ key: FieldKey) throws -> T? {
        try decodeIfPresent(type, forKey: key)
    }

    /// A required field; absent or null is a `keyNotFound` error at its path.
    func required<T: Decodable>(_ type: T.Type, _ key: FieldKey) throws -> T {
        guard let v = try decodeIfPresent(type, forKey: key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "is required"))
        }
        return v
    }

    /// A nested object, or nil when absent or null.
    func object(_ key: FieldKey) throws -> Decoding? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        return try nestedContainer(keyedBy: FieldKey.self, forKey: key)
    }

    /// A port number field: an integer in 1...65535.
    func port(_ key: FieldKey) throws -> UInt16 {
        let n = try required(Int.self, key)
        guard let p = UInt16(exactly: n), p != 0 else { throw invalid(key, "\(n) is not a valid port") }
        return p
    }

    /// An optional port number field.
    func optionalPort(_ key: FieldKey) throws -> UInt16? {
        guard try optional(Int.self, key) != nil else { return nil }
        return try port(key)
    }

    /// A protocol field; absent means TCP (core/v1 defaulting).
    func transport(_ key: FieldKey) throws -> TransportProtocol {
        guard let s = try optional(String.self, key) else { return .tcp }
        guard let p = TransportProtocol(rawValue: s) else {
            throw invalid(key, "\"\(s)\" is not a valid protocol (TCP, UDP, SCTP)")
        }
        return p
    }

    /// An IP address field that must parse.
    func ip(_ key: FieldKey) throws -> IPAddress {
        let s = try required(String.self, key)
        guard let a = IPAddress(s) else { throw invalid(key, "\"\(s)\" is not a valid IP address") }
        return a
    }

    /// An optional port name that must be an IANA service name when present.
    func portName(_ key: FieldKey) throws -> String? {
        guard let s = try optional(String.self, key), !s.isEmpty else { return nil }
        guard Names.isPortName(s) else { throw invalid(key, "\"\(s)\" is not a valid port name") }
        return s
    }

    /// An optional DNS-1123 label (pod hostname, subdomain, endpoint hostname).
    func label(_ key: FieldKey) throws -> String? {
        guard let s = try optional(String.self, key), !s.isEmpty else { return nil }
        guard Names.isDNS1123Label(s) else { throw invalid(key, "\"\(s)\" is not a valid DNS-1123 label") }
        return s
    }
}

extension KeyedEncodingContainer where K == FieldKey {
    /// Encodes a value unless it is nil.
    mutating func put<T: Encodable>(_ v: T?, _ key: FieldKey) throws {
        if let v { try encode(v, forKey: key) }
    }

    /// Encodes a collection unless it is empty.
    mutating func putNonEmpty<T: Encodable & Collection>(_ v: T, _ key: FieldKey) throws {
        if !v.isEmpty { try encode(v, forKey: key) }
    }
}
