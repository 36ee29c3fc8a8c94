import DNSModel
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

    /// Warnings for `snapshot` served under `domain`, sorted by object.
    public static func warnings(in snapshot: ClusterSnapshot, domain: DomainName = "cluster.local.") -> [Warning] {
        var out = externalNameWarnings(in: snapshot, zone: ClusterZone(apex: domain))
        var headless = Set<NamespacedName>()
        for entry in snapshot.services.values where entry.service.isHeadless && entry.service.type != .externalName {
            headless.insert(NamespacedName(namespace: entry.service.namespace, name: entry.service.name))
        }
        let pods = snapshot.pods.values
        // A selector is matched against the pods carrying its rarest label only, found through
        // an index of (namespace, label) (matching every pod took 7 of `check`'s 9.6 s on 2,000
        // Services and 2,000 Pods).
        struct Label: Hashable { let namespace: String, key: String, value: String }
        var podsWithLabel: [Label: [Int]] = [:]
        for (i, pod) in pods.enumerated() {
            for (k, v) in pod.labels { podsWithLabel[Label(namespace: pod.namespace, key: k, value: v), default: []].append(i) }
        }
        for pod in pods {
            if let sub = pod.subdomain, !sub.isEmpty, !headless.contains(NamespacedName(namespace: pod.namespace, name: sub)) {
                out.append(Warning(object: pod.key, message: "spec.subdomain \(sub) names no headless service in namespace \(pod.namespace), so \(pod.hostname ?? pod.name).\(sub) will not resolve"))
            }
        }
        for entry in snapshot.services.values {
            let s = entry.service
            guard s.type != .externalName else { continue }
            let key = ObjectKey(kind: .service, namespace: s.namespace, name: s.name)
            if entry.source == .pods || entry.source == .none, let selector = s.selector, !selector.isEmpty {
                let candidates = selector.map { podsWithLabel[Label(namespace: s.namespace, key: $0.key, value: $0.value)] ?? [] }
                let selected = (candidates.min { $0.count < $1.count } ?? []).map { pods[$0] }.filter { p in
                    selector.allSatisfy { p.labels[$0.key] == $0.value }
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
            // A DNS name holds at most 255 octets (RFC 1035 §2.3.4): the wire form of a name
            // written with its final dot is one octet longer than the text.
            let serviceText = "\(s.name).\(s.namespace).svc.\(domain)"
            if serviceText.utf8.count + 1 > 255 {
                out.append(Warning(object: key, message: "\(serviceText) is longer than a DNS name can be (255 octets): the service has no name"))
            } else {
                let labels = Set((entry.readyEndpoints + entry.notReadyEndpoints).map(\.dnsLabel))
                for label in labels.sorted() where label.utf8.count + 1 + serviceText.utf8.count + 1 > 255 {
                    out.append(Warning(object: key, message: "\(label).\(serviceText) is longer than a DNS name can be (255 octets): that endpoint has no name, SRV target or PTR"))
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

    /// ExternalName Services whose `externalName` is an IP address (no CNAME is served), or whose
    /// CNAME chain stays in the cluster domain and ends nowhere: at a
    /// name that does not exist (NXDOMAIN), in a loop (the chain comes back to a name it passed),
    /// or past `Answer.maxCNAMEChain` CNAMEs, found by answering an A question for each as the
    /// server would.
    static func externalNameWarnings(in snapshot: ClusterSnapshot, zone: ClusterZone) -> [Warning] {
        var out: [Warning] = []
        for entry in snapshot.services.values where entry.service.type == .externalName {
            let s = entry.service
            if let target = s.externalName, IPAddress(target) != nil {
                out.append(Warning(object: s.key, message: "externalName \(target) is an IP address, not a host name: \(s.name).\(s.namespace).svc answers NXDOMAIN (as CoreDNS; Kubernetes documents such names as not resolved)"))
                continue
            }
            guard let owner = zone.apex.prepending(labels: [s.name, s.namespace, "svc"]) else { continue }
            let (answer, end) = zone.chase(Question(name: owner, type: .a), in: snapshot)
            let chain = answer.answer.compactMap { rr -> DomainName? in
                if case .cname(let target) = rr.data { return target } else { return nil }
            }
            guard let last = chain.last, last.isSubdomain(of: zone.apex) else { continue }
            let key = ObjectKey(kind: .service, namespace: s.namespace, name: s.name)
            let path = ([owner] + chain).map { $0.description }.joined(separator: " → ")
            if answer.rcode == .nxDomain {
                out.append(Warning(object: key, message: "externalName leads to \(last), which does not exist: \(path) answers NXDOMAIN"))
            } else if end == .loop {
                out.append(Warning(object: key, message: "externalName leads to a CNAME loop: \(path)"))
            } else if end == .cut {
                out.append(Warning(object: key, message: "externalName leads through more than \(Answer.maxCNAMEChain) CNAMEs, where the answer stops: \(path) → …"))
            }
        }
        return out
    }
}
