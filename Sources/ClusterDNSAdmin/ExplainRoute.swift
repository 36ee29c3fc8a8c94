import Foundation
import Synchronization
import DNSModel
import ClusterDNS

/// What the status page and `/v1/explain` need beside the store: the authority (set once the
/// zones are loaded, which happens after the admin server starts) and the generations seen.
final class StatusState: Sendable {
    private let authorityCell = Locked<Authority?>(nil)
    /// The last generations the admin server saw.
    let history = StoreHistory()

    /// The authority, once the zones are loaded.
    var authority: Authority? { authorityCell.withLock { $0 } }

    func setAuthority(_ authority: Authority) { authorityCell.withLock { $0 = authority } }
}

extension AdminAPI {
    /// Sets the authority that `/v1/explain` and the status page use (the zones are loaded after
    /// the admin server starts; until then both answer 503 or say "loading").
    public func setAuthority(_ authority: Authority) { status.setAuthority(authority) }

    /// `GET /v1/explain?name=NAME&type=TYPE`: the `Explanation` of NAME/TYPE (type A by default)
    /// in the current snapshot, as JSON.
    func explain(query: String?) throws -> AdminResponse {
        let params = Self.queryParameters(query)
        guard let nameText = params["name"], !nameText.isEmpty else {
            throw KubeStatus.badRequest("the query parameter name is required: /v1/explain?name=NAME&type=TYPE")
        }
        guard let name = DomainName(nameText) else {
            throw KubeStatus.badRequest("name: \"\(nameText)\" is not a domain name")
        }
        let typeText = params["type"].flatMap { $0.isEmpty ? nil : $0 } ?? "A"
        guard let type = RecordType(typeText.uppercased()) else {
            throw KubeStatus.badRequest("type: \"\(typeText)\" is not a record type")
        }
        guard let authority = status.authority else {
            throw KubeStatus(code: 503, reason: "ServiceUnavailable", message: "the zones are still loading")
        }
        let explanation = authority.explain(name, type: type, in: store.snapshot)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return AdminResponse(status: 200, body: Array(try encoder.encode(explanation)))
    }

    /// Decodes `a=b&c=d` (`+` is a space; percent-decoded); the first of repeated keys wins.
    static func queryParameters(_ query: String?) -> [String: String] {
        var out: [String: String] = [:]
        for (key, value) in queryPairs(query) where out[key] == nil { out[key] = value }
        return out
    }

    /// Every value given for `name` in a query string, in order (a parameter may repeat).
    static func queryParameterValues(_ query: String?, _ name: String) -> [String] {
        queryPairs(query).filter { $0.key == name }.map(\.value)
    }

    /// The decoded `key=value` pairs of a query string (`+` is a space, then percent-decoding).
    static func queryPairs(_ query: String?) -> [(key: String, value: String)] {
        (query ?? "").split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                let spaced = s.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }
}
