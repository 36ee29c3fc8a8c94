import DNSModel
import ClusterDNS
import ClusterDNSAdmin

/// Everything `clusterdns serve` can be told, with the documented defaults.
public struct Configuration: Sendable {
    /// DNS listeners, `host:port`; each gets UDP and TCP.
    public var listen: [(host: String, port: Int)] = [("127.0.0.1", 1053)]
    /// The cluster domain.
    public var domain: DomainName = "cluster.local."
    /// Manifest files or directories (watched).
    public var manifests: [String] = []
    /// A directory of RFC 1035 master files served as static zones.
    public var zonesDirectory: String?
    /// TTL of generated records.
    public var ttl: UInt32 = 5
    /// Pod A record mode.
    public var podMode: PodRecordMode = .insecure
    /// ClusterIP Services without a ready endpoint answer NXDOMAIN (`--ignore-empty-services`).
    public var ignoreEmptyServices = false
    /// What endpoints without a hostname are called (`--endpoint-pod-names`).
    public var endpointNaming: EndpointNaming = .address
    /// Largest UDP answer.
    public var maxUDPSize: Int = 1232
    /// The name server identifier sent to clients that ask (EDNS NSID, RFC 5001); nil: none.
    public var nsid: String?
    /// UDP error replies (FORMERR, NOTIMP, REFUSED) allowed per second per /24 or /56.
    public var errorRepliesPerSecond: Int = 100
    /// Clients allowed to AXFR.
    public var transferAllow: [CIDR] = CIDR.loopback
    /// How often watched manifest paths are checked for changes.
    public var pollInterval: Duration = .milliseconds(200)
    /// How often the zone files are checked for changes (each change reloads them all).
    public var zonePollInterval: Duration = .seconds(1)
    /// Event-loop threads for DNS (default: one per core).
    public var threads: Int = 0
    /// On SIGTERM or SIGINT, how long `/readyz` fails while DNS is still answered before the
    /// listeners close (a lame duck, as CoreDNS's `health { lameduck }`), so that clients are
    /// moved off this replica before it stops answering. Zero: stop at once.
    public var lameDuck: Duration = .zero
    /// Upstream resolvers for names outside our zones (`--upstream`); none: REFUSED.
    public var upstreams: [(host: String, port: Int)] = []
    /// How long one upstream gets before the next is tried.
    public var forwardTimeout: Duration = .seconds(2)
    /// How long one forwarded query may take in all (silent upstreams asked a second time
    /// within it), before SERVFAIL.
    public var forwardDeadline: Duration = .seconds(4)
    /// Most forwards in flight at once; past it SERVFAIL.
    public var maxForwardsInFlight: Int = 1000
    /// Most cached forwarded answers (0: no cache).
    public var forwardCacheEntries: Int = 10_000
    /// How long past its TTL a forwarded answer may be served stale when no upstream answers
    /// (`--serve-stale`, RFC 8767); zero: never.
    public var serveStale: Duration = .zero
    /// Most DNS TCP connections open at once (RFC 7766 §6.2.2); more are closed when accepted.
    public var maxTCPConnections: Int = 1000

    /// The admin HTTP server (object API, probes, metrics); nil: off. `clusterdns serve` defaults
    /// to `AdminOptions()` (127.0.0.1:8053); tests use port 0.
    public var admin: AdminOptions?
    /// Where metrics are recorded; nil: a fresh registry per server. The CLI passes the one it
    /// bootstrapped the global `MetricsSystem` with.
    public var metrics: ClusterDNSMetrics?
    /// Watch a Kubernetes API (`--kubeconfig`, or in-cluster); nil: manifests only.
    public var kubernetes: KubernetesSettings?
    /// Benchmark load: pod readiness flips per second applied straight to the store (0: none).
    public var syntheticChurnRate: Int = 0
    /// Benchmark load: the time between synthetic churn batches, each applied as one snapshot.
    public var syntheticChurnBatch: Duration = .milliseconds(1)

    public init() {}

    /// These settings with the connection caps lowered to fit `openFiles` descriptors (the soft
    /// `RLIMIT_NOFILE`): 512 are kept for everything else (the admin and the Kubernetes API
    /// clients, upstream sockets, manifest files and directories, threads' event descriptors),
    /// the admin API gets at most a quarter of the limit, and DNS over TCP what is left. A process
    /// out of descriptors cannot open a manifest directory, and libdispatch stops it outright
    /// (SIGILL in its worker-pool monitor, which reads /proc) — so the caps must leave room.
    public func fitted(toOpenFiles openFiles: UInt64) -> Configuration {
        guard openFiles > 0 else { return self }
        let limit = Int(min(openFiles, UInt64(Int.max)))
        var fitted = self
        if var admin = fitted.admin {
            admin.maxConnections = max(8, min(admin.maxConnections, limit / 4))
            fitted.admin = admin
        }
        let adminShare = fitted.admin?.maxConnections ?? 0
        fitted.maxTCPConnections = max(16, min(maxTCPConnections, limit - 512 - adminShare))
        return fitted
    }
}
