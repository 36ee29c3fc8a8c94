// Manifest decoding: a multi-document YAML stream of 100 Services, a JSON List of 100 Pods.
import Benchmark
import ClusterModel
import Foundation
import MicroFixtures

let servicesYAML = Data(MicroFixtures.servicesYAML(count: 100).utf8)
let podsJSON = MicroFixtures.podsJSON(count: 100)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        warmupIterations: 5, maxDuration: .seconds(3), maxIterations: 10_000)

    Benchmark("decode YAML, 100 Services (multi-document)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try ManifestDecoder.decode(servicesYAML, source: "services.yaml"))
        }
    } setup: {
        let n = try ManifestDecoder.decode(servicesYAML, source: "services.yaml").objects.count
        precondition(n == 100, "decoded \(n) services")
    }

    Benchmark("decode JSON List, 100 Pods") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try ManifestDecoder.decode(podsJSON, source: "pods.json"))
        }
    } setup: {
        let n = try ManifestDecoder.decode(podsJSON, source: "pods.json").objects.count
        precondition(n == 100, "decoded \(n) pods")
    }
}
