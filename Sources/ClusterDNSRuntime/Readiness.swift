import DNSModel
import Synchronization

/// Tracks which sources (manifests, zones, the Kubernetes API) have loaded at least once;
/// `/readyz` and the SERVFAIL-before-sync rule read it.
public final class Readiness: Sendable {
    private let pending: Locked<Set<String>>
    /// Set once everything has loaded: the per-query check is then one atomic load.
    private let ready = Atomic<Bool>(false)
    /// Set when the server is shutting down: `/readyz` fails so that endpoints drop it, while
    /// DNS answers as before (a lame duck).
    private let draining = Atomic<Bool>(false)

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

    /// Marks the server as shutting down (`/readyz` fails from now on; DNS is not affected).
    public func drain() { draining.store(true, ordering: .releasing) }

    /// True once `drain()` was called.
    public var isDraining: Bool { draining.load(ordering: .acquiring) }
}
