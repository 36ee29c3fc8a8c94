import ClusterModel
import DNSModel
import Testing

@Suite struct ClusterStoreTests {
    func web(_ s: ClusterSnapshot) -> ServiceEntry? { s.service(namespace: "default", name: "web") }

    @Test func podChangesAreReflected() {
        let store = ClusterStore()
        store.apply([.upsert(service()), .upsert(pod("a", ip: "10.0.0.1"))])
        #expect(store.snapshot.services(withEndpointIP: ip("10.0.0.1")) == [ServiceKey(namespace: "default", name: "web")])
        store.apply([.upsert(pod("a", ip: "10.0.0.9"))])                    // IP change
        #expect(web(store.snapshot)?.readyEndpoints.map(\.address) == [ip("10.0.0.9")])
        #expect(store.snapshot.endpointsByIP[ip("10.0.0.1")] == nil)
        #expect(store.snapshot.podNamespaces(ip: ip("10.0.0.9")) == ["default"])
        store.apply([.upsert(pod("a", ip: "10.0.0.9", ready: false))])      // readiness flip
        #expect(web(store.snapshot)?.readyEndpoints.isEmpty == true)
        #expect(web(store.snapshot)?.notReadyEndpoints.count == 1)
        // The address index holds not-ready endpoints too (a flip leaves it alone); DNS answers
        // for ready ones only.
        #expect(store.snapshot.services(withEndpointIP: ip("10.0.0.9")) == [ServiceKey(namespace: "default", name: "web")])
        store.apply([.upsert(pod("a", ip: "10.0.0.9", labels: ["app": "db"]))]) // relabel out of the selector
        #expect(web(store.snapshot)?.endpoints.isEmpty == true)
        store.apply([.upsert(pod("a", ip: "10.0.0.9"))])
        #expect(web(store.snapshot)?.readyEndpoints.count == 1)
        store.apply([.delete(ObjectKey(kind: .pod, namespace: "default", name: "a"))])
        #expect(web(store.snapshot)?.endpoints.isEmpty == true)
        #expect(store.snapshot.podsByIP.isEmpty)
    }

    @Test func generationIncrementsOncePerBatch() {
        let store = ClusterStore()
        let s1 = store.apply([.upsert(service()), .upsert(pod("a")), .upsert(pod("b", ip: "10.0.0.2"))])
        #expect(s1.generation == 1)
        #expect(store.snapshot === s1)
        let s2 = store.apply([.upsert(pod("c", ip: "10.0.0.3")), .delete(ObjectKey(kind: .pod, namespace: "default", name: "a"))])
        #expect(s2.generation == 2)
        #expect(web(s2)?.readyEndpoints.map(\.targetPod) == ["b", "c"])
        #expect(web(s1)?.readyEndpoints.map(\.targetPod) == ["a", "b"]) // old snapshot unchanged
        let s3 = store.apply([.upsert(pod("c", ip: "10.0.0.3"))])           // no-op
        #expect(s3 === s2)
    }

    @Test func indexesAndNamespaces() {
        let store = ClusterStore()
        let s = store.apply([.upsert(service(ns: "shop")), .upsert(pod("p", ns: "shop")),
                             .upsert(.namespace(KubeNamespace(name: "empty")))])
        #expect(s.namespaces == ["default", "shop", "empty"])
        #expect(s.services(withClusterIP: ip("10.96.0.1")) == [ServiceKey(namespace: "shop", name: "web")])
        #expect(s.objectCount(of: .pod) == 1 && s.objectCount(of: .service) == 1 && s.objectCount(of: .namespace) == 1)
        #expect(s.objects(of: .service).map(\.key) == [ObjectKey(kind: .service, namespace: "shop", name: "web")])
        #expect(s.service(namespace: "SHOP", name: "Web") != nil)
        let s2 = store.apply([.delete(ObjectKey(kind: .pod, namespace: "shop", name: "p")),
                              .delete(ObjectKey(kind: .service, namespace: "shop", name: "web"))])
        #expect(s2.namespaces == ["default", "empty"])
        #expect(s2.servicesByClusterIP.isEmpty && s2.endpointsByIP.isEmpty)
    }

    func pods(_ store: ClusterStore) -> [String] {
        (web(store.snapshot)?.readyEndpoints.compactMap(\.targetPod) ?? []).sorted()
    }

    @Test func replaceSourceLastWriterWins() {
        let store = ClusterStore()
        store.replace(source: "a.yaml", with: [service(), pod("p1", ip: "10.0.0.1"), pod("p2", ip: "10.0.0.2")])
        store.replace(source: "b.yaml", with: [pod("p2", ip: "10.0.0.22")])            // b now owns p2
        store.apply([.upsert(pod("p3", ip: "10.0.0.3"))])                               // api owns p3
        #expect(pods(store) == ["p1", "p2", "p3"])
        #expect(store.sources == ["a.yaml": 2, "b.yaml": 1])
        // a.yaml rewritten without p1 and p2: p1 goes, p2 stays (b wrote it last).
        store.replace(source: "a.yaml", with: [service()])
        #expect(pods(store) == ["p2", "p3"])
        #expect(web(store.snapshot)?.readyEndpoints.contains { $0.targetPod == "p2" && $0.address == ip("10.0.0.22") } == true)
        // Deleting b.yaml removes p2 only; deleting a.yaml removes the service.
        store.replace(source: "b.yaml", with: [])
        #expect(web(store.snapshot)?.readyEndpoints.map(\.targetPod) == ["p3"])
        let last = store.replace(source: "a.yaml", with: [])
        #expect(web(last) == nil)
        #expect(last.objectCount(of: .pod) == 1)
        #expect(store.sources.isEmpty)
    }

    @Test func concurrentReadersSeeWholeBatches() async {
        let store = ClusterStore()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for i in 0..<200 {
                    store.apply([.upsert(pod("a", ip: "10.0.\(i % 250).1")), .upsert(pod("b", ip: "10.1.\(i % 250).1")), .upsert(service())])
                }
            }
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<500 {
                        let s = store.snapshot
                        if let e = s.service(namespace: "default", name: "web") { #expect(e.readyEndpoints.count == 2) }
                    }
                }
            }
        }
        #expect(store.snapshot.generation == 200)
    }

    @Test func onePodChangeInALargeClusterIsCheap() {
        let store = ClusterStore()
        var batch: [ClusterChange] = []
        for s in 0..<2000 {
            batch.append(.upsert(.service(KubeService(name: "svc-\(s)", namespace: "ns-\(s % 20)", clusterIP: "10.96.\(s / 250).\(s % 250)",
                                                      ports: [.init(name: "http", port: 80)], selector: ["app": "a\(s)"]))))
            for p in 0..<10 {
                batch.append(.upsert(pod("p-\(s)-\(p)", ns: "ns-\(s % 20)", ip: "10.\(s / 250 + 100).\(s % 250).\(p + 1)", labels: ["app": "a\(s)"])))
            }
        }
        store.apply(batch)
        #expect(store.snapshot.objectCount(of: .pod) == 20_000)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for i in 0..<100 {
                store.apply([.upsert(pod("p-7-3", ns: "ns-7", ip: "10.100.7.4", labels: ["app": "a7"], ready: i % 2 == 0))])
            }
        }
        #expect(elapsed < .milliseconds(500)) // debug build; well under 1 ms each in release
        #expect(store.snapshot.service(namespace: "ns-7", name: "svc-7")?.readyEndpoints.count == 9)
    }
}
