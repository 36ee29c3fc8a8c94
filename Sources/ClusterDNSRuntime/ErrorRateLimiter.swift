import NIOCore
import Synchronization
import DNSModel
import DNSServer

/// Caps error replies (FORMERR, NOTIMP, REFUSED) sent over UDP to each client network (/24 for
/// IPv4, /56 for IPv6), so garbage sent with a spoofed source cannot be amplified through us
/// (reliability rule: error replies rate-capped, default 100/s). Past the cap, every other reply
/// is dropped and the others are sent as an empty truncated reply (TC, no records: response rate
/// limiting's "slip", as BIND and Knot do it), so a real client retries over TCP, which is not
/// capped, and hears its answer at once instead of waiting out its timeout.
public final class ErrorRateLimiter: Sendable {
    struct Bucket { var tokens: Double; var last: ContinuousClock.Instant; var over: UInt = 0 }

    /// What to do with one error reply.
    public enum Decision: Sendable, Equatable {
        /// Send it.
        case send
        /// Send an empty truncated reply instead.
        case slip
        /// Send nothing.
        case drop
    }

    /// Error replies allowed per second per client network.
    public let perSecond: Double
    private let buckets = Locked<[[UInt8]: Bucket]>([:])
    private let droppedCount = Atomic<Int>(0)
    private let onDrop: @Sendable () -> Void

    /// A limiter allowing `perSecond` error replies per network, with a burst of the same size;
    /// `onDrop` runs for each reply held back (a metric).
    public init(perSecond: Double = 100, onDrop: @escaping @Sendable () -> Void = {}) {
        self.perSecond = perSecond; self.onDrop = onDrop
    }

    /// Error replies held back so far (dropped, or slipped as an empty truncated reply).
    public var dropped: Int { droppedCount.load(ordering: .relaxed) }

    /// The client network of an address: its first 3 (IPv4) or 7 (IPv6) octets.
    static func network(_ address: String) -> [UInt8]? {
        switch IPAddress(address) {
        case .v4(let a)?: return Array(a.bytes.prefix(3))
        case .v6(let a)?: return Array(a.bytes.prefix(7))
        case nil: return nil
        }
    }

    /// What to do with an error reply to `address` now: send it while the network's budget
    /// lasts; past it, slip and drop in turn.
    public func decide(_ address: String, now: ContinuousClock.Instant = .now) -> Decision {
        guard let key = Self.network(address) else { return .send }
        let decision = buckets.withLock { b -> Decision in
            if b.count > 100_000 { b.removeAll() }            // bounded memory under a spoofing flood
            var bucket = b[key] ?? Bucket(tokens: perSecond, last: now)
            defer { b[key] = bucket }
            let seconds = (now - bucket.last).inSeconds
            bucket.tokens = min(perSecond, bucket.tokens + seconds * perSecond)
            bucket.last = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return .send
            }
            bucket.over &+= 1
            return bucket.over % 2 == 1 ? .slip : .drop
        }
        if decision != .send { droppedCount.add(1, ordering: .relaxed); onDrop() }
        return decision
    }

    /// The empty truncated reply that stands for an error reply past the cap: its header (ID,
    /// opcode, RD, CD) and question, TC set, RCODE NOERROR, no records. Nil when `reply` does not
    /// parse (then nothing is sent).
    static func slipReply(for reply: [UInt8]) -> [UInt8]? {
        guard let m = try? Message(wire: reply) else { return nil }
        return Message(id: m.id, isResponse: true, opcode: m.opcode, truncated: true, recursionDesired: m.recursionDesired,
                       checkingDisabled: m.checkingDisabled, questions: m.questions).wire()
    }
}

/// Wraps a responder and applies an `ErrorRateLimiter` to its UDP error replies.
public final class RateLimitedResponder: DNSResponder {
    let inner: any DNSResponder
    let limiter: ErrorRateLimiter

    /// Limits `inner`'s UDP error replies with `limiter`.
    public init(wrapping inner: any DNSResponder, limiter: ErrorRateLimiter) {
        self.inner = inner; self.limiter = limiter
    }

    public func respond(to request: DNSRequest) -> DNSReply {
        let reply = inner.respond(to: request)
        guard request.transport == .udp, case .message(let bytes) = reply, bytes.count >= 4 else { return reply }
        switch bytes[3] & 0x0F {
        case 1, 4, 5:                                        // FORMERR, NOTIMP, REFUSED
            switch limiter.decide(request.clientAddress) {
            case .send: return reply
            case .slip: return ErrorRateLimiter.slipReply(for: bytes).map { .message($0) } ?? .drop
            case .drop: return .drop
            }
        default:
            return reply
        }
    }

    /// The inner fast path: it never holds an error reply, so there is nothing to cap.
    public func cachedUDPReply(to query: ByteBuffer, into reply: UnsafeMutableRawBufferPointer) -> Int? {
        inner.cachedUDPReply(to: query, into: reply)
    }
}
