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
/// The UDP fast path looks a datagram up as received (hashed and compared in place) and copies the
/// stored reply into the transport's send buffer with the query's ID written in: no allocation.
final class AnswerCache: Sendable {
    /// One cached reply, the query it answers and what it depends on, in one allocation of the
    /// exact size: the reply, then the query without its ID and without the question when the
    /// reply repeats it byte for byte (RFC 1035 §4.1.2: the reply carries the question; ours keeps
    /// the client's spelling), so a ~100-byte answer costs ~200 bytes in all.
    final class Stored: ManagedBuffer<Stored.Header, UInt8>, @unchecked Sendable {
        struct Header {
            /// `Key.hash` of the query, under which the entry is filed.
            let hash: Int
            let queryLength: UInt16
            /// Query bytes from offset 12 (the question) that are not stored because the reply
            /// has them at the same offset.
            let sharedLength: UInt16
            let replyLength: UInt16
            let tcp: Bool
            let transferAllowed: Bool
            /// The generation it was computed under.
            let generation: UInt64
            /// For `.service` scope: the Service and its entry revision then (nil: absent).
            let service: (key: ServiceKey, revision: UInt64?)?
        }

        /// A stored copy of `query` (at least 12 bytes) and `reply` (immutable from here on, hence
        /// `Sendable`); both at most 65,535 bytes (a DNS message).
        static func make(query: [UInt8], reply: [UInt8], tcp: Bool, transferAllowed: Bool, generation: UInt64,
                         service: (key: ServiceKey, revision: UInt64?)?) -> Stored {
            let hash = query.withUnsafeBytes { Key.hash($0, tcp: tcp, transferAllowed: transferAllowed) }
            let question = Self.questionLength(query)
            let shared = question > 0 && reply.count >= 12 + question && reply[12..<12 + question] == query[12..<12 + question] ? question : 0
            let kept = Array(query[2..<12]) + query[(12 + shared)...]
            let buffer = create(minimumCapacity: reply.count + kept.count) { _ in
                Header(hash: hash, queryLength: UInt16(query.count), sharedLength: UInt16(shared), replyLength: UInt16(reply.count),
                       tcp: tcp, transferAllowed: transferAllowed, generation: generation, service: service)
            }
            buffer.withUnsafeMutablePointerToElements { bytes in
                reply.withUnsafeBufferPointer { bytes.update(from: $0.baseAddress!, count: reply.count) }
                kept.withUnsafeBufferPointer { (bytes + reply.count).update(from: $0.baseAddress!, count: kept.count) }
            }
            return unsafeDowncast(buffer, to: Stored.self)
        }

        /// The length of a query's first question (name and the four bytes of type and class),
        /// or 0 when it has none or it does not parse as an uncompressed name.
        static func questionLength(_ query: [UInt8]) -> Int {
            guard query.count > 12, query[4] != 0 || query[5] != 0 else { return 0 }
            var i = 12
            while i < query.count {
                let n = Int(query[i])
                if n == 0 { return i + 1 + 4 <= query.count ? i + 1 + 4 - 12 : 0 }
                if n > 63 { return 0 }
                i += 1 + n
            }
            return 0
        }

        /// Whether `query` (as received, ID and all) is the stored query.
        func matches(_ query: UnsafeRawBufferPointer) -> Bool {
            withUnsafeMutablePointers { h, bytes in
                let n = Int(h.pointee.queryLength), shared = Int(h.pointee.sharedLength), reply = Int(h.pointee.replyLength)
                guard query.count == n, let q = query.baseAddress else { return false }
                let kept = bytes + reply
                return memcmp(q + 2, kept, 10) == 0
                    && memcmp(q + 12, bytes + 12, shared) == 0
                    && memcmp(q + 12 + shared, kept + 10, n - 12 - shared) == 0
            }
        }

        func withReply<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
            withUnsafeMutablePointers { h, bytes in body(UnsafeRawBufferPointer(start: bytes, count: Int(h.pointee.replyLength))) }
        }

        /// Bytes it accounts for: header, bytes, table slot and allocation overhead, roughly.
        var size: Int { Int(header.queryLength) - Int(header.sharedLength) + Int(header.replyLength) + 110 }

        /// Whether recomputing under the snapshot of `current` would give the same reply; the
        /// snapshot is fetched only for a Service-scoped entry from an older generation.
        func isCurrent(_ current: UInt64, snapshot: () -> ClusterSnapshot) -> Bool {
            if header.generation == current { return true }
            guard let service = header.service, header.generation < current else { return false }
            return snapshot().services[service.key]?.revision == service.revision
        }
    }

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

        /// Drops the entries that can no longer be served: snapshot-scoped replies of older
        /// generations, and (`checkServices`) Service-scoped ones whose Service has changed.
        mutating func sweep(_ snapshot: ClusterSnapshot, checkServices: Bool) {
            entries = entries.filter { _, e in
                e.header.generation == snapshot.generation
                    || (e.header.service != nil && (!checkServices || e.isCurrent(snapshot.generation) { snapshot }))
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

    /// The cached reply for `key` if it is current in `snapshot`, with the query's ID in it (a copy).
    func reply(for key: Key, in snapshot: ClusterSnapshot) -> ByteBuffer? {
        guard let stored = entry(for: key, generation: snapshot.generation, snapshot: { snapshot }) else { return nil }
        var reply = stored.withReply { ByteBuffer(bytes: $0) }
        key.query.withUnsafeReadableBytes { reply.setBytes($0.prefix(2), at: reply.readerIndex) }
        return reply
    }

    /// Copies the cached reply for `key`, if it is current at `generation` (whose snapshot
    /// `snapshot` gives, asked only when needed), into `out` with the query's ID in it; returns
    /// its length, or nil (no current reply, or longer than `out`). No allocation.
    func copyReply(for key: Key, generation: UInt64, snapshot: () -> ClusterSnapshot,
                   into out: UnsafeMutableRawBufferPointer) -> Int? {
        guard let stored = entry(for: key, generation: generation, snapshot: snapshot) else { return nil }
        return stored.withReply { reply -> Int? in
            guard reply.count <= out.count, reply.count >= 2 else { return nil }
            out.copyMemory(from: reply)
            key.query.withUnsafeReadableBytes { query in out.baseAddress!.copyMemory(from: query.baseAddress!, byteCount: 2) }
            return reply.count
        }
    }

    private func entry(for key: Key, generation: UInt64, snapshot: () -> ClusterSnapshot) -> Stored? {
        guard Self.cacheable(length: key.length) else { return nil }
        let shard = shards[Int(UInt(bitPattern: key.hash) % UInt(shards.count))]
        guard let stored = shard.withLock({ $0.entries[key.hash] }), key.matches(stored),
              stored.isCurrent(generation, snapshot: snapshot) else { return nil }
        return stored
    }

    /// Stores a reply computed from `snapshot`, valid for `scope` (copied into buffers of its own).
    func store(_ reply: [UInt8], query: [UInt8], tcp: Bool, transferAllowed: Bool,
               snapshot: ClusterSnapshot, scope: ReplyScope) {
        guard Self.cacheable(length: query.count), reply.count <= Int(UInt16.max) else { return }
        var service: (key: ServiceKey, revision: UInt64?)?
        if case .service(let key) = scope { service = (key, snapshot.services[key]?.revision) }
        let stored = Stored.make(query: query, reply: reply, tcp: tcp, transferAllowed: transferAllowed,
                                 generation: snapshot.generation, service: service)
        let hash = stored.header.hash
        let size = stored.size
        let shard = shards[Int(UInt(bitPattern: hash) % UInt(shards.count))]
        shard.withLock { s in
            if let old = s.entries[hash], old.header.generation > snapshot.generation { return }  // a late writer
            if snapshot.generation >= s.sweptGeneration + Self.sweepEvery {
                s.sweep(snapshot, checkServices: false)
                s.sweptGeneration = snapshot.generation
            }
            if s.entries.count >= maxEntriesPerShard || s.bytes + size > maxBytesPerShard {
                // Full: drop what is stale, then, if still over three quarters, entries in table
                // order (which follows the hash: a random choice) until under.
                s.sweep(snapshot, checkServices: true)
                while !s.entries.isEmpty, s.entries.count * 4 > maxEntriesPerShard * 3 || s.bytes * 4 > maxBytesPerShard * 3 {
                    s.bytes -= s.entries.remove(at: s.entries.startIndex).value.size
                }
            }
            if let old = s.entries.updateValue(stored, forKey: hash) { s.bytes -= old.size }
            s.bytes += size
        }
    }
}
