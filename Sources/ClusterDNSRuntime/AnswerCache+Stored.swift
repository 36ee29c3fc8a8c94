import ClusterModel
#if canImport(Glibc)
import Glibc
#endif

extension AnswerCache {
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
}
