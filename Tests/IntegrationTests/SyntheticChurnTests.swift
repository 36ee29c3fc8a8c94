import Foundation
import Testing
import ClusterModel
@testable import ClusterDNSRuntime

/// The benchmark load behind `serve --synthetic-churn` (Benchmarks/churn/store): it must really
/// change the store, report exactly what it applied (the script prints the rate reached from it),
/// and carry the thread name the benchmark's fixed-rate mode reads.
@Suite("Synthetic churn (benchmark load)")
struct SyntheticChurnTests {
    func pods(_ count: Int) throws -> [KubeObject] {
        let yaml = (0..<count).map { i in
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: p\(i), namespace: default, labels: {app: web}}
            spec: {containers: [{name: c, image: x}]}
            status: {podIP: 10.1.0.\(i + 1), podIPs: [{ip: 10.1.0.\(i + 1)}], conditions: [{type: Ready, status: "True"}]}
            """
        }.joined(separator: "\n---\n")
        return try ManifestDecoder.decode(Array(yaml.utf8), source: "t").objects
    }

    @Test("flips pods' readiness in the store and reports exactly the changes it applied")
    func flips() throws {
        let store = ClusterStore()
        store.replace(source: "t", with: try pods(20))
        let start = store.generation
        let churn = SyntheticChurn(store: store, rate: 5_000)
        // Poll (bounded) until 20 batches are published: each is one snapshot.
        let deadline = ContinuousClock.now + .seconds(20)
        var named = false
        while store.generation < start + 20, ContinuousClock.now < deadline {
            named = named || Self.threadNames().contains("cdns-churn")
            Thread.sleep(forTimeInterval: 0.005)
        }
        named = named || Self.threadNames().contains("cdns-churn")
        let (applied, seconds) = churn.stop()
        #expect(store.generation >= start + 20, "generation \(store.generation), started at \(start)")
        #expect(applied >= 20 && seconds > 0, "\(applied) changes in \(seconds) s")
        // Every change flipped one pod's readiness (all started ready), so the pods not ready now
        // and the changes applied have the same parity; `stop` has waited for the thread, so the
        // store holds exactly the changes it reports.
        let notReady = store.snapshot.pods.values.filter { !$0.ready }.count
        #expect(store.snapshot.pods.count == 20)
        #expect(notReady % 2 == applied % 2, "\(notReady) of 20 not ready after \(applied) flips")
        #expect(named, "the churn thread's kernel name")
    }

    static func threadNames() -> Set<String> {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return Set(tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
    }
}
