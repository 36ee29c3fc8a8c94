// One pod change applied to a store of 10,000 ClusterIP services and 100,000 pods, per iteration:
// `ClusterStore.apply` recomputes the affected service and returns once the new snapshot is published.
import Benchmark
import ClusterModel
import DNSModel
import MicroFixtures

let store: ClusterStore = {
    let store = ClusterStore()
    store.apply(MicroFixtures.storeClusterChanges(services: 10_000, podsPerService: 10))
    return store
}()

/// Service 4,321's pod 3, ready and not ready.
let flip = [false, true].map { ClusterChange.upsert(.pod(MicroFixtures.storePod(service: 4_321, index: 3, ready: $0))) }
/// An 11th pod for service 1,234, and its removal.
let extraPod = MicroFixtures.storePod(service: 1_234, index: 10, ready: true)
let addRemove = [ClusterChange.upsert(.pod(extraPod)), .delete(extraPod.key)]

/// Iterations so far of each benchmark: every iteration must publish a new snapshot, so the
/// changes alternate and never repeat the stored state.
nonisolated(unsafe) var flips = 0
nonisolated(unsafe) var adds = 0

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        warmupIterations: 10, maxDuration: .seconds(3), maxIterations: 20_000)

    Benchmark("pod readiness flip at 100,000 pods") { benchmark in
        for _ in benchmark.scaledIterations {
            let change = flip[flips & 1]
            flips += 1
            blackHole(store.apply([change]))
        }
    } setup: {
        precondition(store.snapshot.objectCount(of: .pod) == 100_000 && store.snapshot.objectCount(of: .service) == 10_000)
    } teardown: {
        print("readiness flips: \(flips), store generation \(store.snapshot.generation)")
    }

    Benchmark("pod add or remove at 100,000 pods") { benchmark in
        for _ in benchmark.scaledIterations {
            let change = addRemove[adds & 1]
            adds += 1
            blackHole(store.apply([change]))
        }
    } setup: {
        precondition(store.snapshot.objectCount(of: .pod) == 100_000)
    }
}
