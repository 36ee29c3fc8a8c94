import ClusterDNS
import Dispatch
import ClusterModel
import Synchronization
import DNSModel
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Memoises encoded replies. The reply of the pure core is a function of the query bytes
/// (without the ID), the transport and the snapshot, so a reply is kept with what it depends on
/// (`ReplyScope`): the generation it was computed under; for an answer about one Service's names,
/// the `ChangeMarks` of that Service (or of the Service object and one endpoint name); for a
/// negative answer about a name no object can create, nothing. A hit is served only while that
/// still holds at the current generation (a negative reply with its SOA serial advanced to it),
/// so answers are never stale, and churn in one Service (or one pod) leaves the cached answers of
/// every other Service (or the pod's siblings) in place. Checking costs two atomic loads: no
/// lock and no snapshot.
///
/// The UDP fast path looks a datagram up as received (hashed and compared in place) and copies the
/// stored reply into the transport's send buffer with the query's ID written in: no allocation.
final class AnswerCache: Sendable {
    /// A query as received, to look up: its bytes compared from byte 2 on, so the ID does not
    /// count, plus the transport and the client's transfer right.
    struct Key {
        let query: ByteBuffer
        let tcp: Bool
        let transferAllowed: Bool
        /// The hash of all of the above, computed once; the table files entries under it.
        let hash: Int

        /// A lookup key for a query as received.
        init(query: ByteBuffer, tcp: Bool, transferAllowed: Bool) {
            self.query = query; self.tcp = tcp; self.transferAllowed = transferAllowed
            hash = query.withUnsafeReadableBytes { Self.hash($0, tcp: tcp, transferAllowed: transferAllowed) }
        }

        static func hash(_ bytes: UnsafeRawBufferPointer, tcp: Bool, transferAllowed: Bool) -> Int {
            var hasher = Hasher()
            hasher.combine(tcp)
            hasher.combine(transferAllowed)
            if bytes.count > 2 { hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: bytes[2...])) }
            return hasher.finalize()
        }

        /// The query's length.
        var length: Int { query.readableBytes }

        /// Whether `stored` answers this query (same bytes after the ID, transport and right).
        func matches(_ stored: Stored) -> Bool {
            let h = stored.header
            guard h.hash == hash, h.tcp == tcp, h.transferAllowed == transferAllowed else { return false }
            return query.withUnsafeReadableBytes { stored.matches($0) }
        }
    }

    struct Shard {
        /// Entries by `Key.hash`: a slot is 16 bytes (a key holding the query would be ~50). Two
        /// queries with one 64-bit hash (seeded per process, so not chosen by a client) share a
        /// slot: the later replaces the earlier, and a lookup checks the bytes, so a collision
        /// costs a miss, never a wrong answer.
        var entries: [Int: Stored] = [:]
        var bytes = 0
        /// The generation of the last sweep.
        var sweptGeneration: UInt64 = 0

        /// When the last sweep ran (`DispatchTime` nanoseconds).
        var sweptAt: UInt64 = 0

        /// Drops the entries that can no longer be served at `generation`.
        mutating func sweep(_ generation: UInt64, marks: ChangeMarks) {
            // In place: only the stale entries are touched (a `filter` built a new table and
            // retained every entry kept, once a second per shard).
            var stale: [Int] = []
            for (hash, e) in entries where !e.isValid(at: generation, marks: marks) {
                stale.append(hash)
                bytes -= e.size
            }
            for hash in stale { entries.removeValue(forKey: hash) }
        }
    }

    /// Generations between two sweeps of a shard (so a churning store does not fill the cache
    /// with replies of snapshots gone by)…
    static let sweepEvery: UInt64 = 64
    /// …and the least time between them (a sweep rebuilds the shard's table; under heavy churn,
    /// 64 generations pass in a few milliseconds).
    let sweepInterval: UInt64

    /// One lock-protected part of the cache (a lock cannot live in an array by itself).
    final class Box: Sendable {
        let state = Locked(Shard())
        func withLock<T>(_ body: (inout Shard) -> T) -> T { state.withLock { body(&$0) } }
    }

    private let shards: [Box]
    private let maxEntriesPerShard: Int
    private let maxBytesPerShard: Int
    /// The store's change marks, which scoped replies are checked against.
    let marks: ChangeMarks
    /// Advanced by `removeAll`: a reply computed before it (from zones since replaced) is not stored.
    private let epochCounter = Atomic<UInt64>(0)

    /// A cache of at most `capacity` replies and about `byteCapacity` bytes of keys and replies,
    /// for answers from the store whose `changeMarks` are `marks`.
    init(marks: ChangeMarks, capacity: Int = 100_000, byteCapacity: Int = 16 << 20, shardCount: Int = 16,
         sweepInterval: Duration = .seconds(1)) {
        self.marks = marks
        shards = (0..<shardCount).map { _ in Box() }
        maxEntriesPerShard = max(1, capacity / shardCount)
        maxBytesPerShard = max(1, byteCapacity / shardCount)
        self.sweepInterval = UInt64(max(0, sweepInterval.wholeNanoseconds))
    }

    /// Entries held, and the bytes they account for (for tests and metrics).
    var usage: (entries: Int, bytes: Int) {
        shards.reduce((0, 0)) { sum, box in box.withLock { (sum.0 + $0.entries.count, sum.1 + $0.bytes) } }
    }

    /// Whether a query of `length` bytes is worth caching (not too large, long enough to be one).
    static func cacheable(length: Int) -> Bool { length >= 12 && length <= 512 }

    /// The cached reply for `key` if it is current in `snapshot`, with the query's ID in it (a copy).
    func reply(for key: Key, in snapshot: ClusterSnapshot) -> ByteBuffer? {
        let generation = snapshot.generation
        guard let stored = withCurrentEntry(for: key, generation: generation, { $0 }) else { return nil }
        let length = Int(stored.header.replyLength)
        var reply = ByteBuffer()
        reply.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { out in
            key.query.withUnsafeReadableBytes { stored.copyReply(into: out, query: $0, generation: generation) }
            return length
        }
        return reply
    }

    /// Copies the cached reply for `key`, if it is current at `generation` (an acquiring load of
    /// `ClusterStore.generation`), into `out` with the query's ID in it; returns its length, or
    /// nil (no current reply, or longer than `out`). No allocation, no snapshot.
    func copyReply(for key: Key, generation: UInt64, into out: UnsafeMutableRawBufferPointer) -> Int? {
        withCurrentEntry(for: key, generation: generation) { stored in
            let length = Int(stored.header.replyLength)
            guard length <= out.count, length >= 12 else { return nil }
            key.query.withUnsafeReadableBytes { stored.copyReply(into: out, query: $0, generation: generation) }
            return length
        }
    }

    /// `body` applied to the entry for `key`, if it is current at `generation`; under the shard's
    /// lock, so a hit copies its reply out without retaining the entry (the table holds it).
    private func withCurrentEntry<T>(for key: Key, generation: UInt64, _ body: (Stored) -> T?) -> T? {
        guard Self.cacheable(length: key.length) else { return nil }
        let shard = shards[Int(UInt(bitPattern: key.hash) % UInt(shards.count))]
        return shard.withLock { s in
            guard let stored = s.entries[key.hash], key.matches(stored),
                  stored.isValid(at: generation, marks: marks) else { return nil }
            return body(stored)
        }
    }

    /// The current epoch: read it before computing a reply, and pass it to `store`.
    var epoch: UInt64 { epochCounter.load(ordering: .acquiring) }

    /// Empties the cache for good: replies computed before the call (from the epoch it ends) are
    /// not stored afterwards either. Called when the zones are reloaded, as a reply cached with
    /// `.zone` or a Service scope would otherwise outlive the zone data it was made from.
    func removeAll() {
        epochCounter.add(1, ordering: .sequentiallyConsistent)
        for shard in shards {
            shard.withLock { s in
                s.entries.removeAll()
                s.bytes = 0
            }
        }
    }

    /// Stores a reply computed from `snapshot` in `epoch` (read before computing it), valid for
    /// `scope` (copied into buffers of its own); a reply from an epoch `removeAll` has ended is
    /// dropped.
    func store(_ reply: [UInt8], query: [UInt8], tcp: Bool, transferAllowed: Bool,
               snapshot: ClusterSnapshot, scope: ReplyScope, epoch: UInt64) {
        guard Self.cacheable(length: query.count), reply.count <= Int(UInt16.max) else { return }
        // A negative reply (no answer records) spans generations only when its SOA serial can be
        // found and advanced.
        let serialOffset = Stored.serialOffset(reply)
        let negative = reply.count >= 12 && reply[6] == 0 && reply[7] == 0
        var validity = Stored.Validity.generation
        if !negative || serialOffset != nil {
            switch scope {
            case .service(let key):
                let slot = Int32(ChangeMarks.Subject.service(key).slot)
                validity = .unchanged(slot, slot)
            case .serviceObject(let key):
                let slot = Int32(ChangeMarks.Subject.serviceObject(key).slot)
                validity = .unchanged(slot, slot)
            case .endpoint(let key, let label):
                validity = .unchanged(Int32(ChangeMarks.Subject.serviceObject(key).slot),
                                      Int32(ChangeMarks.Subject.endpoint(key, label: label).slot))
            case .zone: validity = .zone
            case .snapshot: break
            }
        }
        let generation = snapshot.generation
        let stored = Stored.make(query: query, reply: reply, tcp: tcp, transferAllowed: transferAllowed,
                                 generation: generation, validity: validity, serialOffset: serialOffset ?? 0)
        let hash = stored.header.hash
        let size = stored.size
        let shard = shards[Int(UInt(bitPattern: hash) % UInt(shards.count))]
        shard.withLock { s in
            // Checked under the shard's lock, which `removeAll` takes after advancing the epoch:
            // either this entry is stored before the shard is emptied, or the new epoch is seen.
            guard epochCounter.load(ordering: .acquiring) == epoch else { return }
            if let old = s.entries[hash], old.header.generation > generation { return }  // a late writer
            if generation >= s.sweptGeneration + Self.sweepEvery {
                let now = DispatchTime.now().uptimeNanoseconds
                if now >= s.sweptAt + sweepInterval {
                    s.sweep(generation, marks: marks)
                    s.sweptGeneration = generation
                    s.sweptAt = now
                }
            }
            if s.entries.count >= maxEntriesPerShard || s.bytes + size > maxBytesPerShard {
                // Full: drop what is stale, then, if still over three quarters, entries in table
                // order (which follows the hash: a random choice) until under.
                s.sweep(generation, marks: marks)
                while !s.entries.isEmpty, s.entries.count * 4 > maxEntriesPerShard * 3 || s.bytes * 4 > maxBytesPerShard * 3 {
                    s.bytes -= s.entries.remove(at: s.entries.startIndex).value.size
                }
            }
            if let old = s.entries.updateValue(stored, forKey: hash) { s.bytes -= old.size }
            s.bytes += size
        }
    }
}
