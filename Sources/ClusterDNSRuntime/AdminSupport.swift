@_exported import ClusterDNSAdmin
import Logging
import ClusterModel

extension ClusterDNSServer {
    /// Starts the admin HTTP server for `options` on `store`, reporting `readiness`.
    static func startAdmin(_ options: AdminOptions, store: ClusterStore, readiness: Readiness,
                           metrics: ClusterDNSMetrics, logger: Logger) async throws -> AdminServer {
        let api = AdminAPI(store: store, options: options, metrics: metrics,
                           waitingFor: { readiness.waitingFor.sorted() }, draining: { readiness.isDraining })
        return try await AdminServer.start(api: api, logger: logger)
    }
}

extension Optional {
    /// `map` with an async, throwing transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
