import Foundation
import Testing
@testable import ClusterDNSAdmin

/// The hot-path metrics are counted per thread (`StripedCounters`) and summed at a scrape.
@Suite("Metrics: counted per thread, summed at a scrape")
struct MetricsTests {
    /// The value of the exposition line that starts with `prefix` (name and labels).
    func value(_ text: String, _ prefix: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(prefix + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test("four threads' counts add up; duration buckets are cumulative; a second scrape adds only what is new")
    func countsFromManyThreads() throws {
        let metrics = ClusterDNSMetrics()
        // Four threads of their own (each hashes to some stripe, shared or not), waited for.
        let finished = DispatchGroup()
        for t in 0..<4 {
            finished.enter()
            Thread {
                for _ in 0..<1000 {
                    metrics.countRequest(type: 1, tcp: false)
                    metrics.countResponse(rcode: 0, truncated: t == 0, duration: .microseconds(10))
                }
                finished.leave()
            }.start()
        }
        finished.wait()
        metrics.countRequest(type: 33, tcp: true)
        metrics.countResponse(rcode: 3, truncated: false, duration: .microseconds(30))
        metrics.countDropped(duration: .milliseconds(2))
        metrics.countResponse(rcode: 9, truncated: false, duration: .seconds(10))
        var text = String(decoding: metrics.render(snapshot: nil), as: UTF8.self)
        #expect(value(text, #"clusterdns_dns_requests_total{type="A",transport="udp"}"#) == 4000)
        #expect(value(text, #"clusterdns_dns_requests_total{type="SRV",transport="tcp"}"#) == 1)
        #expect(value(text, #"clusterdns_dns_responses_total{rcode="NOERROR"}"#) == 4000)
        #expect(value(text, #"clusterdns_dns_responses_total{rcode="NXDOMAIN"}"#) == 1)
        #expect(value(text, #"clusterdns_dns_responses_total{rcode="other"}"#) == 1)
        #expect(value(text, "clusterdns_dns_truncated_total") == 1000)
        #expect(value(text, "clusterdns_dns_dropped_total") == 1)
        let h = "clusterdns_dns_request_duration_seconds"
        #expect(value(text, h + #"_bucket{le="0.000025"}"#) == 4000)
        #expect(value(text, h + #"_bucket{le="0.00005"}"#) == 4001)
        #expect(value(text, h + #"_bucket{le="0.0025"}"#) == 4002)
        #expect(value(text, h + #"_bucket{le="5.0"}"#) == 4002)
        #expect(value(text, h + #"_bucket{le="+Inf"}"#) == 4003)
        #expect(value(text, h + "_count") == 4003)
        let sum = try #require(value(text, h + "_sum"))
        #expect(abs(sum - (4000 * 10e-6 + 30e-6 + 2e-3 + 10)) < 1e-9)
        // A second scrape moves only what was counted since the first.
        metrics.countRequest(type: 1, tcp: false)
        text = String(decoding: metrics.render(snapshot: nil), as: UTF8.self)
        #expect(value(text, #"clusterdns_dns_requests_total{type="A",transport="udp"}"#) == 4001)
    }
}
