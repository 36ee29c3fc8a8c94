#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals
import DNSModel
import DNSServer
import ClusterDNS
import ClusterModel
import ClusterDNSAdmin

/// A running clusterdns: the endpoint store, its sources, and the DNS listeners.
/// `start` returns once every listener is bound and every source has loaded once.
public final class ClusterDNSServer: Sendable {
    /// The endpoint store every answer reads.
    public let store: ClusterStore
    /// Loaded-once tracking for `/readyz`.
    public let readiness: Readiness
    /// The DNS listeners' bound addresses (port 0 resolved).
    public let dnsAddresses: [(host: String, port: Int)]
    /// The manifest source, when manifests are configured.
    public let manifests: ManifestSource?
    /// The forwarder for names outside our zones, when upstreams are configured.
    public let forwarder: Forwarder?
    /// The admin HTTP server, unless `--admin off`.
    public let admin: AdminServer?
    /// The metrics `/metrics` shows.
    public let metrics: ClusterDNSMetrics
    /// The Kubernetes API watcher, when `config.kubernetes` is set.
    public let kubernetes: KubernetesRun?
    /// The zones answered from: the cluster zone (with its SOA serial base) and the static zones.
    public let authority: Authority
    let dns: DNSServer
    let group: MultiThreadedEventLoopGroup
    let watcher: ManifestWatch?
    let logger: Logger
    /// Gives freed pages back to the system every 30 s (see `Memory`).
    let trimmer = MemoryTrimmer()
    /// The benchmark churn, when `syntheticChurnRate` > 0.
    let churn: SyntheticChurn?

    private init(store: ClusterStore, readiness: Readiness, authority: Authority, dns: DNSServer, group: MultiThreadedEventLoopGroup,
                 manifests: ManifestSource?, watcher: ManifestWatch?, logger: Logger,
                 forwarder: Forwarder? = nil, admin: AdminServer? = nil, metrics: ClusterDNSMetrics = ClusterDNSMetrics(),
                 kubernetes: KubernetesRun? = nil, churn: SyntheticChurn? = nil) {
        self.admin = admin; self.metrics = metrics; self.churn = churn
        self.kubernetes = kubernetes; self.authority = authority
        self.forwarder = forwarder
        self.store = store; self.readiness = readiness; self.dns = dns; self.group = group
        self.dnsAddresses = dns.boundAddresses; self.manifests = manifests; self.watcher = watcher
        self.logger = logger
    }

    /// Loads zones and manifests, binds the listeners and starts watching the manifests.
    public static func start(_ config: Configuration, logger: Logger) async throws -> ClusterDNSServer {
        let started = ContinuousClock.now
        let readiness = Readiness(sources: ["zones", "manifests"])
        let store = ClusterStore()
        let metrics = config.metrics ?? ClusterDNSMetrics()
        // The admin server starts first so that /healthz and /readyz (503) answer while loading.
        let admin = try await config.admin.asyncMap { try await startAdmin($0, store: store, readiness: readiness, metrics: metrics, logger: logger) }
        var adminHandedOver = false
        defer { if !adminHandedOver, let admin { Task { await admin.stop() } } }
        // Readiness "kubernetes" stays pending until every watched resource has been listed once.
        let kubernetes = try KubernetesRun.start(config.kubernetes, store: store, readiness: readiness,
                                                 metrics: metrics, logger: logger)
        defer { if !adminHandedOver, let kubernetes { Task { await kubernetes.stop() } } }
        var zones: [StaticZone] = []
        if let dir = config.zonesDirectory {
            // A zone file that does not load is left out (its names are then not ours), and the
            // other zones and the cluster are served: one broken file does not stop the server.
            let loaded = ZoneLoader.loadEach(directory: dir)
            zones = loaded.zones
            for failure in loaded.failures {
                logger.error("zone file rejected; its zone is not served", metadata: ["file": "\(failure.file)", "error": "\(failure.reason)"])
            }
            logger.info("zones loaded", metadata: ["directory": "\(dir)", "zones": "\(zones.map { $0.origin.description })"])
            for zone in zones {
                for warning in zone.warnings { logger.warning("\(warning)", metadata: ["zone": "\(zone.origin)"]) }
            }
        }
        readiness.loaded("zones")
        let overlay = zones.first { $0.origin == config.domain }
        // The serial starts from the time we started, so it does not fall back after a restart.
        let cluster = ClusterZone(apex: config.domain, ttl: config.ttl, podMode: config.podMode, overlay: overlay,
                                  serialBase: ClusterZone.serialBaseNow)
        let authority = Authority(cluster: cluster, staticZones: zones, maxUDPSize: config.maxUDPSize)
        admin?.api.setAuthority(authority) // for /v1/explain and the status page

        var source: ManifestSource?
        if !config.manifests.isEmpty {
            let s = ManifestSource(paths: config.manifests, store: store, logger: logger, metrics: metrics)
            s.scan()
            source = s
        }
        readiness.loaded("manifests")
        Memory.trim()
        let snapshot = store.snapshot
        logger.info("endpoint store loaded", metadata: [
            "services": "\(snapshot.services.count)", "generation": "\(snapshot.generation)",
            "duration": "\(ContinuousClock.now - started)"])

        let threads = config.threads > 0 ? config.threads : System.coreCount
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let forwarder: Forwarder?
        do {
            forwarder = try config.makeForwarder(group: group, logger: logger)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        let responder = ClusterResponder(store: store, authority: authority,
                                         transferAllow: config.transferAllow, readiness: readiness,
                                         forwarder: forwarder, metrics: metrics)
        let capped = metrics.registry.makeCounter(descriptor: ClusterDNSMetrics.name(
            "clusterdns_dns_error_replies_rate_limited_total",
            help: "UDP error replies (FORMERR, NOTIMP, REFUSED) not sent because the client network exceeded its cap."))
        let limiter = ErrorRateLimiter(perSecond: Double(config.errorRepliesPerSecond)) { capped.increment() }
        let dns: DNSServer
        do {
            dns = try await DNSServer.start(
                configuration: DNSServerConfiguration(listen: config.listen, maxTCPConnections: config.maxTCPConnections,
                                                      threads: threads),
                responder: MetricsResponder(wrapping: RateLimitedResponder(wrapping: responder, limiter: limiter),
                                            metrics: metrics), group: group, logger: logger)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        for (host, port) in dns.boundAddresses {
            logger.info("dns listening", metadata: ["udp": "\(host):\(port)", "tcp": "\(host):\(port)"])
        }
        let watcher = source.map { $0.startWatching(every: config.pollInterval) }
        let churn = config.syntheticChurnRate > 0 ? SyntheticChurn(store: store, rate: config.syntheticChurnRate, interval: config.syntheticChurnBatch) : nil
        if churn != nil { logger.warning("synthetic churn on: \(config.syntheticChurnRate) pod readiness flips/s (benchmark load)") }
        adminHandedOver = true
        return ClusterDNSServer(store: store, readiness: readiness, authority: authority, dns: dns, group: group,
                                manifests: source, watcher: watcher, logger: logger, forwarder: forwarder,
                                admin: admin, metrics: metrics, kubernetes: kubernetes, churn: churn)
    }

    /// The admin server's bound port, unless the admin server is off.
    public var adminPort: Int? { admin?.port }

    /// The first DNS listener's port.
    public var port: Int { dnsAddresses.first?.port ?? 0 }

    /// Stops watching, closes the listeners and the event loops.
    public func stop() async {
        if let churned = churn?.stop() {
            // At the level of the "synthetic churn on" line, so a benchmark run with
            // --log-level warning can read the rate actually reached.
            let rate = Int(Double(churned.applied) / max(churned.seconds, 1e-9))
            logger.warning("synthetic churn stopped: \(churned.applied) changes in \(String(format: "%.1f", churned.seconds)) s (\(rate)/s)")
        }
        await admin?.stop()
        watcher?.stop()
        await kubernetes?.stop()
        await dns.stop()
        try? await group.shutdownGracefully()
        trimmer.stop()
    }
}

/// Runs a `ClusterDNSServer` under swift-service-lifecycle: SIGINT/SIGTERM stop it gracefully.
public struct ClusterDNSService: Service {
    let configuration: Configuration
    let logger: Logger
    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration; self.logger = logger
    }

    public func run() async throws {
        let server = try await ClusterDNSServer.start(configuration, logger: logger)
        try? await gracefulShutdown()
        logger.info("shutting down")
        await server.stop()
    }

    /// Runs until SIGINT or SIGTERM.
    /// Caps malloc's arenas first, lets memory trims drop start-up code pages and raises the
    /// open-file limit to the hard one (process-wide settings, so here and not in
    /// `ClusterDNSServer`).
    public static func runUntilSignalled(_ configuration: Configuration, logger: Logger) async throws {
        Memory.limitArenas()
        let files = FileLimit.raiseToHardLimit()
        let configuration = configuration.fitted(toOpenFiles: files.after)
        logger.info("open files limit", metadata: [
            "before": "\(files.before)", "now": "\(files.after)",
            "tcp_connections": "\(configuration.maxTCPConnections)",
            "admin_connections": "\(configuration.admin.map { "\($0.maxConnections)" } ?? "off")"])
        Memory.releasesCodePages.store(true, ordering: .relaxed)
        let group = ServiceGroup(
            services: [ClusterDNSService(configuration: configuration, logger: logger)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // SIGHUP, which daemons take as "reload", would otherwise end the process: it is caught
        // and said to do nothing (zone files are read at start; manifests are watched anyway).
        // Trapped before anything starts, so a SIGHUP sent once the server is up never ends it.
        let sighup = await UnixSignalsSequence(trapping: .sighup)
        let hangups = Task {
            for await _ in sighup {
                logger.warning("SIGHUP ignored: zone files and flags are read at start only (manifest files are watched); restart to load changed zone files")
            }
        }
        defer { hangups.cancel() }
        try await group.run()
    }
}
