import Foundation
import Logging
import Prometheus
import ClusterModel
import ClusterDNSAdmin
import KubernetesSource

/// Watching a Kubernetes API (`--kubeconfig`, or in-cluster configuration).
public struct KubernetesSettings: Sendable {
    /// A kubeconfig file; nil with `inCluster` means the pod's service account.
    public var kubeconfig: String?
    /// The kubeconfig context; nil means its `current-context`.
    public var context: String?
    /// Use `KUBERNETES_SERVICE_HOST`/`PORT` and the service-account directory.
    public var inCluster = false
    /// Where the service-account token, `ca.crt` and `namespace` are (configurable for tests).
    public var serviceAccountDirectory = KubernetesConnection.serviceAccountDirectory
    /// The environment read for in-cluster configuration.
    public var environment: [String: String] = ProcessInfo.processInfo.environment
    /// Watch and serve only these namespaces (empty: all).
    public var namespaces: [String] = []
    /// Label selector for Services.
    public var serviceLabelSelector: String?
    /// Watch Pods too (`--pods verified`, and services without EndpointSlices).
    public var watchPods = false
    /// Timing and limits; `namespaces`, `serviceLabelSelector` and `watchPods` above override theirs.
    public var options = KubernetesSourceOptions()

    public init() {}

    /// True in a pod: `KUBERNETES_SERVICE_HOST` is set.
    public static var runningInCluster: Bool { KubernetesConnection.isInCluster() }

    /// A DNS-1123 label: 1–63 of `[a-z0-9-]`, alphanumeric at both ends.
    public static func isNamespaceName(_ s: String) -> Bool {
        let u = Array(s.utf8)
        func alnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
        guard let f = u.first, let l = u.last, u.count <= 63, alnum(f), alnum(l) else { return false }
        return u.allSatisfy { alnum($0) || $0 == 0x2D }
    }

    /// The API server and credentials these settings name.
    public func connection() throws -> KubernetesConnection {
        if let kubeconfig { return try KubernetesConnection.kubeconfig(path: kubeconfig, context: context) }
        return try KubernetesConnection.inCluster(environment: environment, directory: serviceAccountDirectory)
    }
}

/// A running Kubernetes watcher: the readiness source `kubernetes` stays pending until every
/// watched resource has been listed once and swapped into the store.
public final class KubernetesRun: Sendable {
    public let watcher: KubernetesWatcher
    let task: Task<Void, Never>

    init(watcher: KubernetesWatcher, task: Task<Void, Never>) { self.watcher = watcher; self.task = task }

    /// Starts watching; `nil` settings start nothing.
    static func start(_ settings: KubernetesSettings?, store: ClusterStore, readiness: Readiness,
                      metrics: ClusterDNSMetrics, logger: Logger) throws -> KubernetesRun? {
        guard let settings else { return nil }
        let connection = try settings.connection()
        var options = settings.options
        options.namespaces = settings.namespaces
        options.serviceLabelSelector = settings.serviceLabelSelector
        options.watchPods = settings.watchPods
        if options.metricsFactory == nil { options.metricsFactory = PrometheusMetricsFactory(registry: metrics.registry) }
        let watcher = KubernetesWatcher(connection: connection, options: options, store: store, logger: logger)
        try watcher.validate()
        readiness.expect(KubernetesWatcher.sourceName)
        let task = Task {
            do {
                try await watcher.run(onSynced: { readiness.loaded(KubernetesWatcher.sourceName) })
            } catch {
                logger.error("kubernetes source stopped", metadata: ["error": "\(error)"])
            }
        }
        return KubernetesRun(watcher: watcher, task: task)
    }

    /// Cancels the watches and waits for the HTTP client to shut down.
    public func stop() async {
        task.cancel()
        await task.value
    }
}
