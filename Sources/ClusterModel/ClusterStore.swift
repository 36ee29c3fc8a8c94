import DNSModel
import Synchronization

/// One change to the stored objects.
public enum ClusterChange: Sendable, Hashable {
    /// Add or replace an object.
    case upsert(KubeObject)
    /// Remove the object with this key (no effect when absent).
    case delete(ObjectKey)
}

/// The live cluster model: stored objects, computed endpoints, and the published snapshot.
///
/// Readers call `snapshot` and keep the reference; they never wait for a snapshot to be built
/// (the lock around the published reference is held only to copy it). Writers are serialised;
/// each call publishes at most one new snapshot, with `generation` one higher, containing all
/// of its changes or none of them. A call that changes nothing publishes nothing.
///
/// Cost of one change: the affected services are recomputed (a pod change recomputes only the
/// services of its namespace whose selector matches its old or new labels, found through a
/// per-namespace selector index; a service recompute visits only the pods carrying its rarest
/// selector label). Maps shared with the previous snapshot are sharded, so the copy-on-write
/// copy per batch is one shard plus the shard table per touched map, not the whole map.
/// Remaining O(n) work: recomputing a service is O(its pods · log), and `namespaces` (a `Set`)
/// is copied when a namespace appears or disappears.
public final class ClusterStore: Sendable {
    /// The source name of writes through `apply(_:)` (the HTTP API).
    public static let apiSource = "api"

    private struct Writer {
        var state = ClusterState()
        /// Objects whose last writer is each source (other than `apiSource`). An object is in at
        /// most one set; there is no reverse map (it cost ~170 bytes per object), as sources are few
        /// and a write almost always comes from the source that already holds the object.
        var sourceObjects: [String: Set<ObjectKey>] = [:]

        /// The source holding `key`, looking in `likely`'s set first.
        func origin(of key: ObjectKey, likely: String) -> String? {
            if sourceObjects[likely]?.contains(key) == true { return likely }
            return sourceObjects.first { $0.key != likely && $0.value.contains(key) }?.key
        }

        /// Records `source` (nil: none, as for a deleted object) as the last writer of `key`, on
        /// behalf of `writer`; `apiSource` is not recorded.
        mutating func setOrigin(_ key: ObjectKey, _ source: String?, writer: String) {
            let new = source == ClusterStore.apiSource ? nil : source
            let old = origin(of: key, likely: writer)
            guard old != new else { return }
            if let old {
                sourceObjects[old]?.remove(key)
                if sourceObjects[old]?.isEmpty == true { sourceObjects[old] = nil }
            }
            if let new { sourceObjects[new, default: []].insert(key) }
        }
    }

    private let published: Locked<ClusterSnapshot>
    /// The published snapshot's generation, readable without the lock (the DNS hot path).
    private let publishedGeneration = Atomic<UInt64>(0)
    private let writer: Locked<Writer>
    /// When each Service and endpoint name last changed, marked before the generation that shows
    /// the change is published (see `ChangeMarks`).
    package let changeMarks = ChangeMarks()

    /// An empty store at generation 0; endpoints without a hostname are named by `endpointNaming`.
    public init(endpointNaming: EndpointNaming = .address) {
        published = Locked(ClusterSnapshot.empty)
        var writer = Writer()
        writer.state.naming = endpointNaming
        self.writer = Locked(writer)
    }

    /// The latest published snapshot.
    public var snapshot: ClusterSnapshot { published.withLock { $0 } }

    /// The latest published snapshot's generation: one atomic load, no lock. Stored after the
    /// snapshot is published, so a reader that sees generation N can rely on snapshot N (or a
    /// later one) being published.
    public var generation: UInt64 { publishedGeneration.load(ordering: .acquiring) }

    /// Applies a batch of changes written by the API (source `api`).
    @discardableResult
    public func apply(_ changes: [ClusterChange]) -> ClusterSnapshot {
        apply(changes, source: Self.apiSource)
    }

    /// Applies a batch of changes written by `source`; each upserted object's last writer becomes
    /// `source`. Returns the snapshot that includes the batch.
    @discardableResult
    public func apply(_ changes: [ClusterChange], source: String) -> ClusterSnapshot {
        writer.withLock { w in
            var changed = false
            for change in changes {
                switch change {
                case .upsert(let object):
                    changed = w.state.upsert(object) || changed
                    w.setOrigin(object.key, source, writer: source)
                case .delete(let key):
                    changed = w.state.remove(key) || changed
                    w.setOrigin(key, nil, writer: source)
                }
            }
            return publish(&w.state, changed: changed)
        }
    }

    /// Makes `objects` the full contribution of `source` (a manifest file): objects whose last
    /// writer was `source` and that are not in `objects` are removed, and `objects` are upserted.
    /// An object last written by another source (another file, or the API) is left alone unless
    /// `objects` contains it, in which case this write wins. `replace(source:with: [])` removes
    /// what the source last wrote.
    @discardableResult
    public func replace(source: String, with objects: [KubeObject]) -> ClusterSnapshot {
        writer.withLock { w in
            var changed = false
            let keep = Set(objects.map(\.key))
            for key in w.sourceObjects[source] ?? [] where !keep.contains(key) {
                changed = w.state.remove(key) || changed
                w.setOrigin(key, nil, writer: source)
            }
            for object in objects {
                changed = w.state.upsert(object) || changed
                w.setOrigin(object.key, source, writer: source)
            }
            return publish(&w.state, changed: changed)
        }
    }

    /// The sources (other than `api`) and how many objects each last wrote.
    public var sources: [String: Int] {
        writer.withLock { w in w.sourceObjects.mapValues(\.count) }
    }

    private func publish(_ state: inout ClusterState, changed: Bool) -> ClusterSnapshot {
        guard changed else { return published.withLock { $0 } }
        state.recomputeDirty()
        state.generation += 1
        for slot in state.changedSlots { changeMarks.mark(slot, at: state.generation) }
        state.changedSlots.removeAll(keepingCapacity: state.changedSlots.count < 4096)
        let snap = state.snapshot()
        // The previous snapshot is swapped out under the lock and released after it: freeing it
        // (the shards only it still held) must not keep readers of `snapshot` waiting.
        let previous = published.withLock { current in
            defer { current = snap }
            return current
        }
        publishedGeneration.store(snap.generation, ordering: .releasing)
        withExtendedLifetime(previous) {}
        return snap
    }
}
