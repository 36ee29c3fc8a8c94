// DNS wire format: decode a query, encode a response, and the whole query path (bytes in, bytes out)
// through `Authority.process` at 1,000 ClusterIP services and 100 headless services × 20 pods.
import Benchmark
import ClusterDNS
import DNSModel
import DNSWire
import MicroFixtures

let cluster = MicroFixtures.AnswerCluster()
let headlessA = Question(name: "hdl-42.ns-2.svc.cluster.local.", type: .a)
let clusterIPA = Question(name: "svc-123.ns-3.svc.cluster.local.", type: .a)
let headlessQuery = MicroFixtures.queryWire(headlessA)
let clusterIPQuery = MicroFixtures.queryWire(clusterIPA)

/// The reply the server sends for the headless A question (20 A records, EDNS).
let headlessReply: Message = {
    let answer = cluster.answer(headlessA)
    var m = Message(id: 0x1234, isResponse: true, authoritative: true, recursionDesired: true,
                    rcode: answer.rcode, questions: [headlessA])
    m.answers = answer.answer
    m.authority = answer.authority
    m.additional = answer.additional
    m.edns = EDNS(udpPayloadSize: 1232)
    return m
}()
let headlessReplyWire = headlessReply.wire(maxSize: 1232)

func process(_ query: [UInt8]) -> [UInt8] {
    guard case .reply(let bytes) = cluster.authority.process(query, context: QueryContext(), snapshot: cluster.snapshot) else {
        fatalError("no reply")
    }
    return bytes
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        warmupIterations: 100, maxDuration: .seconds(2), maxIterations: 200_000)

    Benchmark("decode query (A, EDNS)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try Message(wire: headlessQuery))
        }
    } setup: {
        precondition((try? Message(wire: headlessQuery))?.questions == [headlessA])
    }

    Benchmark("encode response (headless A, 20 records)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(headlessReply.wire(maxSize: 1232))
        }
    } setup: {
        precondition(headlessReply.answers.count == 20 && (try? Message(wire: headlessReplyWire))?.answers.count == 20)
    }

    Benchmark("decode response (headless A, 20 records)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try Message(wire: headlessReplyWire))
        }
    }

    Benchmark("process ClusterIP A (bytes to bytes)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(process(clusterIPQuery))
        }
    } setup: {
        precondition((try? Message(wire: process(clusterIPQuery)))?.answers.count == 1)
    }

    Benchmark("process headless A (bytes to bytes)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(process(headlessQuery))
        }
    } setup: {
        precondition((try? Message(wire: process(headlessQuery)))?.answers.count == 20)
    }
}
