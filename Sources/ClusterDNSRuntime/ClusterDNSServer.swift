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
    public var authority: Authority { responder.authority }
    /// Answers DNS queries from the store and the zones.
    let responder: ClusterResponder
    /// Loads the zone files again when they change, when `--zones` is set.
    let zoneReloader: ZoneReloader?
    /// Polls the zone files.
    let zoneWatch: Task<Void, Never>?
    let dns: DNSServer
    let group: MultiThreadedEventLoopGroup
    let watcher: ManifestWatch?
    let logger: Logger
    /// Gives freed pages back to the system every 30 s (see `Memory`).
    let trimmer = MemoryTrimmer()
    /// The benchmark churn, when `syntheticChurnRate` > 0.
    let churn: SyntheticChurn?

    private init(store: ClusterStore, readiness: Readiness, responder: ClusterResponder, zones: ZoneReloader?,
                 zoneWatch: Task<Void, Never>?, dns: DNSServer, group: MultiThreadedEventLoopGroup,
                 manifests: ManifestSource?, watcher: ManifestWatch?, logger: Logger,
                 forwarder: Forwarder? = nil, admin: AdminServer? = nil, metrics: ClusterDNSMetrics = ClusterDNSMetrics(),
                 kubernetes: KubernetesRun? = nil, churn: SyntheticChurn? = nil) {
        self.admin = admin; self.metrics = metrics; self.churn = churn
        self.kubernetes = kubernetes; self.responder = responder
        self.zoneReloader = zones; self.zoneWatch = zoneWatch
        self.forwarder = forwarder
        self.store = store; self.readiness = readiness; self.dns = dns; self.group = group
        self.dnsAddresses = dns.boundAddresses; self.manifests = manifests; self.watcher = watcher
        self.logger = logger
    }

    /// Loads zones and manifests, binds the listeners and starts watching the manifests.
    public static func start(_ config: Configuration, logger: Logger) async throws -> ClusterDNSServer {
        let started = ContinuousClock.now
        let readiness = Readiness(sources: ["zones", "manifests"])
        let store = ClusterStore(endpointNaming: config.endpointNaming)
        let metrics = config.metrics ?? ClusterDNSMetrics()
        // The admin server starts first so that /healthz and /readyz (503) answer while loading.
        let admin = try await config.admin.asyncMap { try await startAdmin($0, store: store, readiness: readiness, metrics: metrics, logger: logger) }
        var adminHandedOver = false
        defer { if !adminHandedOver, let admin { Task { await admin.stop() } } }
        // Readiness "kubernetes" stays pending until every watched resource has been listed once.
        let kubernetes = try KubernetesRun.start(config.kubernetes, store: store, readiness: readiness,
                                                 metrics: metrics, logger: logger)
        defer { if !adminHandedOver, let kubernetes { Task { await kubernetes.stop() } } }
        // The serial starts from the time we started, so it does not fall back after a restart.
        let serialBase = ClusterZone.serialBaseNow
        let build: @Sendable ([StaticZone]) -> Authority = { zones in
            let overlay = zones.first { $0.origin == config.domain }
            let cluster = ClusterZone(apex: config.domain, ttl: config.ttl, podMode: config.podMode, overlay: overlay,
                                      serialBase: serialBase, ignoresEmptyServices: config.ignoreEmptyServices)
            return Authority(cluster: cluster, staticZones: zones, maxUDPSize: config.maxUDPSize,
                             nsid: config.nsid.map { Array($0.utf8) })
        }
        // Zones reloaded later go to the responder (made below) and to the admin server.
        let answering = Locked<ClusterResponder?>(nil)
        let reloader = config.zonesDirectory.map { dir in
            ZoneReloader(directory: dir, overlayOrigin: config.domain, metrics: metrics, logger: logger, build: build) { authority in
                admin?.api.setAuthority(authority)
                answering.withLock { $0 }?.replace(authority: authority)
            }
        }
        // A zone file that does not load is left out (its names are then not ours), and the other
        // zones and the cluster are served: one broken file does not stop the server.
        let authority = reloader?.load(reason: "start") ?? build([])
        admin?.api.setAuthority(authority) // for /v1/explain and the status page
        readiness.loaded("zones")

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
        answering.withLock { $0 = responder }
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
        let zoneWatch = reloader?.watch(every: config.zonePollInterval)
        let churn = config.syntheticChurnRate > 0 ? SyntheticChurn(store: store, rate: config.syntheticChurnRate, interval: config.syntheticChurnBatch) : nil
        if churn != nil { logger.warning("synthetic churn on: \(config.syntheticChurnRate) pod readiness flips/s (benchmark load)") }
        adminHandedOver = true
        return ClusterDNSServer(store: store, readiness: readiness, responder: responder, zones: reloader,
                                zoneWatch: zoneWatch, dns: dns, group: group,
                                manifests: source, watcher: watcher, logger: logger, forwarder: forwarder,
                                admin: admin, metrics: metrics, kubernetes: kubernetes, churn: churn)
    }

    /// Loads the zone files again (SIGHUP; the manifests need no signal, they are watched): the
    /// zones are replaced as a whole, a file that no longer loads keeping its last good zone
    /// (`ZoneReloader`).
    public func reloadZones() {
        zoneReloader?.load(reason: "reload requested")
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
        zoneWatch?.cancel()
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
    /// The server while it runs (SIGHUP reloads its zones).
    let running = Locked<ClusterDNSServer?>(nil)
    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration; self.logger = logger
    }

    public func run() async throws {
        let server = try await ClusterDNSServer.start(configuration, logger: logger)
        running.withLock { $0 = server }
        defer { running.withLock { $0 = nil } }
        try? await gracefulShutdown()
        if configuration.lameDuck > .zero {
            server.readiness.drain()
            logger.info("shutting down: /readyz fails, DNS still answered for the lame-duck time",
                        metadata: ["lameduck": "\(configuration.lameDuck)"])
            try? await Task.sleep(for: configuration.lameDuck)
        }
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
        let service = ClusterDNSService(configuration: configuration, logger: logger)
        let group = ServiceGroup(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // SIGHUP reloads the zone files, as it does for Knot and NSD (flags are read at start;
        // manifests are watched anyway). Trapped before anything starts, so a SIGHUP sent while
        // the server loads does not end it (it is then logged: the zones are being loaded).
        let sighup = await UnixSignalsSequence(trapping: .sighup)
        let hangups = Task {
            for await _ in sighup {
                if let server = service.running.withLock({ $0 }) {
                    logger.info("SIGHUP: reloading the zone files")
                    server.reloadZones()
                } else {
                    logger.warning("SIGHUP ignored: the server is starting (its zone files are being loaded)")
                }
            }
        }
        defer { hangups.cancel() }
        try await group.run()
    }
}
