import Foundation
import TestSupport
import Testing
import DNSModel
import DNSServer
import ClusterDNSRuntime
import ClusterModel
import Logging

/// Manifest files are watched: create, change, break and remove are reflected within a second.
@Suite("Manifest watch")
struct ManifestWatchTests {
    /// Polls `condition` every 20 ms for up to `seconds` (bounded waiting, not a fixed sleep). It
    /// blocks its thread on purpose: a task sleep could be resumed late when other tests keep the
    /// cooperative pool busy, and that delay would be counted against the server.
    func eventually(within seconds: Double = 30, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            usleep(20_000)
        }
        return try condition()
    }

    func service(_ name: String, ip: String) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: \(name), namespace: default}
        spec: {clusterIP: \(ip), ports: [{name: http, port: 80}]}
        """
    }

    @Test("create, change, break, remove")
    func lifecycle() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clusterdns-watch-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("svc.yaml")
        try await withServer(manifests: [dir.path], zones: nil) { server in
            let client = DNSClient(port: server.port)
            func answer() throws -> [RData] {
                // One retry: a datagram lost under load is not what this test measures.
                let q = Message.query("watched.default.svc.cluster.local.", .a)
                let reply = try (try? client.exchange(q)) ?? client.exchange(q)
                return reply.answers.map(\.data)
            }
            #expect(try answer().isEmpty)
            let started = ContinuousClock.now
            try service("watched", ip: "10.50.0.1").write(to: file, atomically: true, encoding: .utf8)
            // The store publishes the new object within a second of the write (measured in-process,
            // so a busy test machine's network latency is not counted), and DNS answers with it.
            #expect(try await eventually { server.store.snapshot.service(namespace: "default", name: "watched") != nil })
            let elapsed = ContinuousClock.now - started
            #expect(elapsed < .seconds(1))
            #expect(try answer() == [.a(IPv4Address(10, 50, 0, 1))])
            try service("watched", ip: "10.50.0.2").write(to: file, atomically: true, encoding: .utf8)
            #expect(try await eventually { try answer() == [.a(IPv4Address(10, 50, 0, 2))] })
            // A broken file keeps its last good content.
            try "kind: Service\nmetadata: {name: watched}\nspec: {clusterIP: not-an-ip}\n".write(to: file, atomically: true, encoding: .utf8)
            #expect(try await eventually { server.manifests?.currentErrors[file.path] != nil })
            #expect(try answer() == [.a(IPv4Address(10, 50, 0, 2))])
            let error = server.manifests?.currentErrors[file.path] ?? ""
            #expect(error.contains("svc.yaml"))
            #expect(error.contains("spec.clusterIP"))
            try FileManager.default.removeItem(at: file)
            #expect(try await eventually { try answer().isEmpty })
        }
    }

    @Test("files decoded side by side apply in path order: a later file wins an object, a broken one keeps to itself")
    func concurrentScanKeepsPathOrder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clusterdns-scan-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try service("twice", ip: "10.60.0.1").write(to: dir.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try service("twice", ip: "10.60.0.2").write(to: dir.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
        try "kind: Service\nmetadata: {name: broken}\nspec: {clusterIP: 10.60.0.300}\n"
            .write(to: dir.appendingPathComponent("c.yaml"), atomically: true, encoding: .utf8)
        // Many objects in the last file, so its decoding is still running when the others are done.
        try (0..<300).map { service("many-\($0)", ip: "10.61.\($0 / 200).\($0 % 200 + 1)") }.joined(separator: "\n---\n")
            .write(to: dir.appendingPathComponent("d.yaml"), atomically: true, encoding: .utf8)
        for _ in 0..<10 {
            let store = ClusterStore()
            let source = ManifestSource(paths: [dir.path], store: store, logger: Logger(label: "test"))
            #expect(source.scan() == 4)
            let snapshot = store.snapshot
            #expect(snapshot.service(namespace: "default", name: "twice")?.service.clusterIP == "10.60.0.2")
            #expect(snapshot.service(namespace: "default", name: "many-299") != nil)
            #expect(snapshot.service(namespace: "default", name: "broken") == nil)
            #expect(Array(source.currentErrors.keys) == [dir.appendingPathComponent("c.yaml").path])
            #expect(source.currentErrors.values.first?.contains("spec.clusterIP") == true)
            #expect(source.scan() == 0)                  // nothing changed since
        }
    }
}
