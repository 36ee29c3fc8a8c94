import ClusterModel

/// Things in a valid set of objects that will surprise at run time (`clusterdns check`).
public enum ClusterLint {
    /// One warning about one object.
    public struct Warning: Sendable, Equatable, CustomStringConvertible {
        /// `kind/namespace/name` of the object concerned.
        public var object: ObjectKey
        /// What will surprise, in one sentence.
        public var message: String
        /// `kind/namespace/name: message`.
        public var description: String { "\(object.kind.resource)/\(object.namespace)/\(object.name): \(message)" }
    }

    /// Warnings for `snapshot`, sorted by object.
    public static func warnings(in snapshot: ClusterSnapshot) -> [Warning] {
        var out: [Warning] = []
        var headless = Set<NamespacedName>()
        for entry in snapshot.services.values where entry.service.isHeadless && entry.service.type != .externalName {
            headless.insert(NamespacedName(namespace: entry.service.namespace, name: entry.service.name))
        }
        for pod in snapshot.pods.values {
            if let sub = pod.subdomain, !sub.isEmpty, !headless.contains(NamespacedName(namespace: pod.namespace, name: sub)) {
                out.append(Warning(object: pod.key, message: "spec.subdomain \(sub) names no headless service in namespace \(pod.namespace), so \(pod.hostname ?? pod.name).\(sub) will not resolve"))
            }
        }
        for entry in snapshot.services.values {
            let s = entry.service
            guard s.type != .externalName else { continue }
            let key = ObjectKey(kind: .service, namespace: s.namespace, name: s.name)
            if entry.source == .pods || entry.source == .none, let selector = s.selector, !selector.isEmpty {
                let selected = snapshot.pods.values.filter { p in
                    p.namespace == s.namespace && selector.allSatisfy { p.labels[$0.key] == $0.value }
                }
                if selected.isEmpty {
                    out.append(Warning(object: key, message: "selector \(Authority.selectorText(selector)) matches no pod"))
                }
                for port in s.ports {
                    guard case .string(let name)? = port.targetPort, !selected.isEmpty else { continue }
                    if !selected.contains(where: { $0.ports.contains { $0.name == name } }) {
                        out.append(Warning(object: key, message: "targetPort \(name) of port \(port.name ?? String(port.port)) is defined by no selected pod"))
                    }
                }
            }
            var owners: [String: Set<String>] = [:]
            for ep in entry.readyEndpoints + entry.notReadyEndpoints {
                guard let h = ep.hostname else { continue }
                owners[h, default: []].insert(ep.targetPod ?? ep.address.description)
            }
            for (h, who) in owners where who.count > 1 {
                out.append(Warning(object: key, message: "hostname \(h) is used by \(who.sorted().joined(separator: ", ")): \(h).\(s.name) returns all of them"))
            }
        }
        return out.sorted { ($0.object, $0.message) < ($1.object, $1.message) }
    }
}
