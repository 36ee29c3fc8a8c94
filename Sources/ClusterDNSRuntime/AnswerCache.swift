import DNSModel
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Memoises encoded replies for one snapshot generation. The reply of the pure core is a function
/// of the query bytes (without the ID), the transport and the snapshot, so a reply cached under
/// the current generation is exactly what recomputing it would give: answers are never stale.
/// A new generation empties a shard the first time it is touched.
final class AnswerCache: Sendable {
    /// A query's bytes (sharing the request's storage: no copy) compared from byte 2 on, so the
    /// ID does not count, plus the transport and the client's transfer right.
    struct Key: Hashable, Sendable {
        var bytes: [UInt8]
        var tcp: Bool
        var transferAllowed: Bool

        static func == (a: Key, b: Key) -> Bool {
            guard a.tcp == b.tcp, a.transferAllowed == b.transferAllowed, a.bytes.count == b.bytes.count else { return false }
            return a.bytes.withUnsafeBytes { x in
                b.bytes.withUnsafeBytes { y in memcmp(x.baseAddress! + 2, y.baseAddress! + 2, x.count - 2) == 0 }
            }
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(tcp)
            hasher.combine(transferAllowed)
            bytes.withUnsafeBytes { hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: $0[2...])) }
        }
    }

    struct Shard {
        var generation: UInt64 = 0
        var entries: [Key: [UInt8]] = [:]
    }

    /// One lock-protected part of the cache (a Mutex cannot live in an array by itself).
    final class Box: Sendable {
        let state = Locked(Shard())
        func withLock<T>(_ body: (inout Shard) -> T) -> T { state.withLock { body(&$0) } }
    }

    private let shards: [Box]
    private let maxEntriesPerShard: Int

    /// A cache of at most `capacity` replies.
    init(capacity: Int = 100_000, shardCount: Int = 16) {
        shards = (0..<shardCount).map { _ in Box() }
        maxEntriesPerShard = max(1, capacity / shardCount)
    }

    /// The key of a query, or nil when it is not worth caching (too large, or too short to be one).
    static func key(_ query: [UInt8], tcp: Bool, transferAllowed: Bool) -> Key? {
        guard query.count >= 12, query.count <= 512 else { return nil }
        return Key(bytes: query, tcp: tcp, transferAllowed: transferAllowed)
    }

    /// The cached reply for `key` under `generation`, with the query's ID patched in.
    func reply(for key: Key, generation: UInt64, id: (UInt8, UInt8)) -> [UInt8]? {
        let shard = shards[abs(key.hashValue % shards.count)]
        guard var hit = shard.withLock({ s -> [UInt8]? in
            s.generation == generation ? s.entries[key] : nil
        }) else { return nil }
        hit[0] = id.0
        hit[1] = id.1
        return hit
    }

    /// Stores a reply computed from the snapshot of `generation`.
    func store(_ reply: [UInt8], for key: Key, generation: UInt64) {
        let shard = shards[abs(key.hashValue % shards.count)]
        shard.withLock { s in
            if s.generation != generation {
                guard generation > s.generation else { return }      // a late writer of an old snapshot
                s.generation = generation
                s.entries.removeAll(keepingCapacity: true)
            }
            if s.entries.count >= maxEntriesPerShard { s.entries.removeAll(keepingCapacity: true) }
            s.entries[key] = reply
        }
    }
}
