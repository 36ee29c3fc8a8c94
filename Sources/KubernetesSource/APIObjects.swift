import Foundation
import ClusterModel

/// A string coding key.
struct Key: CodingKey {
    let stringValue: String
    let intValue: Int? = nil
    init(_ s: String) { stringValue = s }
    init?(stringValue s: String) { stringValue = s }
    init?(intValue: Int) { return nil }
}

extension CodingUserInfoKey {
    /// The `ObjectKind` (raw value) that list items and watch objects decode as.
    static let kubeKind = CodingUserInfoKey(rawValue: "clusterdns.kubeKind")!
}

/// A Kubernetes `Status` (apimachinery `metav1.Status`), the body of every API error and the
/// object of a watch `ERROR` event.
public struct APIStatus: Decodable, Sendable, Hashable, Error, CustomStringConvertible {
    public var status: String?
    public var message: String?
    public var reason: String?
    public var code: Int?

    public init(status: String? = "Failure", message: String?, reason: String?, code: Int?) {
        self.status = status; self.message = message; self.reason = reason; self.code = code
    }

    /// `410 Gone` / reason `Expired` or `Gone`: the resource version or continue token is too old; relist.
    public var isGone: Bool { code == 410 || reason == "Expired" || reason == "Gone" }

    public var description: String {
        "\(code.map(String.init) ?? "?") \(reason ?? ""): \(message ?? "")"
    }
}

/// One object of a list or watch event, decoded straight into the cut-down model (the JSON is
/// never kept). An object that fails validation keeps its key so it can be removed.
struct DecodedObject: Decodable {
    let kind: ObjectKind
    let name: String
    let namespace: String
    let resourceVersion: String?
    /// The object, or nil when it did not validate (see `error`).
    let object: KubeObject?
    let error: String?

    var key: ObjectKey { ObjectKey(kind: kind, namespace: namespace, name: name) }

    init(from decoder: any Decoder) throws {
        guard let raw = decoder.userInfo[.kubeKind] as? String, let kind = ObjectKind(rawValue: raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "no kind configured"))
        }
        self.kind = kind
        let top = try decoder.container(keyedBy: Key.self)
        let meta = try top.nestedContainer(keyedBy: Key.self, forKey: Key("metadata"))
        name = try meta.decode(String.self, forKey: Key("name"))
        let ns = try meta.decodeIfPresent(String.self, forKey: Key("namespace")) ?? ""
        namespace = kind.isNamespaced && ns.isEmpty ? "default" : ns
        resourceVersion = try meta.decodeIfPresent(String.self, forKey: Key("resourceVersion"))
        do {
            switch kind {
            case .service: object = .service(try KubeService(from: decoder))
            case .pod: object = .pod(try KubePod(from: decoder))
            case .endpoints: object = .endpoints(try KubeEndpoints(from: decoder))
            case .endpointSlice: object = .endpointSlice(try KubeEndpointSlice(from: decoder))
            case .namespace: object = .namespace(try KubeNamespace(from: decoder))
            }
            error = nil
        } catch {
            object = nil
            self.error = "\(error)"
        }
    }
}

/// A list response (`ServiceList`, `EndpointSliceList`, ...): `metadata.resourceVersion`,
/// `metadata.continue` and `items` (which carry no `kind` of their own).
struct ListPage: Decodable {
    let resourceVersion: String
    let continueToken: String?
    let items: [DecodedObject]

    init(from decoder: any Decoder) throws {
        let top = try decoder.container(keyedBy: Key.self)
        let meta = try top.nestedContainer(keyedBy: Key.self, forKey: Key("metadata"))
        resourceVersion = try meta.decodeIfPresent(String.self, forKey: Key("resourceVersion")) ?? ""
        let c = try meta.decodeIfPresent(String.self, forKey: Key("continue"))
        continueToken = (c?.isEmpty ?? true) ? nil : c
        items = try top.decodeIfPresent([DecodedObject].self, forKey: Key("items")) ?? []
    }
}

/// One line of a watch stream (apimachinery `metav1.WatchEvent`): `{"type": ..., "object": ...}`.
enum WatchEvent: Decodable {
    case added(DecodedObject)
    case modified(DecodedObject)
    case deleted(DecodedObject)
    /// Only `object.metadata.resourceVersion` of a bookmark means anything.
    case bookmark(resourceVersion: String?)
    case error(APIStatus)

    init(from decoder: any Decoder) throws {
        let top = try decoder.container(keyedBy: Key.self)
        let type = try top.decode(String.self, forKey: Key("type"))
        switch type {
        case "ADDED": self = .added(try top.decode(DecodedObject.self, forKey: Key("object")))
        case "MODIFIED": self = .modified(try top.decode(DecodedObject.self, forKey: Key("object")))
        case "DELETED": self = .deleted(try top.decode(DecodedObject.self, forKey: Key("object")))
        case "BOOKMARK":
            let object = try top.nestedContainer(keyedBy: Key.self, forKey: Key("object"))
            let meta = try object.nestedContainer(keyedBy: Key.self, forKey: Key("metadata"))
            self = .bookmark(resourceVersion: try meta.decodeIfPresent(String.self, forKey: Key("resourceVersion")))
        case "ERROR":
            self = .error((try? top.decode(APIStatus.self, forKey: Key("object")))
                          ?? APIStatus(message: "unreadable ERROR event", reason: nil, code: nil))
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: [Key("type")], debugDescription: "unknown watch event type \"\(type)\""))
        }
    }
}

/// Splits a byte stream into newline-terminated lines, holding at most `maxLineBytes` of one line.
struct LineSplitter {
    let maxLineBytes: Int
    private var pending: [UInt8] = []

    init(maxLineBytes: Int) { self.maxLineBytes = maxLineBytes }

    /// Appends bytes; returns the complete lines (without the newline, blank lines skipped).
    mutating func feed<C: Collection>(_ bytes: C) throws(KubernetesSourceError) -> [[UInt8]] where C.Element == UInt8 {
        var lines: [[UInt8]] = []
        var start = bytes.startIndex
        var i = start
        while i != bytes.endIndex {
            if bytes[i] == 0x0A {
                pending.append(contentsOf: bytes[start..<i])
                if pending.contains(where: { $0 != 0x20 && $0 != 0x0D && $0 != 0x09 }) { lines.append(pending) }
                pending.removeAll(keepingCapacity: true)
                start = bytes.index(after: i)
            }
            i = bytes.index(after: i)
        }
        pending.append(contentsOf: bytes[start..<bytes.endIndex])
        if pending.count > maxLineBytes {
            throw KubernetesSourceError("watch event longer than \(maxLineBytes) bytes")
        }
        if pending.isEmpty, pending.capacity > 65536 { pending = [] }
        return lines
    }

    /// Bytes of an unfinished line.
    var remainder: Int { pending.count }
}
