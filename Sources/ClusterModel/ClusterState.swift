import DNSModel

/// A label `key=value`, the unit of the selector indexes.
struct LabelPair: Hashable, Sendable {
    let key: String
    let value: String
}

/// The writer-side state behind `ClusterStore`: the objects, the published maps (shared with
/// snapshots, hence sharded) and private indexes that make one change cost O(what it affects).
struct ClusterState {
    var generation: UInt64 = 0
    /// What endpoints without a hostname are called.
    var naming: EndpointNaming = .address
    var services = ShardedDictionary<ServiceKey, ServiceEntry>()
    var pods = ShardedDictionary<NamespacedName, KubePod>()
    var endpoints = ShardedDictionary<NamespacedName, KubeEndpoints>()
    var slices = ShardedDictionary<NamespacedName, KubeEndpointSlice>()
    var namespaceObjects: [String: KubeNamespace] = [:]
    var namespaces: Set<String> = ["default"]
    var endpointsByIP = ShardedDictionary<IPAddress, [ServiceKey]>()
    var servicesByClusterIP = ShardedDictionary<IPAddress, [ServiceKey]>()
    var podsByIP = ShardedDictionary<IPAddress, PodsAtAddress>()
    /// The reverse-tree branches above the addresses of `endpointsByIP` and `servicesByClusterIP`.
    var reverseBranches = ReverseBranchIndex()

    // Writer-only indexes (never shared, so mutated in place).
    /// Objects per namespace, to know which namespaces exist.
    var namespaceRefs: [String: Int] = [:]
    /// namespace → label pair → names of pods carrying it.
    var podLabels: [String: [LabelPair: Set<String>]] = [:]
    /// namespace → the smallest pair of each non-empty selector → service name → its selector
    /// (kept here so a pod change matches selectors without reading the Services).
    var selectors: [String: [LabelPair: [String: [String: String]]]] = [:]
    /// service key → names of the EndpointSlices labelled with it.
    var slicesByService: [ServiceKey: Set<String>] = [:]
    /// Services whose endpoints must be recomputed from scratch at the end of the batch.
    var dirty: Set<ServiceKey> = []
    /// Services (not in `dirty`) whose selected pods changed, with the names of those pods (a
    /// name may repeat): their endpoint lists are patched for just these pods at the end of the
    /// batch.
    var dirtyPods: [ServiceKey: [String]] = [:]
    /// `[key]` for each Service that has had endpoints: the `endpointsByIP` value of every
    /// address only that Service uses (nearly all), shared, so a Service's 20 endpoints cost one
    /// array, not 20 (~75 bytes each).
    var soleLists: [ServiceKey: [ServiceKey]] = [:]
    /// `ChangeMarks` slots of what changed since the last publication, to be marked with its
    /// generation.
    var changedSlots: [Int] = []

    func snapshot() -> ClusterSnapshot {
        ClusterSnapshot(generation: generation, services: services, namespaces: namespaces,
                        endpointsByIP: endpointsByIP, servicesByClusterIP: servicesByClusterIP,
                        podsByIP: podsByIP, pods: pods, endpoints: endpoints, endpointSlices: slices,
                        namespaceObjects: namespaceObjects, reverseBranches: reverseBranches.branches)
    }

    func object(_ key: ObjectKey) -> KubeObject? {
        switch key.kind {
        case .service: services[key.id].map { .service($0.service) }
        case .pod: pods[key.id].map { .pod($0) }
        case .endpoints: endpoints[key.id].map { .endpoints($0) }
        case .endpointSlice: slices[key.id].map { .endpointSlice($0) }
        case .namespace: namespaceObjects[key.name].map { .namespace($0) }
        }
    }

    // MARK: Changes

    /// Stores `object`; returns false when it was already stored unchanged.
    mutating func upsert(_ object: KubeObject) -> Bool {
        let key = object.key
        let old = self.object(key)
        guard old != object else { return false }
        if case .pod(let new) = object, case .pod(let previous)? = old {
            replacePod(previous, with: new)
            return true
        }
        if old != nil { remove(key) }
        if key.kind.isNamespaced { namespaceRefs[key.namespace, default: 0] += 1 }
        switch object {
        case .service(let s):
            setService(key.id, ServiceEntry(service: s))
            if let pair = Self.indexPair(s.selector) {
                selectors[key.namespace, default: [:]][pair, default: [:]][key.name] = s.selector
            }
            for ip in s.clusterAddresses { indexClusterIP(ip, of: key.id, add: true) }
            dirty.insert(key.id)
        case .pod(let p):
            pods[key.id] = p
            for (k, v) in p.labels { podLabels[key.namespace, default: [:]][LabelPair(key: k, value: v), default: []].insert(key.name) }
            if Self.isVerifiable(p) {
                for ip in p.podIPs { podsByIP.modify(ip, default: PodsAtAddress(), removeIf: \.isEmpty) { $0.append(key.id) } }
            }
            markServices(selecting: p)
        case .endpoints(let e):
            endpoints[key.id] = e
            dirty.insert(key.id)
        case .endpointSlice(let s):
            slices[key.id] = s
            if let svc = s.serviceName {
                let sk = ServiceKey(namespace: key.namespace, name: svc)
                slicesByService[sk, default: []].insert(key.name)
                dirty.insert(sk)
            }
        case .namespace(let n):
            namespaceObjects[key.name] = n
        }
        refreshNamespace(key.kind.isNamespaced ? key.namespace : key.name)
        return true
    }

    /// Removes the object with `key`; returns false when there was none.
    @discardableResult
    mutating func remove(_ key: ObjectKey) -> Bool {
        guard let old = object(key) else { return false }
        if key.kind.isNamespaced {
            namespaceRefs[key.namespace, default: 1] -= 1
            if namespaceRefs[key.namespace] == 0 { namespaceRefs[key.namespace] = nil }
        }
        switch old {
        case .service(let s):
            if let entry = services[key.id] { unindexEndpoints(entry) }
            setService(key.id, nil)
            if let pair = Self.indexPair(s.selector) {
                selectors[key.namespace]?[pair]?[key.name] = nil
                if selectors[key.namespace]?[pair]?.isEmpty == true { selectors[key.namespace]?[pair] = nil }
            }
            for ip in s.clusterAddresses { indexClusterIP(ip, of: key.id, add: false) }
        case .pod(let p):
            pods[key.id] = nil
            unindexLabels(p)
            for ip in p.podIPs { podsByIP.modify(ip, default: PodsAtAddress(), removeIf: \.isEmpty) { $0.removeAll(key.id) } }
            markServices(selecting: p)
        case .endpoints:
            endpoints[key.id] = nil
            dirty.insert(key.id)
        case .endpointSlice(let s):
            slices[key.id] = nil
            if let svc = s.serviceName {
                let sk = ServiceKey(namespace: key.namespace, name: svc)
                slicesByService[sk]?.remove(key.name)
                if slicesByService[sk]?.isEmpty == true { slicesByService[sk] = nil }
                dirty.insert(sk)
            }
        case .namespace:
            namespaceObjects[key.name] = nil
        }
        refreshNamespace(key.kind.isNamespaced ? key.namespace : key.name)
        return true
    }

    /// Replaces a stored pod by a new version of itself: only the indexes its change touches are
    /// updated, and its services are marked for a patch of their endpoints, not a recompute.
    private mutating func replacePod(_ old: KubePod, with new: KubePod) {
        let key = NamespacedName(namespace: new.namespace, name: new.name)
        pods[key] = new
        if old.labels != new.labels {
            unindexLabels(old)
            for (k, v) in new.labels { podLabels[key.namespace, default: [:]][LabelPair(key: k, value: v), default: []].insert(key.name) }
        }
        let oldIPs = Self.isVerifiable(old) ? old.podIPs : [], newIPs = Self.isVerifiable(new) ? new.podIPs : []
        if oldIPs != newIPs {
            for ip in oldIPs { podsByIP.modify(ip, default: PodsAtAddress(), removeIf: \.isEmpty) { $0.removeAll(key) } }
            for ip in newIPs { podsByIP.modify(ip, default: PodsAtAddress(), removeIf: \.isEmpty) { $0.append(key) } }
        }
        // Which services select a pod depends on its labels alone.
        markServices(selecting: old)
        if old.labels != new.labels { markServices(selecting: new) }
    }

    /// Brings the endpoints of every dirty service up to date, and the address index with them.
    mutating func recomputeDirty() {
        for key in dirty {
            guard let entry = services[key] else { continue }
            let s = entry.service
            let sliceList = (slicesByService[key] ?? []).compactMap { slices[NamespacedName(namespace: key.namespace, name: $0)] }
            let new = EndpointComputer.entry(for: s, slices: sliceList, endpoints: endpoints[key], pods: selectedPods(s), naming: naming)
            store(new, replacing: entry)
        }
        for (key, changed) in dirtyPods where !dirty.contains(key) {
            // Pods feed only entries computed from pods (no EndpointSlices, no Endpoints object).
            guard let entry = services[key], entry.source == .pods, let selector = entry.contents.value.service.selector else { continue }
            let names = changed.count == 1 ? changed : Array(Set(changed)).sorted()
            let current = names.compactMap { name -> KubePod? in
                guard let p = pods[NamespacedName(namespace: key.namespace, name: name)], Self.matches(selector, p.labels) else { return nil }
                return p
            }
            let (new, patch) = EndpointComputer.entry(updating: entry, pods: names, to: current, naming: naming)
            store(new, replacing: entry, patch: patch)
        }
        dirty.removeAll(keepingCapacity: true)
        dirtyPods.removeAll(keepingCapacity: true)
    }

    /// Stores a patched entry when it differs, updating the marks and the address index by what
    /// the patch took out and put in (as `store(_:replacing:)` would by walking both entries):
    /// an endpoint taken out and put back unchanged is no change; a readiness flip changes the
    /// flipped endpoint's name and leaves the address index as it was.
    private mutating func store(_ new: ServiceEntry, replacing old: ServiceEntry, patch: EndpointComputer.Patch) {
        guard new != old else { return }
        let key = old.key
        setService(key, new, endpointsOnly: true)
        var removed = patch.removed, added = patch.added
        // Cancel what went out and came back: equal endpoints first (no mark, no index change)…
        removed.removeAll { e in
            guard let i = added.firstIndex(of: e) else { return false }
            added.remove(at: i)
            return true
        }
        // Not-ready endpoints too: an NXDOMAIN for one says it is not ready (`whyMissing`).
        // (A readiness flip takes out and puts in one label: marked once.)
        for e in removed { markLabel(of: e, in: key) }
        for e in added where !removed.contains(where: { $0.dnsLabel == e.dnsLabel }) { markLabel(of: e, in: key) }
        // …then equal addresses, which the address index counts once per mention.
        var gone = removed.map(\.address), came = added.map(\.address)
        gone.removeAll { a in
            guard let i = came.firstIndex(of: a) else { return false }
            came.remove(at: i)
            return true
        }
        for a in gone { unindex(a, of: key) }
        for a in came { index(a, of: key) }
    }

    /// Stores a recomputed entry when it differs: marks the DNS labels of the endpoints, ready or
    /// not, that differ between the old and new lists (both sorted by `EndpointComputer.order`)
    /// as changed, and updates the address index by the difference between the old and new
    /// addresses of all endpoints (so a readiness flip, the commonest change, leaves it untouched).
    private mutating func store(_ new: ServiceEntry, replacing old: ServiceEntry) {
        guard new != old else { return }
        let key = old.key
        setService(key, new, endpointsOnly: new.service == old.service && new.source == old.source)
        markDifferences(old.readyEndpoints, new.readyEndpoints, in: key)
        // An NXDOMAIN for a not-ready endpoint's name says so (`whyMissing`): its label is marked too.
        markDifferences(old.notReadyEndpoints, new.notReadyEndpoints, in: key)
        var was = AddressWalk(old), now = AddressWalk(new)
        while true {
            let x = was.peek, y = now.peek
            if let x, x == y {
                was.advance(); now.advance()
            } else if let x, y.map({ x < $0 }) ?? true {
                unindex(x, of: key); was.advance()
            } else if let y {
                index(y, of: key); now.advance()
            } else {
                return                                   // both walks ended
            }
        }
    }

    /// Stores a Service entry, or removes it, and marks it changed (`ChangeMarks`): the whole
    /// entry, and unless only its endpoints changed, the Service object too.
    private mutating func setService(_ key: ServiceKey, _ entry: ServiceEntry?, endpointsOnly: Bool = false) {
        changedSlots.append(ChangeMarks.Subject.service(key).slot)
        if !endpointsOnly { changedSlots.append(ChangeMarks.Subject.serviceObject(key).slot) }
        services[key] = entry
        if entry == nil { soleLists[key] = nil }
    }

    /// Marks the labels of the endpoints that are in one sorted list and not the other, or differ.
    private mutating func markDifferences(_ a: [Endpoint], _ b: [Endpoint], in key: ServiceKey) {
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && EndpointComputer.order(a[i], b[j])) {
                markLabel(of: a[i], in: key); i += 1
            } else if i == a.count || EndpointComputer.order(b[j], a[i]) {
                markLabel(of: b[j], in: key); j += 1
            } else {
                if a[i] != b[j] { markLabel(of: a[i], in: key); markLabel(of: b[j], in: key) }
                i += 1; j += 1
            }
        }
    }

    /// Marks the name `<label>.<service>...` of an endpoint that appeared, went or changed.
    private mutating func markLabel(of e: Endpoint, in key: ServiceKey) {
        changedSlots.append(ChangeMarks.Subject.endpoint(key, label: e.dnsLabel).slot)
    }
}
