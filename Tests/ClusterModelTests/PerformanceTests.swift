import ClusterModel
import DNSModel
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Large-scale timings; run with `CLUSTERMODEL_PERF=1 swift test -c release --filter PerformanceTests`.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["CLUSTERMODEL_PERF"] == "1"))
struct PerformanceTests {
    @Test func decode200kObjectsFromJSON() throws {
        var items: [String] = []
        for i in 0..<200_000 {
            items.append(#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p-\#(i)","namespace":"ns-\#(i % 100)","labels":{"app":"a\#(i % 20000)"}},"spec":{"containers":[{"name":"c","ports":[{"name":"http","containerPort":8080}]}]},"status":{"phase":"Running","podIP":"10.\#(i / 65536).\#(i / 256 % 256).\#(i % 256)","conditions":[{"type":"Ready","status":"True"}]}}"#)
        }
        let data = Data(("{\"kind\":\"List\",\"apiVersion\":\"v1\",\"items\":[" + items.joined(separator: ",") + "]}").utf8)
        let clock = ContinuousClock()
        var count = 0
        let t = try clock.measure { count = try ManifestDecoder.decode(data, source: "big.json").objects.count }
        print("decode 200k pods (\(data.count / 1_000_000) MB JSON): \(t)")
        #expect(count == 200_000)
    }

    @Test func onePodChangeAtOneMillionPods() {
        let store = ClusterStore()
        var batch: [ClusterChange] = []
        batch.reserveCapacity(1_100_000)
        for s in 0..<100_000 {
            batch.append(.upsert(.service(KubeService(name: "svc-\(s)", namespace: "ns-\(s % 100)", clusterIP: "10.96.\(s / 250 % 256).\(s % 250)",
                                                      ports: [.init(name: "http", port: 80)], selector: ["app": "a\(s)"]))))
            for p in 0..<10 {
                let n = s * 10 + p
                batch.append(.upsert(.pod(KubePod(name: "p-\(s)-\(p)", namespace: "ns-\(s % 100)", labels: ["app": "a\(s)", "tier": "t\(p)"],
                                                  podIPs: [.v4(IPv4Address(10, UInt8(n >> 16 & 255), UInt8(n >> 8 & 255), UInt8(n & 255)))]))))
            }
        }
        let clock = ContinuousClock()
        let load = clock.measure { store.apply(batch) }
        batch = []
        Self.trimHeap()  // as `serve` does after loading: the batch's freed pages go back
        print("initial load of 100k services + 1M pods: \(load); RSS \(Self.residentMiB()) MiB")
        // Issue 6: published in under 1 ms at p99. Each change is a different pod (readiness,
        // then back), each its own batch and snapshot; the durations are sorted for percentiles.
        var durations: [Duration] = []
        for i in 0..<2000 {
            let s = (i * 7919) % 100_000, p = i % 10, n = s * 10 + p
            let pod = KubePod(name: "p-\(s)-\(p)", namespace: "ns-\(s % 100)", labels: ["app": "a\(s)", "tier": "t\(p)"],
                              podIPs: [.v4(IPv4Address(10, UInt8(n >> 16 & 255), UInt8(n >> 8 & 255), UInt8(n & 255)))],
                              ready: i % 4 >= 2)
            durations.append(clock.measure { store.apply([.upsert(.pod(pod))]) })
        }
        durations.sort()
        let p50 = durations[durations.count / 2], p99 = durations[durations.count * 99 / 100]
        print("one pod change at 1M pods: p50 \(p50), p99 \(p99), max \(durations.last!); RSS \(Self.residentMiB()) MiB")
        #expect(p99 < .milliseconds(1))
        #expect(load < .seconds(10))
    }

    /// glibc's `malloc_trim(0)` (not in the Glibc module, hence dlsym).
    static func trimHeap() {
        typealias MallocTrim = @convention(c) (Int) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
            _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        }
    }

    /// This process's resident set (VmRSS), in MiB.
    static func residentMiB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
    }
}
