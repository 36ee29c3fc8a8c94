import Synchronization

/// Tracks which sources (manifests, zones, the Kubernetes API) have loaded at least once;
/// `/readyz` and the SERVFAIL-before-sync rule read it.
public final class Readiness: Sendable {
    private let pending: Mutex<Set<String>>

    /// Starts with every named source pending.
    public init(sources: Set<String> = []) { pending = Mutex(sources) }

    /// Adds a source that must load before the server is ready.
    public func expect(_ source: String) { pending.withLock { _ = $0.insert(source) } }

    /// Marks a source as loaded once.
    public func loaded(_ source: String) { pending.withLock { _ = $0.remove(source) } }

    /// True once every source has loaded.
    public var isReady: Bool { pending.withLock { $0.isEmpty } }

    /// Sources still loading.
    public var waitingFor: Set<String> { pending.withLock { $0 } }
}
