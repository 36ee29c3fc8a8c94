import Foundation
import Testing
import ClusterModel
@testable import KubernetesSource

/// Resident set size of this process, from /proc/self/status (Linux).
func residentMiB() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kb = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
    return kb / 1024
}

/// The memory benchmark of Benchmarks/relist (run by its run.sh; skipped otherwise): RSS before
/// and after listing, then relisting twice, 10,000 Services and 100,000 endpoints (10,000
/// EndpointSlices of 10) from the fake API server in this process.
@Suite(.serialized) struct RelistBenchmark {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["RELIST_BENCH"] == "1"))
    func relistMemoryStaysFlat() async throws {
        let env = ProcessInfo.processInfo.environment
        let services = Int(env["RELIST_SERVICES"] ?? "") ?? 10_000
        let perSlice = Int(env["RELIST_ENDPOINTS_PER_SERVICE"] ?? "") ?? 10
        let server = try await FakeAPIServer.start()
        server.set(\.recordRequests, false)
        server.upsert(Fixture.namespace("default"))
        for i in 0..<services {
            server.upsert(Fixture.service("svc-\(i)", ip: "10.\(96 + i / 65536).\(i / 256 % 256).\(i % 256)"))
            let ips = (0..<perSlice).map { j in "10.\(128 + (i * perSlice + j) / 65536).\((i * perSlice + j) / 256 % 256).\((i * perSlice + j) % 256)" }
            server.upsert(Fixture.endpointSlice("svc-\(i)-abcde", service: "svc-\(i)", ips: ips))
        }
        server.compact()  // drop the server's event log; it keeps only the objects
        let base = residentMiB()
        var rows: [(String, Double, Duration)] = [("fake server populated (baseline)", base, .zero)]
        let h = try Harness(server: server) { o in
            o.pageSize = 500
            o.maxEventBytes = 1 << 20
        }
        var start = ContinuousClock.now
        try await eventually("synced", seconds: 600) { h.watcher.isSynced }
        try await eventually("watching", seconds: 60) { server.watchCount == 3 }
        rows.append(("after first list", residentMiB(), ContinuousClock.now - start))
        for round in 1...2 {
            let lists = h.watcher.status.map(\.lists).reduce(0, +)
            start = ContinuousClock.now
            server.upsert(Fixture.pod())  // moves the resourceVersion past what the client has seen
            server.compact()
            server.endWatches()  // resumes from a compacted resourceVersion → 410 → relist
            try await eventually("relist \(round)", seconds: 600) {
                h.watcher.status.map(\.lists).reduce(0, +) >= lists + 3
            }
            try await eventually("watching", seconds: 60) { server.watchCount == 3 }
            rows.append(("after relist \(round)", residentMiB(), ContinuousClock.now - start))
        }
        let snap = h.store.snapshot
        print("relist benchmark: \(snap.services.count) services, \(snap.objectCount(of: .endpointSlice)) EndpointSlices, "
              + "\(snap.endpointsByIP.count) endpoint IPs, generation \(snap.generation)")
        for (label, rss, took) in rows {
            print("  " + label.padding(toLength: 34, withPad: " ", startingAt: 0)
                  + String(format: "RSS %8.1f MiB  (+%7.1f MiB over baseline)  ", rss, rss - base) + "\(took)")
        }
        #expect(snap.services.count == services)
        await h.stop()
    }
}
