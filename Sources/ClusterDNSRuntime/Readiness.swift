import DNSModel
import Synchronization

/// Tracks which sources (manifests, zones, the Kubernetes API) have loaded at least once;
/// `/readyz` and the SERVFAIL-before-sync rule read it.
public final class Readiness: Sendable {
    private let pending: Locked<Set<String>>
    /// Set once everything has loaded: the per-query check is then one atomic load.
    private let ready = Atomic<Bool>(false)

    /// Starts with every named source pending.
    public init(sources: Set<String> = []) { pending = Locked(sources) }

    /// Adds a source that must load before the server is ready.
    public func expect(_ source: String) {
        pending.withLock {
            _ = $0.insert(source)
            ready.store(false, ordering: .releasing)
        }
    }

    /// Marks a source as loaded once.
    public func loaded(_ source: String) {
        pending.withLock {
            _ = $0.remove(source)
            if $0.isEmpty { ready.store(true, ordering: .releasing) }
        }
    }

    /// True once every source has loaded.
    public var isReady: Bool {
        if ready.load(ordering: .acquiring) { return true }
        return pending.withLock { $0.isEmpty }
    }

    /// Sources still loading.
    public var waitingFor: Set<String> { pending.withLock { $0 } }
}
