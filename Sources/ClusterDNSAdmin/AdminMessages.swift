import Foundation
import ClusterModel

/// One HTTP request as the admin API sees it (independent of the HTTP framework).
public struct AdminRequest: Sendable {
    public var method: String
    /// The path, without the query.
    public var path: String
    /// The query string (after `?`, still percent-encoded), if any.
    public var query: String?
    /// The `Content-Type` header.
    public var contentType: String?
    /// The `Authorization` header.
    public var authorization: String?
    /// Reads the body, at most `limit` bytes; throws `KubeStatus` 413 beyond that.
    public var readBody: @Sendable (_ limit: Int) async throws -> [UInt8]

    public init(method: String, path: String, contentType: String? = nil, authorization: String? = nil,
                readBody: @escaping @Sendable (_ limit: Int) async throws -> [UInt8] = { _ in [] }, query: String? = nil) {
        self.method = method; self.path = path; self.contentType = contentType
        self.authorization = authorization; self.readBody = readBody; self.query = query
    }
}

/// One HTTP answer.
public struct AdminResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, contentType: String = "application/json", headers: [(String, String)] = [], body: [UInt8]) {
        self.status = status; self.contentType = contentType; self.headers = headers; self.body = body
    }

    static func status(_ s: KubeStatus) -> AdminResponse {
        var headers: [(String, String)] = []
        if s.code == 401 { headers.append(("WWW-Authenticate", #"Bearer realm="clusterdns""#)) }
        return AdminResponse(status: s.code, headers: headers, body: s.json)
    }

    static func text(_ status: Int, _ text: String) -> AdminResponse {
        AdminResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }
}
