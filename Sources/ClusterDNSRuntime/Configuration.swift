import DNSModel
import ClusterDNS

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
    /// Largest UDP answer.
    public var maxUDPSize: Int = 1232
    /// Clients allowed to AXFR.
    public var transferAllow: [CIDR] = CIDR.loopback
    /// How often watched manifest paths are checked for changes.
    public var pollInterval: Duration = .milliseconds(200)
    /// Event-loop threads for DNS (default: one per core).
    public var threads: Int = 0

    public init() {}
}
