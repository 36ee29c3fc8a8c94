import Foundation
import Testing
import ClusterModel
@testable import ClusterDNSRuntime

/// The benchmark load behind `serve --synthetic-churn` (Benchmarks/churn/store): it must really
/// change the store and report exactly what it applied (the script prints the rate reached from
/// it). Its thread name comes from `nameCurrentThread`, checked on the UDP readers.
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
        // 101 changes at 500/s: a batch holds at most a tenth of a second's changes (50), however
        // late the thread runs, so at least three batches, each one snapshot; the thread ends by itself.
        let (applied, seconds) = SyntheticChurn(store: store, rate: 500, limit: 101).wait(timeout: .seconds(30))
        #expect(applied == 101 && seconds > 0, "\(applied) changes in \(seconds) s")
        #expect(store.generation >= start + 3, "generation \(store.generation), started at \(start)")
        // Every change flipped one pod's readiness (all started ready), so an odd number of flips
        // leaves an odd number of pods not ready; the thread has ended, so the store holds them all.
        let notReady = store.snapshot.pods.values.filter { !$0.ready }.count
        #expect(store.snapshot.pods.count == 20)
        #expect(notReady % 2 == 1, "\(notReady) of 20 not ready after \(applied) flips")
    }
}
