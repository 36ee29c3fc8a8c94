import ClusterDNS
import Dispatch
import ClusterModel
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
    /// One cached reply, the query it answers and what it depends on, in one allocation of the
    /// exact size: the reply, then the query without its ID and without the question when the
    /// reply repeats it byte for byte (RFC 1035 §4.1.2: the reply carries the question; ours keeps
    /// the client's spelling), so a ~100-byte answer costs ~200 bytes in all.
    final class Stored: ManagedBuffer<Stored.Header, UInt8> {
        /// The `ReplyScope` of a stored reply, with what checking it needs.
        enum Validity {
            /// At its own generation only.
            case generation
            /// While neither `ChangeMarks` slot has changed since its generation.
            case unchanged(Int32, Int32)
            /// At every later generation.
            case zone
        }

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
            /// Which later generations it is valid at.
            let validity: Validity
            /// Where the SOA serial of a negative reply is (0: none), advanced by the generations
            /// elapsed when the reply is served at a later one (see `ReplyScope`).
            let serialOffset: UInt16
        }

        /// A stored copy of `query` (at least 12 bytes) and `reply` (immutable from here on, hence
        /// `Sendable`); both at most 65,535 bytes (a DNS message).
        static func make(query: [UInt8], reply: [UInt8], tcp: Bool, transferAllowed: Bool, generation: UInt64,
                         validity: Validity, serialOffset: Int = 0) -> Stored {
            let hash = query.withUnsafeBytes { Key.hash($0, tcp: tcp, transferAllowed: transferAllowed) }
            let question = Self.questionLength(query)
            let shared = question > 0 && reply.count >= 12 + question && query.withUnsafeBufferPointer { q in
                reply.withUnsafeBufferPointer { r in memcmp(q.baseAddress! + 12, r.baseAddress! + 12, question) == 0 }
            } ? question : 0
            // Kept: the query's header after the ID (10 bytes), then whatever the reply does not repeat.
            let tail = query.count - 12 - shared
            let buffer = create(minimumCapacity: reply.count + 10 + tail) { _ in
                Header(hash: hash, queryLength: UInt16(query.count), sharedLength: UInt16(shared), replyLength: UInt16(reply.count),
                       tcp: tcp, transferAllowed: transferAllowed, generation: generation, validity: validity,
                       serialOffset: UInt16(serialOffset))
            }
            buffer.withUnsafeMutablePointerToElements { bytes in
                reply.withUnsafeBufferPointer { bytes.update(from: $0.baseAddress!, count: reply.count) }
                query.withUnsafeBufferPointer { q in
                    (bytes + reply.count).update(from: q.baseAddress! + 2, count: 10)
                    (bytes + reply.count + 10).update(from: q.baseAddress! + 12 + shared, count: tail)
                }
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

        /// Whether the stored reply, with its serial advanced, is what recomputing at `current`
        /// would give (`current` loaded with acquiring order, so `marks` shows its changes).
        func isValid(at current: UInt64, marks: ChangeMarks) -> Bool {
            let generation = header.generation
            if generation == current { return true }
            guard generation < current else { return false }
            switch header.validity {
            case .generation: return false
            case .zone: return true
            case .unchanged(let a, let b):
                return marks.lastChange(Int(a)) <= generation && marks.lastChange(Int(b)) <= generation
            }
        }

        /// Copies the reply into `out` (at least `replyLength` bytes) as served at `generation`: the
        /// query's ID (`query`'s first two bytes) and the SOA serial advanced by the generations
        /// since it was computed.
        func copyReply(into out: UnsafeMutableRawBufferPointer, query: UnsafeRawBufferPointer, generation: UInt64) {
            withReply { out.copyMemory(from: $0) }
            out.baseAddress!.copyMemory(from: query.baseAddress!, byteCount: 2)
            let at = Int(header.serialOffset)
            guard at > 0, generation != header.generation else { return }
            let stored = UInt32(bigEndian: out.loadUnaligned(fromByteOffset: at, as: UInt32.self))
            let serial = stored &+ UInt32(truncatingIfNeeded: generation &- header.generation)
            out.storeBytes(of: serial.bigEndian, toByteOffset: at, as: UInt32.self)
        }

        /// The offset of the SOA serial in a negative reply: no answer records, one authority
        /// record, an SOA (RFC 1035 §3.3.13: MNAME, RNAME, then SERIAL); nil for anything else.
        static func serialOffset(_ reply: [UInt8]) -> Int? {
            guard reply.count >= 12, reply[6] == 0, reply[7] == 0, reply[8] == 0, reply[9] == 1 else { return nil }
            var at = 12
            /// Skips a possibly compressed name (RFC 1035 §4.1.4).
            func skipName() -> Bool {
                while at < reply.count {
                    let n = Int(reply[at])
                    if n == 0 { at += 1; return true }
                    if n & 0xC0 == 0xC0 { at += 2; return at <= reply.count }
                    if n > 63 { return false }
                    at += 1 + n
                }
                return false
            }
            for _ in 0..<(Int(reply[4]) << 8 | Int(reply[5])) {
                guard skipName() else { return nil }
                at += 4
            }
            guard skipName(), at + 10 <= reply.count, reply[at] == 0, reply[at + 1] == 6 else { return nil }  // TYPE SOA
            at += 10                                                    // TYPE, CLASS, TTL, RDLENGTH
            guard skipName(), skipName(), at + 4 <= reply.count, at <= Int(UInt16.max) else { return nil }
            return at
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

    /// Stores a reply computed from `snapshot`, valid for `scope` (copied into buffers of its own).
    func store(_ reply: [UInt8], query: [UInt8], tcp: Bool, transferAllowed: Bool,
               snapshot: ClusterSnapshot, scope: ReplyScope) {
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
