import DNSModel
import Foundation
import Logging
import MetricsTestKit
import Synchronization
import Testing
import ClusterModel
@testable import KubernetesSource

/// A watcher running against a fake API server, stopped at the end of the test.
final class Harness: @unchecked Sendable {
    let server: FakeAPIServer
    let store = ClusterStore()
    let watcher: KubernetesWatcher
    let task: Task<Void, any Error>
    let syncedAt = Locked<Int?>(nil)  // the store generation when onSynced ran
    let metrics: TestMetrics

    init(server: FakeAPIServer, credentials: KubernetesConnection.Credentials = .none, clientCertificate: Bool = false,
         configure: (inout KubernetesSourceOptions) -> Void = { _ in }) throws {
        self.server = server
        let pki = TestPKI.shared
        let connection = KubernetesConnection(
            server: server.url,
            certificateAuthorityPEM: Array(FileManager.default.contents(atPath: pki.caPath)!),
            credentials: credentials,
            clientCertificatePEM: clientCertificate ? Array(FileManager.default.contents(atPath: pki.clientCert)!) : nil,
            clientKeyPEM: clientCertificate ? Array(FileManager.default.contents(atPath: pki.clientKey)!) : nil)
        var options = KubernetesSourceOptions()
        options.initialBackoff = .milliseconds(20)
        options.maximumBackoff = .milliseconds(300)
        options.watchTimeoutSeconds = 600...600
        options.stalenessInterval = .milliseconds(50)
        options.listTimeoutSeconds = 10
        let metrics = TestMetrics()
        options.metricsFactory = metrics
        self.metrics = metrics
        configure(&options)
        var logger = Logger(label: "kube-test")
        logger.logLevel = ProcessInfo.processInfo.environment["KUBE_TEST_LOG"] == nil ? .critical : .debug
        let watcher = KubernetesWatcher(connection: connection, options: options, store: store, logger: logger)
        self.watcher = watcher
        let synced = syncedAt
        let store = self.store
        task = Task { try await watcher.run(onSynced: { synced.withLock { $0 = Int(store.snapshot.generation) } }) }
    }

    func stop() async {
        task.cancel()
        _ = await task.result
        await server.shutdown()
    }

    var snapshot: ClusterSnapshot { store.snapshot }
    func hasService(_ name: String, _ ns: String = "default") -> Bool { snapshot.service(namespace: ns, name: name) != nil }
}

struct TimedOut: Error {}

/// Waits until `condition` holds, failing after `seconds`.
func eventually(_ what: String = "", seconds: Double = 60, _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while !condition() {
        if ContinuousClock.now > deadline {
            Issue.record("timed out waiting for \(what)")
            throw TimedOut()
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}

func populate(_ server: FakeAPIServer, services: Int, namespace: String = "default") {
    server.upsert(Fixture.namespace(namespace))
    for i in 0..<services {
        server.upsert(Fixture.service("svc-\(i)", namespace: namespace, ip: "10.96.\(i / 250).\(i % 250 + 1)"))
        server.upsert(Fixture.endpointSlice("svc-\(i)-abcde", namespace: namespace, service: "svc-\(i)",
                                            ips: ["10.244.\(i / 250).\(i % 250 + 1)"]))
    }
}

@Suite(.serialized) struct WatcherTests {
    @Test func initialListWithPaginationThenReady() async throws {
        let server = try await FakeAPIServer.start()
        populate(server, services: 23)
        let h = try Harness(server: server) { $0.pageSize = 5 }
        defer { Task { await h.stop() } }
        try await eventually("synced") { h.syncedAt.withLock { $0 } != nil }
        #expect(h.watcher.isSynced)
        #expect(h.snapshot.services.count == 23)
        #expect(h.snapshot.service(namespace: "default", name: "svc-7")?.readyEndpoints.isEmpty == false)
        #expect(h.snapshot.namespaceObjects["default"] != nil)
        // onSynced ran only after all three resources were in the store (one change each).
        let gen = try #require(h.syncedAt.withLock { $0 })
        #expect(gen >= 3)
        let serviceLists = server.requests.filter { $0.path == "/api/v1/services" && $0.query["watch"] == nil }
        #expect(serviceLists.count == 5)  // 23 items, 5 per page
        #expect(serviceLists.allSatisfy { $0.query["limit"] == "5" })
        #expect(serviceLists.dropFirst().allSatisfy { ($0.query["continue"] ?? "").isEmpty == false })
        try await eventually("watches") { server.watchCount == 3 }
        let watch = try #require(server.requests.first { $0.path == "/api/v1/services" && $0.query["watch"] == "1" })
        #expect(watch.query["allowWatchBookmarks"] == "true")
        #expect(watch.query["resourceVersion"] == String(server.resourceVersion))
        #expect(watch.query["timeoutSeconds"] == "600")
        #expect(server.requests.contains { $0.path == "/apis/discovery.k8s.io/v1/endpointslices" })
    }

    @Test func readinessPendingUntilFirstList() async throws {
        let server = try await FakeAPIServer.start()
        populate(server, services: 2)
        server.set(\.holdLists, true)
        let h = try Harness(server: server)
        defer { Task { await h.stop() } }
        try await eventually("list requests") { server.requests.count >= 3 }
        try await Task.sleep(for: .milliseconds(300))
        #expect(!h.watcher.isSynced)
        #expect(h.syncedAt.withLock { $0 } == nil)
        #expect(h.snapshot.services.isEmpty)
        server.releaseLists()
        try await eventually("synced") { h.syncedAt.withLock { $0 } != nil }
        #expect(h.snapshot.services.count == 2)
    }

    @Test func watchAddModifyDelete() async throws {
        let server = try await FakeAPIServer.start()
        server.set(\.fragmentEvents, true)  // each event split across two chunks
        populate(server, services: 3)
        let h = try Harness(server: server)
        defer { Task { await h.stop() } }
        try await eventually("watches") { h.watcher.isSynced && server.watchCount == 3 }
        server.upsert(Fixture.service("new", ip: "10.96.9.9"))
        try await eventually("added") { h.hasService("new") }
        server.upsert(Fixture.service("new", ip: "10.96.9.10"))
        try await eventually("modified") {
            h.snapshot.service(namespace: "default", name: "new")?.service.clusterIP == "10.96.9.10"
        }
        server.upsert(Fixture.endpointSlice("new-xyz", service: "new", ips: ["10.244.9.1", "10.244.9.2"]))
        try await eventually("slice") { h.snapshot.service(namespace: "default", name: "new")?.readyEndpoints.count == 2 }
        server.delete("services", namespace: "default", name: "svc-1")
        try await eventually("deleted") { !h.hasService("svc-1") }
        server.upsert(Fixture.namespace("team-b"))
        try await eventually("namespace") { h.snapshot.namespaceObjects["team-b"] != nil }
        server.delete("namespaces", name: "team-b")
        try await eventually("namespace deleted") { h.snapshot.namespaceObjects["team-b"] == nil }
        #expect(h.watcher.status.allSatisfy { $0.lists == 1 })
    }

    @Test func watchEndedByServerResumesFromLastResourceVersion() async throws {
        let server = try await FakeAPIServer.start()
        populate(server, services: 2)
        let h = try Harness(server: server)
        defer { Task { await h.stop() } }
        try await eventually("watches") { h.watcher.isSynced && server.watchCount == 3 }
        let rv = server.upsert(Fixture.service("a", ip: "10.96.5.1"))
        try await eventually("added") { h.hasService("a") }
        server.endWatches()
        try await eventually("rewatch") {
            server.requests.contains { $0.path == "/api/v1/services" && $0.query["watch"] == "1" && $0.query["resourceVersion"] == String(rv) }
        }
        // A bookmark moves the resume point without any object change.
        try await eventually("watches") { server.watchCount == 3 }
        server.upsert(Fixture.pod())  // bumps the resourceVersion; pods are not watched
        let bookmark = server.bookmark()
        try await eventually("bookmark seen") {
            h.watcher.status.first { $0.resource.kind == .service }?.resourceVersion == String(bookmark)
        }
        server.endWatches()
        try await eventually("rewatch from bookmark") {
            server.requests.filter { $0.path == "/api/v1/services" && $0.query["watch"] == "1" }
                .last?.query["resourceVersion"] == String(bookmark)
        }
        #expect(h.watcher.status.allSatisfy { $0.lists == 1 })  // no relist needed
    }

    /// 410 on resume → relist; a reader polling the store never sees a surviving name vanish.
    @Test(arguments: ["errorEvent", "httpStatus", "expiredContinue"])
    func goneRelistsWithoutWindow(_ variant: String) async throws {
        let server = try await FakeAPIServer.start()
        populate(server, services: 60)
        let h = try Harness(server: server) { $0.pageSize = 7 }
        defer { Task { await h.stop() } }
        try await eventually("watches") { h.watcher.isSynced && server.watchCount == 3 }
        // While the client is cut off, the cluster changes and history is compacted.
        server.setDown(true)
        server.delete("services", namespace: "default", name: "svc-0")
        server.upsert(Fixture.service("late", ip: "10.96.7.7"))
        server.compact()
        if variant == "httpStatus" { server.set(\.goneAsHTTPStatus, true) }
        if variant == "expiredContinue" { server.set(\.expireNextContinue, true) }
        server.set(\.pageDelay, .milliseconds(15))
        let survivors = (1..<60).map { "svc-\($0)" }
        let stop = Locked(false)
        let vanished = Locked<[String]>([])
        let store = h.store
        let reader = Task.detached {
            while !stop.withLock({ $0 }) {
                let snap = store.snapshot
                for name in survivors where snap.service(namespace: "default", name: name) == nil {
                    vanished.withLock { $0.append(name) }
                }
                try? await Task.sleep(for: .microseconds(200))
            }
        }
        server.setDown(false)
        try await eventually("relisted", seconds: 60) { h.hasService("late") && !h.hasService("svc-0") }
        stop.withLock { $0 = true }
        await reader.value
        #expect(vanished.withLock { $0 }.isEmpty)
        #expect(h.snapshot.services.count == 60)
        let svc = try #require(h.watcher.status.first { $0.resource.kind == .service })
        #expect(svc.lists >= 2)
        if variant == "expiredContinue" {
            #expect(svc.lists >= 2)
            #expect(server.requests.contains { $0.path == "/api/v1/services" && $0.query["continue"] != nil })
        }
    }

    /// client-go's `ListAndWatch`: a watch that fails with an API error other than 410 also
    /// means list again (a watch that kept failing from one resourceVersion froze the resource).
    @Test func failingWatchRelists() async throws {
        let server = try await FakeAPIServer.start()
        populate(server, services: 2)
        let h = try Harness(server: server)
        defer { Task { await h.stop() } }
        try await eventually("watches") { h.watcher.isSynced && server.watchCount == 3 }
        server.set(\.failWatches, true)
        server.endWatches()
        server.upsert(Fixture.service("later", ip: "10.96.5.5"))
        try await eventually("relisted") { h.hasService("later") }
        #expect((h.watcher.status.first { $0.resource.kind == .service }?.lists ?? 0) >= 2)
        server.set(\.failWatches, false)
    }

    /// An object the API sends with a field we cannot use keeps its last good version, from a
    /// watch event and from a relist alike; the rest of the list is applied.
    @Test func invalidObjectKeepsLastGoodVersion() async throws {
        let server = try await FakeAPIServer.start()
        populate(server, services: 2)
        server.upsert(Fixture.service("m1", ip: "10.96.2.1"))
        let h = try Harness(server: server)
        defer { Task { await h.stop() } }
        try await eventually("watches") { h.watcher.isSynced && server.watchCount == 3 }
        func ip() -> String? { h.snapshot.service(namespace: "default", name: "m1")?.service.clusterIP }
        #expect(ip() == "10.96.2.1")
        server.upsert(Fixture.service("m1", ip: "10.96.2.999"))
        server.upsert(Fixture.service("m2", ip: "10.96.2.2"))
        try await eventually("m2 added") { h.hasService("m2") }
        #expect(ip() == "10.96.2.1", "the invalid version is not served, the last good one is")
        server.set(\.failWatches, true)                 // forces a relist, which lists m1 invalid
        server.endWatches()
        server.upsert(Fixture.service("m3", ip: "10.96.2.3"))
        try await eventually("relisted") { h.hasService("m3") }
        #expect(ip() == "10.96.2.1")
        server.set(\.failWatches, false)
    }

    @Test func serverDownBacksOffServesLastStateAndStalenessRises() async throws {
        let server = try await FakeAPIServer.start()
        populate(server, services: 5)
        let h = try Harness(server: server)
        defer { Task { await h.stop() } }
        try await eventually("watches") { h.watcher.isSynced && server.watchCount == 3 }
        #expect(h.watcher.staleness < .seconds(1))
        let before = server.connections
        server.setDown(true)
        try await Task.sleep(for: .seconds(2))
        // Last known state still served.
        #expect(h.snapshot.services.count == 5)
        #expect(h.watcher.staleness >= .milliseconds(1500))
        let gauge = try h.metrics.expectGauge(KubernetesWatcher.stalenessMetric, [("source", "kubernetes")])
        #expect((gauge.lastValue ?? 0) >= 1.4)
        // Backoff: 3 resources, delays 20 ms doubling to 300 ms with jitter: far fewer than a tight loop.
        let attempts = server.connections - before
        #expect(attempts >= 6)
        #expect(attempts < 60)
        #expect(h.watcher.status.allSatisfy { $0.lastError != nil })
        server.setDown(false)
        server.upsert(Fixture.service("after", ip: "10.96.8.8"))
        try await eventually("recovered") { h.hasService("after") }
        try await eventually("fresh") { h.watcher.staleness < .seconds(1) }
        try await eventually("gauge") { (gauge.lastValue ?? 99) < 1 }
    }

    @Test func tokenRotation() async throws {
        let server = try await FakeAPIServer.start()
        populate(server, services: 1)
        let dir = NSTemporaryDirectory() + "kube-token-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let tokenPath = dir + "/token"
        try "token-one\n".write(toFile: tokenPath, atomically: true, encoding: .utf8)
        server.set(\.acceptedTokens, ["token-one"])
        let h = try Harness(server: server, credentials: .tokenFile(tokenPath))
        defer { Task { await h.stop() } }
        try await eventually("watches") { h.watcher.isSynced && server.watchCount == 3 }
        #expect(server.requests.allSatisfy { $0.authorization == "Bearer token-one" })
        // The kubelet rotates the projected token; the old one stops working.
        try "token-two\n".write(toFile: tokenPath, atomically: true, encoding: .utf8)
        server.set(\.acceptedTokens, ["token-two"])
        let count = server.requests.count
        server.endWatches()
        try await eventually("rewatch") { server.watchCount == 3 }
        let later = server.requests.dropFirst(count)
        #expect(!later.isEmpty)
        #expect(later.allSatisfy { $0.authorization == "Bearer token-two" })
        server.upsert(Fixture.service("rotated", ip: "10.96.3.3"))
        try await eventually("event after rotation") { h.hasService("rotated") }
    }

    @Test func badTokenIsRetriedNotFatal() async throws {
        let server = try await FakeAPIServer.start()
        populate(server, services: 1)
        server.set(\.acceptedTokens, ["right"])
        let h = try Harness(server: server, credentials: .token("wrong"))
        defer { Task { await h.stop() } }
        try await eventually("401s") { server.requests.count >= 6 }
        #expect(!h.watcher.isSynced)
        #expect(h.watcher.status.contains { $0.lastError?.contains("401") == true })
    }

    @Test func clientCertificateAuthentication() async throws {
        let server = try await FakeAPIServer.start(requireClientCertificate: true)
        populate(server, services: 2)
        let h = try Harness(server: server, clientCertificate: true)
        defer { Task { await h.stop() } }
        try await eventually("synced") { h.watcher.isSynced }
        #expect(h.snapshot.services.count == 2)
        #expect(server.requests.allSatisfy { $0.authorization == nil })

        // Without a certificate the handshake fails and nothing syncs.
        let other = try await FakeAPIServer.start(requireClientCertificate: true)
        populate(other, services: 1)
        let bare = try Harness(server: other)
        defer { Task { await bare.stop() } }
        try await Task.sleep(for: .seconds(1))
        #expect(!bare.watcher.isSynced)
        #expect(other.requests.isEmpty)
    }

    @Test func namespacesAndLabelSelector() async throws {
        let server = try await FakeAPIServer.start()
        populate(server, services: 2, namespace: "a")
        populate(server, services: 2, namespace: "b")
        populate(server, services: 2, namespace: "c")
        server.upsert(Fixture.service("labelled", namespace: "a", ip: "10.96.4.4", labels: ["dns": "yes"]))
        let h = try Harness(server: server) { o in
            o.namespaces = ["a", "b"]
            o.serviceLabelSelector = "dns=yes"
        }
        defer { Task { await h.stop() } }
        try await eventually("synced") { h.watcher.isSynced }
        #expect(h.watcher.resources.count == 5)
        let paths = Set(server.requests.map(\.path))
        #expect(paths.contains("/api/v1/namespaces/a/services"))
        #expect(paths.contains("/apis/discovery.k8s.io/v1/namespaces/b/endpointslices"))
        #expect(!paths.contains("/api/v1/services"))
        #expect(!paths.contains { $0.contains("/namespaces/c/") })
        #expect(server.requests.filter { $0.path.hasSuffix("/services") }.allSatisfy { $0.query["labelSelector"] == "dns=yes" })
        #expect(server.requests.filter { $0.path.hasSuffix("/endpointslices") }.allSatisfy { $0.query["labelSelector"] == nil })
        #expect(h.snapshot.services.count == 1)
        #expect(h.hasService("labelled", "a"))
        #expect(Set(h.snapshot.namespaceObjects.keys) == ["a", "b"])
        server.upsert(Fixture.namespace("d"))
        server.upsert(Fixture.service("labelled2", namespace: "b", ip: "10.96.4.5", labels: ["dns": "yes"]))
        try await eventually("added") { h.hasService("labelled2", "b") }
        #expect(h.snapshot.namespaceObjects["d"] == nil)
    }
}
