import Foundation
import ClusterModel

/// An equality-based label selector, as `?labelSelector=` takes it (apimachinery `labels.Parse`):
/// comma-separated requirements `key=value`, `key==value`, `key!=value`, `key` (present) and
/// `!key` (absent). Set-based requirements (`in`, `notin`) are refused, not ignored.
struct LabelSelector: Sendable {
    enum Requirement: Sendable {
        case equals(String, String)
        case notEquals(String, String)
        case exists(String)
        case absent(String)
    }

    let requirements: [Requirement]

    /// Parses `text`; throws a 400 naming the requirement it cannot read.
    init(_ text: String) throws {
        var out: [Requirement] = []
        for raw in text.split(separator: ",", omittingEmptySubsequences: true) {
            let part = raw.trimmingCharacters(in: .whitespaces)
            if part.contains(" in ") || part.contains(" notin ") || part.contains("(") {
                throw KubeStatus.badRequest("labelSelector: set-based requirement \"\(part)\" is not supported (use key=value, key!=value, key, !key)")
            }
            func side(_ s: Substring) -> String { s.trimmingCharacters(in: .whitespaces) }
            let requirement: Requirement
            if let r = part.range(of: "!=") {
                requirement = .notEquals(side(part[..<r.lowerBound]), side(part[r.upperBound...]))
            } else if let r = part.range(of: "==") ?? part.range(of: "=") {
                requirement = .equals(side(part[..<r.lowerBound]), side(part[r.upperBound...]))
            } else if part.hasPrefix("!") {
                requirement = .absent(side(part.dropFirst()))
            } else {
                requirement = .exists(part)
            }
            // Keys and values follow the label rules, as the API server's parser checks them
            // (apimachinery `labels.Parse`: `validateLabelKey`, `validateLabelValue`).
            switch requirement {
            case .equals(let k, let v), .notEquals(let k, let v):
                guard Names.isLabelKey(k) else { throw Self.invalid(text, "key \"\(k)\"") }
                guard Names.isLabelValue(v) else { throw Self.invalid(text, "value \"\(v)\"") }
            case .exists(let k), .absent(let k):
                guard Names.isLabelKey(k) else { throw Self.invalid(text, "key \"\(k)\"") }
            }
            out.append(requirement)
        }
        requirements = out
    }

    private static func invalid(_ text: String, _ what: String) -> KubeStatus {
        KubeStatus.badRequest("labelSelector: \"\(text)\" is not a valid label selector: invalid label \(what) (a key is an optional DNS subdomain and \"/\", then up to 63 of [A-Za-z0-9._-] starting and ending alphanumeric; a value is empty or the same)")
    }

    /// Whether `labels` satisfy every requirement.
    func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { r in
            switch r {
            case .equals(let k, let v): labels[k] == v
            case .notEquals(let k, let v): labels[k] != v
            case .exists(let k): labels[k] != nil
            case .absent(let k): labels[k] == nil
            }
        }
    }
}
