// One question answered by the core per iteration (zone lookup + answer from the snapshot; no
// wire, no network, no answer cache) at 1,000 ClusterIP services and 100 headless services × 20 pods.
import Benchmark
import ClusterDNS
import DNSModel
import MicroFixtures

let cluster = MicroFixtures.AnswerCluster()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        warmupIterations: 100, maxDuration: .seconds(2), maxIterations: 200_000)

    // What the harness itself counts per iteration (its malloc count is the floor of every row).
    Benchmark("baseline (empty iteration)") { benchmark in
        for i in benchmark.scaledIterations { blackHole(i) }
    }

    for (name, question, rcode, count) in MicroFixtures.questions {
        Benchmark("answer \(name)") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(cluster.answer(question))
            }
        } setup: {
            let answer = cluster.answer(question)
            precondition(answer.rcode == rcode && answer.answer.count == count,
                         "\(question.name) \(question.type): got \(answer.rcode) with \(answer.answer.count) records")
        }
    }
}
