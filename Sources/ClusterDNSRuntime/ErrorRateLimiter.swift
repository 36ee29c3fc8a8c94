import NIOCore
import Synchronization
import DNSModel
import DNSServer

/// Caps error replies (FORMERR, NOTIMP, REFUSED) sent over UDP to each client network (/24 for
/// IPv4, /56 for IPv6), so garbage sent with a spoofed source cannot be amplified through us
/// (reliability rule: error replies rate-capped, default 100/s). Excess errors are dropped and counted.
public final class ErrorRateLimiter: Sendable {
    struct Bucket { var tokens: Double; var last: ContinuousClock.Instant }

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

    /// Error replies dropped so far.
    public var dropped: Int { droppedCount.load(ordering: .relaxed) }

    /// The client network of an address: its first 3 (IPv4) or 7 (IPv6) octets.
    static func network(_ address: String) -> [UInt8]? {
        switch IPAddress(address) {
        case .v4(let a)?: return Array(a.bytes.prefix(3))
        case .v6(let a)?: return Array(a.bytes.prefix(7))
        case nil: return nil
        }
    }

    /// True when an error reply to `address` may be sent now.
    public func allow(_ address: String, now: ContinuousClock.Instant = .now) -> Bool {
        guard let key = Self.network(address) else { return true }
        let ok = buckets.withLock { b -> Bool in
            if b.count > 100_000 { b.removeAll() }            // bounded memory under a spoofing flood
            var bucket = b[key] ?? Bucket(tokens: perSecond, last: now)
            let seconds = (now - bucket.last).inSeconds
            bucket.tokens = min(perSecond, bucket.tokens + seconds * perSecond)
            bucket.last = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            b[key] = bucket
            return allowed
        }
        if !ok { droppedCount.add(1, ordering: .relaxed); onDrop() }
        return ok
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
            return limiter.allow(request.clientAddress) ? reply : .drop
        default:
            return reply
        }
    }

    /// The inner fast path: it never holds an error reply, so there is nothing to cap.
    public func cachedUDPReply(to query: ByteBuffer, into reply: UnsafeMutableRawBufferPointer) -> Int? {
        inner.cachedUDPReply(to: query, into: reply)
    }
}
