import ClusterModel
import DNSModel
import TestSupport
import Testing

/// A pod change patches its services' endpoint lists and the address index instead of
/// recomputing them; these tests check the patched store against one built from scratch.
@Suite struct IncrementalUpdateTests {

    /// Services over overlapping label sets: headless and ClusterIP, named and numbered target
    /// ports, one with publishNotReadyAddresses, one fed by an Endpoints object (pods must not count).
    static let services: [KubeObject] = [
        .service(KubeService(name: "web", clusterIP: "None", ports: [.init(name: "http", port: 80, targetPort: .string("http"))],
                             selector: ["app": "web"])),
        .service(KubeService(name: "web-all", clusterIP: "10.96.0.10", ports: [.init(port: 80)],
                             selector: ["app": "web"], publishNotReadyAddresses: true)),
        .service(KubeService(name: "canary", clusterIP: "None", ports: [.init(name: "http", port: 8080, targetPort: .int(9090))],
                             selector: ["app": "web", "track": "canary"])),
        .service(KubeService(name: "db", clusterIP: "None", selector: ["app": "db"])),
        .service(KubeService(name: "manual", clusterIP: "None", selector: ["app": "web"])),
        .endpoints(KubeEndpoints(name: "manual", subsets: [.init(addresses: [.init(ip: IPAddress("10.9.9.9")!)])])),
    ]

    static func randomPod(_ i: Int, using rng: inout SplitMix) -> KubePod {
        let apps = ["web", "db", "other"]
        var labels = ["app": apps[Int.random(in: 0..<3, using: &rng)]]
        if Bool.random(using: &rng) { labels["track"] = "canary" }
        let a = UInt8(Int.random(in: 1...6, using: &rng))  // shared IPs (host network) happen
        var ips = [IPAddress("10.1.0.\(a)")!]
        if Int.random(in: 0..<4, using: &rng) == 0 { ips.append(IPAddress("fd00::\(a)")!) }
        if Int.random(in: 0..<8, using: &rng) == 0 { ips = [] }
        let phases: [KubePod.Phase?] = [.running, .running, .running, .pending, .succeeded, nil]
        return KubePod(name: "p\(i)", labels: labels,
                       deletionTimestamp: Int.random(in: 0..<6, using: &rng) == 0 ? "2026-01-01T00:00:00Z" : nil,
                       hostname: Bool.random(using: &rng) ? "h\(i)" : nil,
                       subdomain: Bool.random(using: &rng) ? "web" : nil,
                       ports: Bool.random(using: &rng) ? [.init(name: "http", containerPort: 8000)] : [],
                       podIPs: ips, phase: phases[Int.random(in: 0..<phases.count, using: &rng)],
                       ready: Bool.random(using: &rng))
    }

    /// Every entry and the address index of `store` equal those of a store loaded at once with its objects.
    static func checkAgainstRebuild(_ store: ClusterStore) {
        let snap = store.snapshot
        let objects = ObjectKind.allCases.flatMap { snap.objects(of: $0) }
        let fresh = ClusterStore()
        fresh.apply(objects.map { .upsert($0) })
        let rebuilt = fresh.snapshot
        for (key, entry) in snap.services {
            #expect(rebuilt.services[key] == entry, "\(key)")
        }
        #expect(snap.services.count == rebuilt.services.count)
        func sorted<V: Comparable>(_ map: ShardedDictionary<IPAddress, [V]>) -> [IPAddress: [V]] {
            var out: [IPAddress: [V]] = [:]
            for (ip, list) in map { out[ip] = list.sorted() }
            return out
        }
        #expect(sorted(snap.endpointsByIP) == sorted(rebuilt.endpointsByIP))
        // And it is what its definition says: one mention per endpoint, ready or not.
        var expected: [IPAddress: [ServiceKey]] = [:]
        for (key, entry) in snap.services {
            for e in entry.readyEndpoints + entry.notReadyEndpoints { expected[e.address, default: []].append(key) }
        }
        #expect(sorted(snap.endpointsByIP) == expected.mapValues { $0.sorted() })
        for (ip, _) in snap.endpointsByIP { #expect(snap.services(withEndpointIP: ip) == rebuilt.services(withEndpointIP: ip)) }
        func sorted(_ map: ShardedDictionary<IPAddress, PodsAtAddress>) -> [IPAddress: [NamespacedName]] {
            var out: [IPAddress: [NamespacedName]] = [:]
            for (ip, at) in map { out[ip] = at.pods.sorted() }
            return out
        }
        #expect(sorted(snap.podsByIP) == sorted(rebuilt.podsByIP))
        // The reverse branches are those above every indexed address, kept by counts.
        #expect(Set(snap.reverseBranches.keys) == Set(rebuilt.reverseBranches.keys))
        let addresses = Set(snap.endpointsByIP.keys).union(snap.servicesByClusterIP.keys)
        #expect(Set(snap.reverseBranches.keys) == Set(addresses.flatMap { Self.branches(above: $0) }))
    }

    /// The reverse branches above an address, computed here independently of the store's code.
    static func branches(above address: IPAddress) -> [ReverseBranch] {
        switch address {
        case .v4(let a):
            return [1, 2, 3].map { n in ReverseBranch(v6: false, bits: 8 * n, of: Array(a.bytes.prefix(n)) + Array(repeating: 0, count: 4 - n)) }
        case .v6(let a):
            return (1...31).map { nibbles in
                var bytes = Array(a.bytes.prefix((nibbles + 1) / 2)) + Array(repeating: 0, count: 16 - (nibbles + 1) / 2)
                if nibbles % 2 == 1 { bytes[nibbles / 2] &= 0xF0 }
                return ReverseBranch(v6: true, bits: 4 * nibbles, of: bytes)
            }
        }
    }

    @Test("reverse branches follow Services' cluster IPs and endpoints as they come and go")
    func reverseBranchesComeAndGo() {
        let store = ClusterStore()
        let svc = KubeService(name: "s", clusterIP: "10.96.5.5", ports: [.init(port: 80)])
        store.apply([.upsert(.service(svc))])
        #expect(Set(store.snapshot.reverseBranches.keys) == Set(Self.branches(above: IPAddress("10.96.5.5")!)))
        store.apply([.upsert(.service(KubeService(name: "t", clusterIP: "10.96.5.6", ports: [.init(port: 80)])))])
        #expect(store.snapshot.reverseBranches.count == 3)
        store.apply([.delete(ObjectKey(kind: .service, namespace: "default", name: "s"))])
        #expect(Set(store.snapshot.reverseBranches.keys) == Set(Self.branches(above: IPAddress("10.96.5.6")!)))
        store.apply([.delete(ObjectKey(kind: .service, namespace: "default", name: "t"))])
        #expect(store.snapshot.reverseBranches.isEmpty)
    }

    /// Whatever differs between two consecutive snapshots is marked with the later generation
    /// (`ChangeMarks`): the entry, the Service object, and the ready endpoints under each DNS label.
    static func checkMarks(before: ClusterSnapshot, after: ClusterSnapshot, _ marks: ChangeMarks) {
        func marked(_ subject: ChangeMarks.Subject) -> Bool { marks.lastChange(subject.slot) >= after.generation }
        let keys = Set(before.services.keys).union(after.services.keys)
        for key in keys {
            let old = before.services[key], new = after.services[key]
            if old != new { #expect(marked(.service(key)), "\(key)") }
            if old?.service != new?.service || old?.source != new?.source { #expect(marked(.serviceObject(key)), "\(key)") }
            func byLabel(_ e: ServiceEntry?) -> [String: [Endpoint]] {
                Dictionary(grouping: e?.readyEndpoints ?? [], by: \.dnsLabel)
            }
            let a = byLabel(old), b = byLabel(new)
            for label in Set(a.keys).union(b.keys) where a[label] != b[label] {
                #expect(marked(.endpoint(key, label: label)), "\(key) \(label)")
            }
        }
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func randomPodChurnMatchesARebuild(seed: UInt64) async {
        var rng = SplitMix(seed: seed)
        let store = ClusterStore()
        store.apply(Self.services.map { .upsert($0) })
        for _ in 0..<60 {
            // A batch of 1-5 pod changes: create, replace (ready, labels, IPs, phase...), delete.
            var batch: [ClusterChange] = []
            for _ in 0..<Int.random(in: 1...5, using: &rng) {
                let i = Int.random(in: 0..<12, using: &rng)
                if Int.random(in: 0..<5, using: &rng) == 0 {
                    batch.append(.delete(ObjectKey(kind: .pod, namespace: "default", name: "p\(i)")))
                } else {
                    batch.append(.upsert(.pod(Self.randomPod(i, using: &rng))))
                }
            }
            let before = store.snapshot
            store.apply(batch)
            Self.checkAgainstRebuild(store)
            Self.checkMarks(before: before, after: store.snapshot, store.changeMarks)
            // Seconds of synchronous work in all: let the other tests run on the shared pool.
            await Task.yield()
        }
        // The Endpoints-fed service ignores pods throughout.
        #expect(store.snapshot.service(namespace: "default", name: "manual")?.readyEndpoints.map(\.address) == [IPAddress("10.9.9.9")!])
    }

    @Test func readinessFlipPatchesOnlyThatPodsAddress() {
        let store = ClusterStore()
        store.apply([Self.services[0]].map { .upsert($0) }
                    + (1...3).map { .upsert(.pod(KubePod(name: "p\($0)", labels: ["app": "web"], podIPs: [IPAddress("10.1.0.\($0)")!]))) })
        let before = store.snapshot
        store.apply([.upsert(.pod(KubePod(name: "p2", labels: ["app": "web"], podIPs: [IPAddress("10.1.0.2")!], ready: false)))])
        let after = store.snapshot
        let web = ServiceKey(namespace: "default", name: "web")
        #expect(after.services[web]?.readyEndpoints.map(\.targetPod) == ["p1", "p3"])
        #expect(after.services[web]?.notReadyEndpoints.map(\.targetPod) == ["p2"])
        // The address index covers not-ready endpoints too: a flip leaves it alone.
        #expect(after.endpointsByIP[IPAddress("10.1.0.2")!] == before.endpointsByIP[IPAddress("10.1.0.2")!])
        #expect(after.endpointsByIP[IPAddress("10.1.0.2")!] == [web])
        #expect(after.endpointsByIP[IPAddress("10.1.0.1")!] == before.endpointsByIP[IPAddress("10.1.0.1")!])
        #expect(store.changeMarks.lastChange(ChangeMarks.Subject.service(web).slot) == after.generation)
        #expect(store.changeMarks.lastChange(ChangeMarks.Subject.endpoint(web, label: "10-1-0-2").slot) == after.generation)
        Self.checkAgainstRebuild(store)
    }

    @Test func withReadyChangesOnlyTheReadyCondition() {
        let pod = KubePod(name: "p", namespace: "ns", labels: ["app": "web"], hostname: "h", subdomain: "web",
                          ports: [.init(name: "http", containerPort: 8080)], podIPs: [IPAddress("10.1.0.7")!], ready: true)
        let flipped = pod.withReady(false)
        #expect(!flipped.ready)
        #expect(flipped == KubePod(name: "p", namespace: "ns", labels: ["app": "web"], hostname: "h", subdomain: "web",
                                   ports: [.init(name: "http", containerPort: 8080)], podIPs: [IPAddress("10.1.0.7")!], ready: false))
        #expect(flipped.withReady(true) == pod)
    }

    /// Endpoint names (one per pod) have a region of the marks of their own: however many of them
    /// churn, no Service's mark moves, so a ClusterIP answer stays cached.
    @Test func endpointNamesNeverShareAServiceSlot() {
        let store = ClusterStore()
        let headless = KubeService(name: "big", clusterIP: "None", selector: ["app": "big"])
        let clusterIP = (0..<200).map { KubeService(name: "svc-\($0)", clusterIP: "10.96.1.\($0)") }
        store.apply([.upsert(.service(headless))] + clusterIP.map { .upsert(.service($0)) })
        let loaded = store.snapshot.generation
        // 2,000 pods join, then all flip: 4,000 endpoint names marked over two generations.
        let pods = (0..<2000).map { KubePod(name: "big-\($0)", labels: ["app": "big"], hostname: "big-\($0)", subdomain: "big",
                                             podIPs: [IPAddress("10.2.\($0 / 250).\($0 % 250 + 1)")!]) }
        store.apply(pods.map { .upsert(.pod($0)) })
        store.apply(pods.map { p in .upsert(.pod(KubePod(name: p.name, labels: p.labels, hostname: p.hostname, subdomain: p.subdomain,
                                                          podIPs: p.podIPs, ready: false))) })
        for s in clusterIP {
            let key = ServiceKey(namespace: "default", name: s.name)
            #expect(ChangeMarks.Subject.service(key).slot < ChangeMarks.serviceSlots)
            let object = ChangeMarks.Subject.serviceObject(key).slot
            #expect(object >= ChangeMarks.serviceSlots && object < 2 * ChangeMarks.serviceSlots)
            #expect(store.changeMarks.lastChange(ChangeMarks.Subject.service(key).slot) <= loaded)
            #expect(store.changeMarks.lastChange(object) <= loaded)
        }
        for p in pods {
            let slot = ChangeMarks.Subject.endpoint(ServiceKey(namespace: "default", name: "big"), label: p.name).slot
            #expect(slot >= 2 * ChangeMarks.serviceSlots && slot < ChangeMarks.slotCount)
            #expect(store.changeMarks.lastChange(slot) == store.snapshot.generation)
        }
        // A slot outside the table is never trusted.
        #expect(store.changeMarks.lastChange(-1) == .max && store.changeMarks.lastChange(ChangeMarks.slotCount) == .max)
    }
}
