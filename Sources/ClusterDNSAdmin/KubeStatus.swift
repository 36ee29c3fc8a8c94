import Foundation

/// A Kubernetes `Status` (apimachinery `metav1.Status`): every error body of the admin API.
public struct KubeStatus: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public struct Metadata: Sendable, Hashable, Codable { public init() {} }
    /// Names the object a `Status` is about.
    public struct Details: Sendable, Hashable, Codable {
        public var name: String?
        public var kind: String?
        public init(name: String?, kind: String?) { self.name = name; self.kind = kind }
    }

    public var kind = "Status"
    public var apiVersion = "v1"
    public var metadata = Metadata()
    /// `Failure` or `Success`.
    public var status: String
    public var message: String
    /// `BadRequest`, `NotFound`, ...
    public var reason: String?
    public var details: Details?
    /// The HTTP status code.
    public var code: Int

    /// A failure.
    public init(code: Int, reason: String, message: String, details: Details? = nil) {
        self.status = "Failure"; self.code = code; self.reason = reason; self.message = message
        self.details = details
    }

    /// A success (for deletes by name, and `/apply` summaries).
    public static func success(_ message: String, details: Details? = nil) -> KubeStatus {
        var s = KubeStatus(code: 200, reason: "", message: message, details: details)
        s.status = "Success"; s.reason = nil
        return s
    }

    public var description: String { message }

    /// The JSON body.
    public var json: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(self)) ?? Data(#"{"kind":"Status","apiVersion":"v1","status":"Failure","code":500}"#.utf8))
    }

    static func badRequest(_ message: String) -> KubeStatus { KubeStatus(code: 400, reason: "BadRequest", message: message) }
    static func notFound(_ message: String) -> KubeStatus { KubeStatus(code: 404, reason: "NotFound", message: message) }
    static func methodNotAllowed(_ method: String, _ path: String, allowed: [String]) -> KubeStatus {
        KubeStatus(code: 405, reason: "MethodNotAllowed",
                   message: "the server does not allow this method on the requested resource: \(method) \(path) (allowed: \(allowed.joined(separator: ", ")))")
    }
    static func tooLarge(_ limit: Int) -> KubeStatus {
        KubeStatus(code: 413, reason: "RequestEntityTooLarge", message: "the request body is larger than the limit of \(limit) bytes")
    }
    static func unsupportedMediaType(_ type: String) -> KubeStatus {
        KubeStatus(code: 415, reason: "UnsupportedMediaType",
                   message: "the body content type \"\(type)\" is not supported; use application/json, application/yaml, application/x-yaml or text/yaml")
    }
    static let unauthorized = KubeStatus(code: 401, reason: "Unauthorized",
                                         message: "a valid bearer token is required (Authorization: Bearer <token>)")
    static let readOnly = KubeStatus(code: 403, reason: "Forbidden",
                                     message: "the admin API is read-only (--admin-read-only): writes are refused")
}
