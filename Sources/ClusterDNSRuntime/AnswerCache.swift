import ClusterDNS
import ClusterModel
import DNSModel
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Memoises encoded replies. The reply of the pure core is a function of the query bytes
/// (without the ID), the transport and the snapshot, so a reply is kept with what it depends on
/// (`ReplyScope`): the generation it was computed under, or, for a positive answer about one
/// Service's names, that Service's entry revision. A hit is served only while that still holds
/// in the current snapshot, so answers are never stale, and churn in one Service leaves the
/// cached answers of every other Service in place.
///
/// Keys and replies are `ByteBuffer`s, so the UDP fast path looks a datagram up as NIO received
/// it (hashed and compared in place) and answers with one copy of the stored reply (the ID patched).
final class AnswerCache: Sendable {
    /// A query's bytes compared from byte 2 on, so the ID does not count, plus the transport and the
    /// client's transfer right.
    struct Key: Hashable, Sendable {
        var query: ByteBuffer
        var tcp: Bool
        var transferAllowed: Bool
        /// The hash of all of the above, computed once: a table probe that meets another key
        /// compares this first and does not have to read the other key's bytes.
        let hash: Int

        init(query: ByteBuffer, tcp: Bool, transferAllowed: Bool) {
            self.query = query; self.tcp = tcp; self.transferAllowed = transferAllowed
            var hasher = Hasher()
            hasher.combine(tcp)
            hasher.combine(transferAllowed)
            query.withUnsafeReadableBytes { bytes in
                if bytes.count > 2 { hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: bytes[2...])) }
            }
            hash = hasher.finalize()
        }

        static func == (a: Key, b: Key) -> Bool {
            guard a.hash == b.hash, a.tcp == b.tcp, a.transferAllowed == b.transferAllowed,
                  a.query.readableBytes == b.query.readableBytes else { return false }
            return a.query.withUnsafeReadableBytes { x in
                b.query.withUnsafeReadableBytes { y in memcmp(x.baseAddress! + 2, y.baseAddress! + 2, x.count - 2) == 0 }
            }
        }

        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    }

    /// A stored reply and what it depends on.
    struct Entry {
        var reply: ByteBuffer
        /// The generation it was computed under.
        var generation: UInt64
        /// For `.service` scope: the Service and its entry revision then (nil: absent).
        var service: (key: ServiceKey, revision: UInt64?)?
        /// Bytes it accounts for: key, reply, table slot and buffer headers, roughly.
        var size = 0

        /// Whether recomputing under the snapshot of `current` would give the same reply; the
        /// snapshot is fetched only for a Service-scoped entry from an older generation.
        func isCurrent(_ current: UInt64, snapshot: () -> ClusterSnapshot) -> Bool {
            if generation == current { return true }
            guard let service, generation < current else { return false }
            return snapshot().services[service.key]?.revision == service.revision
        }
    }

    struct Shard {
        var entries: [Key: Entry] = [:]
        var bytes = 0
        /// The generation of the last sweep.
        var sweptGeneration: UInt64 = 0

        /// Drops the entries that can no longer be served: snapshot-scoped replies of older
        /// generations, and (`checkServices`) Service-scoped ones whose Service has changed.
        mutating func sweep(_ snapshot: ClusterSnapshot, checkServices: Bool) {
            entries = entries.filter { _, e in
                e.generation == snapshot.generation || (e.service != nil && (!checkServices || e.isCurrent(snapshot.generation) { snapshot }))
            }
            bytes = entries.values.reduce(0) { $0 + $1.size }
        }
    }

    /// Generations between two sweeps of a shard (so a churning store does not fill the cache
    /// with replies of snapshots gone by).
    static let sweepEvery: UInt64 = 64

    /// One lock-protected part of the cache (a lock cannot live in an array by itself).
    final class Box: Sendable {
        let state = Locked(Shard())
        func withLock<T>(_ body: (inout Shard) -> T) -> T { state.withLock { body(&$0) } }
    }

    private let shards: [Box]
    private let maxEntriesPerShard: Int
    private let maxBytesPerShard: Int

    /// A cache of at most `capacity` replies and about `byteCapacity` bytes of keys and replies.
    init(capacity: Int = 100_000, byteCapacity: Int = 16 << 20, shardCount: Int = 16) {
        shards = (0..<shardCount).map { _ in Box() }
        maxEntriesPerShard = max(1, capacity / shardCount)
        maxBytesPerShard = max(1, byteCapacity / shardCount)
    }

    /// Entries held, and the bytes they account for (for tests and metrics).
    var usage: (entries: Int, bytes: Int) {
        shards.reduce((0, 0)) { sum, box in box.withLock { (sum.0 + $0.entries.count, sum.1 + $0.bytes) } }
    }

    /// Whether a query of `length` bytes is worth caching (not too large, long enough to be one).
    static func cacheable(length: Int) -> Bool { length >= 12 && length <= 512 }

    /// The cached reply for `key` if it is current in `snapshot`, with the query's ID patched in: one copy.
    func reply(for key: Key, in snapshot: ClusterSnapshot) -> ByteBuffer? {
        guard var hit = storedReply(for: key, generation: snapshot.generation, snapshot: { snapshot }),
              let id = key.query.getInteger(at: key.query.readerIndex, as: UInt16.self) else { return nil }
        hit.setInteger(id, at: hit.readerIndex)  // copy-on-write: the stored reply stays as it was
        return hit
    }

    /// The cached reply for `key` as stored, if it is current at `generation` (whose snapshot
    /// `snapshot` gives, asked only when needed): no copy, so its ID is that of the query it was
    /// computed for, and the caller must put the query's ID in its first two bytes.
    func storedReply(for key: Key, generation: UInt64, snapshot: () -> ClusterSnapshot) -> ByteBuffer? {
        guard Self.cacheable(length: key.query.readableBytes) else { return nil }
        let shard = shards[Int(UInt(bitPattern: key.hash) % UInt(shards.count))]
        guard let entry = shard.withLock({ $0.entries[key] }), entry.isCurrent(generation, snapshot: snapshot) else { return nil }
        return entry.reply
    }

    /// Stores a reply computed from `snapshot`, valid for `scope` (copied into buffers of its own).
    func store(_ reply: [UInt8], query: [UInt8], tcp: Bool, transferAllowed: Bool,
               snapshot: ClusterSnapshot, scope: ReplyScope) {
        guard Self.cacheable(length: query.count) else { return }
        let allocator = ByteBufferAllocator()
        let key = Key(query: allocator.buffer(bytes: query), tcp: tcp, transferAllowed: transferAllowed)
        var entry = Entry(reply: allocator.buffer(bytes: reply), generation: snapshot.generation)
        if case .service(let service) = scope {
            entry.service = (service, snapshot.services[service]?.revision)
        }
        entry.size = query.count + reply.count + 96
        let shard = shards[Int(UInt(bitPattern: key.hash) % UInt(shards.count))]
        shard.withLock { s in
            if let old = s.entries[key], old.generation > entry.generation { return }  // a late writer
            if entry.generation >= s.sweptGeneration + Self.sweepEvery {
                s.sweep(snapshot, checkServices: false)
                s.sweptGeneration = entry.generation
            }
            if s.entries.count >= maxEntriesPerShard || s.bytes + entry.size > maxBytesPerShard {
                // Full: drop what is stale, then, if still over three quarters, entries in table
                // order (which follows the hash: a random choice) until under.
                s.sweep(snapshot, checkServices: true)
                while !s.entries.isEmpty, s.entries.count * 4 > maxEntriesPerShard * 3 || s.bytes * 4 > maxBytesPerShard * 3 {
                    s.bytes -= s.entries.remove(at: s.entries.startIndex).value.size
                }
            }
            if let old = s.entries.updateValue(entry, forKey: key) { s.bytes -= old.size }
            s.bytes += entry.size
        }
    }
}
