import DNSModel

// The writer-only indexes of `ClusterState`: addresses to Services, labels to pods, selectors to
// Services. Each is updated by what one change touched, never rebuilt.
extension ClusterState {
    mutating func unindexEndpoints(_ entry: ServiceEntry) {
        for e in entry.readyEndpoints { unindex(e.address, of: entry.key) }
        for e in entry.notReadyEndpoints { unindex(e.address, of: entry.key) }
    }

    mutating func index(_ address: IPAddress, of key: ServiceKey) {
        let sole = soleLists[key] ?? { soleLists[key] = [key]; return [key] }()
        let change = endpointsByIP.modify(address, default: [], removeIf: \.isEmpty) { list in
            if list.isEmpty { list = sole } else { list.append(key) }
        }
        if change != 0 { reverseBranches.note(address, added: change > 0) }
    }

    /// Adds or removes a Service's mention at one of its cluster IPs.
    mutating func indexClusterIP(_ address: IPAddress, of key: ServiceKey, add: Bool) {
        let change = servicesByClusterIP.modify(address, default: [], removeIf: \.isEmpty) { list in
            if add { list.append(key) } else { list.removeAll { $0 == key } }
        }
        if change != 0 { reverseBranches.note(address, added: change > 0) }
    }

    /// Removes one mention of the Service at an endpoint's address (a Service with two endpoints
    /// at one address, e.g. two Endpoints subsets, is mentioned twice).
    mutating func unindex(_ address: IPAddress, of key: ServiceKey) {
        let change = endpointsByIP.modify(address, default: [], removeIf: \.isEmpty) { list in
            if let i = list.firstIndex(of: key) { list.remove(at: i) }
        }
        if change != 0 { reverseBranches.note(address, added: change > 0) }
    }

    /// Takes the pod out of the label index (under its case-folded key, as it was put in).
    mutating func unindexLabels(_ p: KubePod) {
        let key = NamespacedName(namespace: p.namespace, name: p.name)
        for (k, v) in p.labels {
            let pair = LabelPair(key: k, value: v)
            podLabels[key.namespace]?[pair]?.remove(key.name)
            if podLabels[key.namespace]?[pair]?.isEmpty == true { podLabels[key.namespace]?[pair] = nil }
        }
    }

    /// Marks the services of the pod's namespace whose selector matches its labels as having a
    /// changed pod.
    mutating func markServices(selecting pod: KubePod) {
        guard let index = selectors[pod.namespace] else { return }
        for (k, v) in pod.labels {
            guard let selecting = index[LabelPair(key: k, value: v)] else { continue }
            for (name, selector) in selecting where Self.matches(selector, pod.labels) {
                let key = ServiceKey(namespace: pod.namespace, name: name)
                // A Service recomputed from scratch needs no patch (at load, every Service is).
                if dirty.isEmpty || !dirty.contains(key) { dirtyPods[key, default: []].append(pod.name) }
            }
        }
    }

    /// The pods of the service's namespace its selector matches, found through the rarest
    /// selector pair; sorted by name. A nil or empty selector selects nothing.
    func selectedPods(_ s: KubeService) -> [KubePod] {
        guard let selector = s.selector, !selector.isEmpty, let index = podLabels[s.namespace] else { return [] }
        var smallest: Set<String>?
        for (k, v) in selector {
            guard let names = index[LabelPair(key: k, value: v)] else { return [] }
            if smallest == nil || names.count < (smallest?.count ?? 0) { smallest = names }
        }
        return (smallest ?? []).sorted().compactMap { name in
            guard let p = pods[NamespacedName(namespace: s.namespace, name: name)], Self.matches(selector, p.labels) else { return nil }
            return p
        }
    }

    mutating func refreshNamespace(_ ns: String) {
        let exists = ns == "default" || namespaceObjects[ns] != nil || namespaceRefs[ns] != nil
        if exists != namespaces.contains(ns) {
            if exists { namespaces.insert(ns) } else { namespaces.remove(ns) }
        }
    }

    static func matches(_ selector: [String: String], _ labels: [String: String]) -> Bool {
        !selector.isEmpty && selector.allSatisfy { labels[$0.key] == $0.value }
    }

    /// The one pair under which a selector is indexed (the smallest, for determinism).
    static func indexPair(_ selector: [String: String]?) -> LabelPair? {
        guard let selector, let (k, v) = selector.min(by: { $0.key < $1.key }) else { return nil }
        return LabelPair(key: k, value: v)
    }

    /// Pods `pods verified` answers for: an IP, not terminating, phase not Succeeded/Failed/Unknown
    /// (CoreDNS `object/pod.go` filters those phases and deletion timestamps).
    static func isVerifiable(_ p: KubePod) -> Bool {
        !p.podIPs.isEmpty && !p.isTerminating && p.phase != .succeeded && p.phase != .failed && p.phase != .unknown
    }
}
