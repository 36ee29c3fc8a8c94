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
            if let r = part.range(of: "!=") {
                out.append(.notEquals(String(part[..<r.lowerBound]), String(part[r.upperBound...])))
            } else if let r = part.range(of: "==") ?? part.range(of: "=") {
                out.append(.equals(String(part[..<r.lowerBound]), String(part[r.upperBound...])))
            } else if part.hasPrefix("!") {
                out.append(.absent(String(part.dropFirst())))
            } else {
                out.append(.exists(part))
            }
        }
        for case .exists(let key) in out where key.isEmpty || key.contains(where: { $0 == " " || $0 == "!" }) {
            throw KubeStatus.badRequest("labelSelector: \"\(text)\" is not a valid label selector")
        }
        requirements = out
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
