import Prometheus
import ClusterModel
import DNSModel

/// Every metric clusterdns exports, in one Prometheus registry.
///
/// Create one per server (tests create their own); the CLI additionally bootstraps the global
/// `MetricsSystem` with `PrometheusMetricsFactory(registry: metrics.registry)` so that other
/// swift-metrics users land in the same `/metrics` page. Hot-path metrics (per query) are added
/// to `StripedCounters`, a few relaxed atomic adds to the thread's own cache lines with no lock;
/// a scrape moves them into the registry's counters and renders the request-duration histogram.
public final class ClusterDNSMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry

    /// The query types with their own `type` label; everything else counts as `other`.
    public static let queryTypes: [(code: UInt16, name: String)] = [
        (1, "A"), (2, "NS"), (5, "CNAME"), (6, "SOA"), (12, "PTR"), (15, "MX"), (16, "TXT"),
        (28, "AAAA"), (33, "SRV"), (35, "NAPTR"), (43, "DS"), (48, "DNSKEY"), (64, "SVCB"),
        (65, "HTTPS"), (251, "IXFR"), (252, "AXFR"), (255, "ANY"), (257, "CAA"),
    ]
    /// The response codes with their own `rcode` label; everything else counts as `other`.
    public static let rcodes: [String] = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"]

    /// What the hot path counts: the counters of `hotCounters`, in its order, then the
    /// request-duration buckets (`durationBuckets`, then one past the last), then the durations'
    /// sum in nanoseconds.
    let hot: StripedCounters
    /// The registry counters the first `hot` counters are moved into at each scrape:
    /// `clusterdns_dns_requests_total{type,transport}` (udp types, then tcp types, `other` last
    /// in each), `clusterdns_dns_responses_total{rcode}` (rcode 0...5, `other`),
    /// `clusterdns_dns_truncated_total`, `clusterdns_dns_dropped_total`,
    /// `clusterdns_answer_cache_hits_total`, `clusterdns_answer_cache_misses_total`.
    private let hotCounters: [Counter]
    /// How much of each of those has been moved into its registry counter.
    private let synced: Locked<[Int]>
    /// `clusterdns_store_objects{kind}`, refreshed on every scrape.
    let storeObjects: [ObjectKind: Gauge]
    /// `clusterdns_store_generation`, refreshed on every scrape.
    let storeGeneration: Gauge
    /// `clusterdns_dns_programming_duration_seconds`.
    let programmingDuration: DurationHistogram
    /// `clusterdns_manifest_files_rejected`: watched manifest files whose last version was
    /// rejected (their last good content is still served), set after every scan.
    let manifestFilesRejected: Gauge
    /// `clusterdns_zone_files_rejected`: zone files that did not load at the last (re)load.
    let zoneFilesRejected: Gauge

    /// Builds the metrics in `registry` (a fresh one by default).
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        let typeNames = Self.queryTypes.map(\.name) + ["other"]
        let requests = ["udp", "tcp"].flatMap { transport in
            typeNames.map { type in
                registry.makeCounter(descriptor: Self.name("clusterdns_dns_requests_total",
                                                           help: "DNS queries received, by query type and transport."),
                                     labels: [("type", type), ("transport", transport)])
            }
        }
        let responses = (Self.rcodes + ["other"]).map { rcode in
            registry.makeCounter(descriptor: Self.name("clusterdns_dns_responses_total",
                                                       help: "DNS responses sent, by response code."),
                                 labels: [("rcode", rcode)])
        }
        let truncated = registry.makeCounter(descriptor: Self.name(
            "clusterdns_dns_truncated_total", help: "UDP answers sent with the TC bit set."))
        let dropped = registry.makeCounter(descriptor: Self.name(
            "clusterdns_dns_dropped_total", help: "DNS packets answered with nothing (malformed, responses, runts)."))
        let cacheHits = registry.makeCounter(descriptor: Self.name(
            "clusterdns_answer_cache_hits_total", help: "Replies served from the answer cache."))
        let cacheMisses = registry.makeCounter(descriptor: Self.name(
            "clusterdns_answer_cache_misses_total",
            help: "Replies computed afresh and put in the answer cache (none kept yet, or what it was made from changed)."))
        var objects: [ObjectKind: Gauge] = [:]
        for kind in ObjectKind.allCases {
            objects[kind] = registry.makeGauge(descriptor: Self.name("clusterdns_store_objects",
                                                                     help: "Objects in the endpoint store, by kind."),
                                               labels: [("kind", kind.kindName)])
        }
        storeObjects = objects
        storeGeneration = registry.makeGauge(descriptor: Self.name(
            "clusterdns_store_generation", help: "Generation of the published snapshot."))
        manifestFilesRejected = registry.makeGauge(descriptor: Self.name(
            "clusterdns_manifest_files_rejected",
            help: "Watched manifest files whose current version was rejected (unreadable, invalid or emptied); their last good content is served."))
        zoneFilesRejected = registry.makeGauge(descriptor: Self.name(
            "clusterdns_zone_files_rejected",
            help: "Zone files that did not load at the last load or reload; a zone loaded before from such a file is served as it was."))
        hotCounters = requests + responses + [truncated, dropped, cacheHits, cacheMisses]
        hot = StripedCounters(count: hotCounters.count + Self.durationBuckets.count + 2)
        synced = Locked(Array(repeating: 0, count: hotCounters.count))
        programmingDuration = registry.makeDurationHistogram(
            descriptor: Self.name(
                "clusterdns_dns_programming_duration_seconds",
                help: "Time from accepting a change (API write or file change seen) to publishing the snapshot with it."),
            buckets: [.microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
                      .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                      .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                      .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)])
    }

    /// The descriptor of a metric whose exposed name is `name` as written (the registry joins the
    /// descriptor's parts with `_`, and empty parts are left out).
    public static func name(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    // MARK: Recording (hot path)

    /// The `requests` index of a query type.
    @inline(__always)
    public static func typeIndex(_ code: UInt16) -> Int {
        switch code {
        case 1: 0
        case 2: 1
        case 5: 2
        case 6: 3
        case 12: 4
        case 15: 5
        case 16: 6
        case 28: 7
        case 33: 8
        case 35: 9
        case 43: 10
        case 48: 11
        case 64: 12
        case 65: 13
        case 251: 14
        case 252: 15
        case 255: 16
        case 257: 17
        default: 18
        }
    }

    /// Where each hot counter lives in `hot`: requests by [transport][type], responses, truncated,
    /// dropped, answer cache hits and misses, duration buckets, duration sum.
    private static let typeSlots = queryTypes.count + 1
    private static let responseBase = 2 * typeSlots
    private static let truncatedIndex = responseBase + rcodes.count + 1
    private static let droppedIndex = truncatedIndex + 1
    private static let cacheHitIndex = droppedIndex + 1
    private static let cacheMissIndex = cacheHitIndex + 1
    private static let bucketBase = cacheMissIndex + 1
    private static let sumIndex = bucketBase + durationBuckets.count + 1

    /// Upper bounds of the `clusterdns_dns_request_duration_seconds` buckets, in nanoseconds.
    static let durationBuckets: [Int] = [25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000,
                                         10_000_000, 25_000_000, 100_000_000, 500_000_000, 1_000_000_000, 5_000_000_000]

    /// Counts one query; `type` is the QTYPE (nil when unreadable).
    @inline(__always)
    public func countRequest(type: UInt16?, tcp: Bool) {
        hot.add((tcp ? Self.typeSlots : 0) + (type.map(Self.typeIndex) ?? Self.queryTypes.count))
    }

    /// Counts one response with its header RCODE and TC bit, and its duration.
    @inline(__always)
    public func countResponse(rcode: UInt8, truncated tc: Bool, duration: Duration) {
        hot.add(Self.responseBase + (rcode < 6 ? Int(rcode) : 6))
        if tc { hot.add(Self.truncatedIndex) }
        recordDuration(duration)
    }

    /// Counts one query answered with nothing.
    @inline(__always)
    public func countDropped(duration: Duration) {
        hot.add(Self.droppedIndex)
        recordDuration(duration)
    }

    /// Counts one reply served from the answer cache (`hit`), or one computed afresh and put in
    /// it (forwarded queries, drops and transfers are neither).
    @inline(__always)
    public func countAnswerCache(hit: Bool) {
        hot.add(hit ? Self.cacheHitIndex : Self.cacheMissIndex)
    }

    @inline(__always)
    private func recordDuration(_ duration: Duration) {
        let ns = Int(max(0, duration.wholeNanoseconds))
        var bucket = 0
        while bucket < Self.durationBuckets.count, ns > Self.durationBuckets[bucket] { bucket += 1 }
        hot.add(Self.bucketBase + bucket)
        hot.add(Self.sumIndex, ns)
    }

    /// Records the programming latency of one accepted change.
    public func recordProgramming(_ duration: Duration) {
        programmingDuration.record(duration)
    }

    // MARK: Scraping

    /// Sets how many watched manifest files are rejected now (`clusterdns_manifest_files_rejected`).
    public func setManifestFilesRejected(_ count: Int) {
        manifestFilesRejected.set(Double(count))
    }

    /// Sets how many zone files did not load at the last load or reload (`clusterdns_zone_files_rejected`).
    public func setZoneFilesRejected(_ count: Int) {
        zoneFilesRejected.set(Double(count))
    }

    /// Refreshes the store gauges from `snapshot`.
    public func observe(_ snapshot: ClusterSnapshot) {
        for kind in ObjectKind.allCases {
            storeObjects[kind]?.set(Double(snapshot.objectCount(of: kind)))
        }
        storeGeneration.set(Double(snapshot.generation))
    }

    /// The Prometheus text exposition of every metric, after refreshing the store gauges.
    public func render(snapshot: ClusterSnapshot?) -> [UInt8] {
        if let snapshot { observe(snapshot) }
        synced.withLock { moved in
            for (i, counter) in hotCounters.enumerated() {
                let total = hot.total(i)
                if total > moved[i] { counter.increment(by: Int64(total - moved[i])); moved[i] = total }
            }
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        renderDurationHistogram(into: &buffer)
        return buffer
    }

    /// `clusterdns_dns_request_duration_seconds` in the text format swift-prometheus uses for its
    /// histograms: cumulative buckets, `+Inf`, sum and count (count = every bucket, so the last
    /// line always equals `+Inf` whatever a scrape races with).
    private func renderDurationHistogram(into buffer: inout [UInt8]) {
        let name = "clusterdns_dns_request_duration_seconds"
        var text = "# HELP \(name) Time from receiving a DNS query to having its answer.\n# TYPE \(name) histogram\n"
        var cumulative = 0
        for (i, bound) in Self.durationBuckets.enumerated() {
            cumulative += hot.total(Self.bucketBase + i)
            text += "\(name)_bucket{le=\"\(Duration.nanoseconds(bound).bucketRepresentation)\"} \(cumulative)\n"
        }
        cumulative += hot.total(Self.bucketBase + Self.durationBuckets.count)
        text += "\(name)_bucket{le=\"+Inf\"} \(cumulative)\n"
        text += "\(name)_sum \(Duration.nanoseconds(hot.total(Self.sumIndex)).bucketRepresentation)\n"
        text += "\(name)_count \(cumulative)\n"
        buffer.append(contentsOf: text.utf8)
    }
}
