import DNSModel
import Foundation
import Logging
import Metrics
import NIOCore
import Synchronization
import ClusterModel

/// What to watch and how patiently.
public struct KubernetesSourceOptions: Sendable {
    /// Namespaces to watch and serve; empty means all (one cluster-wide list/watch per resource).
    public var namespaces: [String] = []
    /// A label selector (`app=web,tier!=db`) applied to the Services list/watch.
    public var serviceLabelSelector: String?
    /// Watch Pods too (needed by `--pods verified`, and for services without EndpointSlices).
    public var watchPods = false
    /// `limit` of each list page.
    public var pageSize = 500
    /// `timeoutSeconds` of each watch is drawn from this range (client-go uses 5–10 minutes).
    public var watchTimeoutSeconds: ClosedRange<Int> = 300...600
    /// Deadline of one list page request.
    public var listTimeoutSeconds: Int64 = 60
    /// Connection read timeout: a watch silent this long (no event, no bookmark) is reconnected.
    public var readTimeout: TimeAmount = .seconds(180)
    /// Retry delays after errors: `initialBackoff` doubling to `maximumBackoff`, with jitter.
    public var initialBackoff: Duration = .milliseconds(200)
    public var maximumBackoff: Duration = .seconds(30)
    /// Longest single watch event line accepted.
    public var maxEventBytes = 16 << 20
    /// Largest list page body accepted.
    public var maxListPageBytes = 256 << 20
    /// How often `clusterdns_source_staleness_seconds` is updated.
    public var stalenessInterval: Duration = .seconds(1)
    /// Where the staleness gauge goes (nil: the bootstrapped `MetricsSystem`).
    public var metricsFactory: (any MetricsFactory)?

    public init() {}
}

/// Keeps a `ClusterStore` in step with a Kubernetes API server, like client-go informers: Services,
/// EndpointSlices, Namespaces (and Pods when asked), each listed then watched by a `Reflector`
/// whose objects are the store source `kubernetes:<resource>[/<namespace>]`.
public final class KubernetesWatcher: Sendable {
    /// Name of the readiness source and of the staleness metric's `source` dimension.
    public static let sourceName = "kubernetes"
    /// The staleness gauge's label.
    public static let stalenessMetric = "clusterdns_source_staleness_seconds"

    public let connection: KubernetesConnection
    public let options: KubernetesSourceOptions
    public let store: ClusterStore
    let logger: Logger
    let reflectors: [Reflector]
    let started = Locked<ContinuousClock.Instant?>(nil)

    public init(connection: KubernetesConnection, options: KubernetesSourceOptions, store: ClusterStore, logger: Logger) {
        self.connection = connection; self.options = options; self.store = store; self.logger = logger
        let scopes: [String?] = options.namespaces.isEmpty ? [nil] : options.namespaces
        var resources: [WatchedResource] = [WatchedResource(kind: .namespace)]
        for ns in scopes {
            resources.append(WatchedResource(kind: .service, namespace: ns, labelSelector: options.serviceLabelSelector))
            resources.append(WatchedResource(kind: .endpointSlice, namespace: ns))
            if options.watchPods { resources.append(WatchedResource(kind: .pod, namespace: ns)) }
        }
        let allowed = Set(options.namespaces.map { $0.lowercased() })
        reflectors = resources.map { r in
            Reflector(resource: r, keep: { o in
                guard !allowed.isEmpty, case .namespace(let n) = o else { return true }
                return allowed.contains(n.name.lowercased())
            })
        }
    }

    /// Throws when the connection's CA or client certificate/key cannot be loaded.
    public func validate() throws {
        _ = try APIClient.tlsConfiguration(for: connection)
    }

    /// What is listed and watched.
    public var resources: [WatchedResource] { reflectors.map(\.resource) }

    /// True once every resource has been listed once.
    public var isSynced: Bool { reflectors.allSatisfy { $0.state.withLock { $0.listed } } }

    /// Age of the served state: zero while every resource has an open watch stream; otherwise the
    /// time since the worst resource was last current (its watch ended or failed, or its last
    /// completed list; since `run` started for one never listed). A silent half-open connection
    /// counts as open until `readTimeout` ends it (API servers send a bookmark about every minute).
    public var staleness: Duration {
        let now = ContinuousClock.now
        let start = started.withLock { $0 } ?? now
        return reflectors.map { r in
            r.state.withLock { s in s.connected ? .zero : now - (s.lastProgress ?? start) }
        }.max() ?? .zero
    }

    /// Per-resource progress, for status pages and tests.
    public struct ResourceStatus: Sendable {
        public let resource: WatchedResource
        public let resourceVersion: String
        public let lists: Int
        public let watches: Int
        public let lastError: String?
    }

    public var status: [ResourceStatus] {
        reflectors.map { r in
            r.state.withLock {
                ResourceStatus(resource: r.resource, resourceVersion: $0.resourceVersion, lists: $0.lists,
                               watches: $0.watches, lastError: $0.lastError)
            }
        }
    }

    /// Lists and watches until the task is cancelled. `onSynced` is called once, when every
    /// resource has been listed. Throws only for unusable TLS material.
    public func run(onSynced: @escaping @Sendable () -> Void = {}) async throws {
        let client = try APIClient(connection: connection, readTimeout: options.readTimeout)
        started.withLock { $0 = $0 ?? .now }
        logger.info("watching kubernetes", metadata: [
            "server": "\(connection.server)", "context": "\(connection.contextName)",
            "resources": "\(resources.map(\.description))"])
        let gauge = options.metricsFactory.map {
            Gauge(label: Self.stalenessMetric, dimensions: [("source", Self.sourceName)], factory: $0)
        } ?? Gauge(label: Self.stalenessMetric, dimensions: [("source", Self.sourceName)])
        let syncedOnce = Locked(false)
        let listed: @Sendable () -> Void = { [self] in
            guard isSynced else { return }
            let first = syncedOnce.withLock { done in defer { done = true }; return !done }
            if first {
                logger.info("kubernetes source synced", metadata: ["generation": "\(store.snapshot.generation)"])
                onSynced()
            }
        }
        await withTaskGroup(of: Void.self) { group in
            for r in reflectors {
                group.addTask { [store, options, logger] in
                    await r.run(client: client, store: store, options: options, logger: logger, onListed: listed)
                }
            }
            group.addTask { [self] in
                while !Task.isCancelled {
                    gauge.record(staleness / .seconds(1))
                    try? await Task.sleep(for: options.stalenessInterval)
                }
            }
        }
        await client.shutdown()
    }
}
