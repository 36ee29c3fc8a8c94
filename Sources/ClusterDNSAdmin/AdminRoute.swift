import ClusterModel

/// What a path names.
enum AdminRoute: Equatable {
    case healthz, readyz, metrics, apply
    /// `GET /`: the HTML status page; `GET /v1/explain?name=&type=`: an `Explanation` as JSON.
    case statusPage, explain
    /// One object; `namespace` is empty for Namespaces.
    case object(ObjectKind, namespace: String, name: String)
    /// A collection; `namespace` nil means every namespace.
    case collection(ObjectKind, namespace: String?)

    /// The methods the route accepts.
    var methods: [String] {
        switch self {
        case .healthz, .readyz, .metrics, .statusPage, .explain: ["GET"]
        case .apply: ["POST"]
        case .object: ["GET", "PUT", "DELETE"]
        case .collection(let kind, let ns): ns != nil || kind == .namespace ? ["GET", "POST"] : ["GET"]
        }
    }

    /// Parses a request path (a trailing slash is ignored; segments are percent-decoded).
    static func parse(_ path: String) -> AdminRoute? {
        let s = path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        if s.isEmpty { return .statusPage }
        if s == ["v1", "explain"] { return .explain }
        switch s.count {
        case 1:
            switch s[0] {
            case "healthz", "livez": return .healthz
            case "readyz": return .readyz
            case "metrics": return .metrics
            case "apply": return .apply
            default: return nil
            }
        default: break
        }
        let rest: ArraySlice<String>
        let group: String
        if s.count >= 3, s[0] == "api", s[1] == "v1" {
            rest = s[2...]; group = "v1"
        } else if s.count >= 4, s[0] == "apis", s[1] == "discovery.k8s.io", s[2] == "v1" {
            rest = s[3...]; group = "discovery.k8s.io/v1"
        } else {
            return nil
        }
        func kind(_ resource: String) -> ObjectKind? {
            guard let k = ObjectKind(resource: resource), k.apiVersion == group, resource == k.resource else { return nil }
            return k
        }
        let r = Array(rest)
        switch r.count {
        case 1:
            guard let k = kind(r[0]) else { return nil }
            return .collection(k, namespace: nil)
        case 2:
            guard group == "v1", r[0] == "namespaces" else { return nil }
            return .object(.namespace, namespace: "", name: r[1])
        case 3:
            guard r[0] == "namespaces", let k = kind(r[2]), k.isNamespaced else { return nil }
            return .collection(k, namespace: r[1])
        case 4:
            guard r[0] == "namespaces", let k = kind(r[2]), k.isNamespaced else { return nil }
            return .object(k, namespace: r[1], name: r[3])
        default:
            return nil
        }
    }
}
