import DNSServer
import NIOCore
import ClusterDNSAdmin

/// Counts every query and answer for `/metrics` and hands the query to the wrapped responder.
///
/// Cheap by design (the DNS hot path): the QTYPE is read from the request bytes by skipping the
/// QNAME labels, the RCODE and TC bit from the reply header, and the counters are pre-created,
/// so a query costs two clock reads, a few atomic adds and one histogram record.
public final class MetricsResponder: DNSResponder {
    let inner: any DNSResponder
    let metrics: ClusterDNSMetrics

    public init(wrapping inner: any DNSResponder, metrics: ClusterDNSMetrics) {
        self.inner = inner; self.metrics = metrics
    }

    public func respond(to request: DNSRequest) -> DNSReply {
        let start = ContinuousClock.now
        let tcp = request.transport == .tcp
        metrics.countRequest(type: Self.queryType(request.bytes), tcp: tcp)
        let reply = inner.respond(to: request)
        switch reply {
        case .drop:
            metrics.countDropped(duration: ContinuousClock.now - start)
        case .message(let bytes):
            record(bytes, start: start)
        case .stream(let messages):
            if let first = messages.first { record(first, start: start) } else { metrics.countDropped(duration: ContinuousClock.now - start) }
        case .deferred(let produce):
            let metrics = metrics
            return .deferred {
                let out = await produce()
                if let out { Self.record(out, metrics: metrics, start: start) } else { metrics.countDropped(duration: ContinuousClock.now - start) }
                return out
            }
        }
        return reply
    }

    /// Counts a fast-path hit exactly as `respond(to:)` counts the same query and reply.
    public func cachedUDPReply(to query: ByteBuffer, into reply: UnsafeMutableRawBufferPointer) -> Int? {
        let start = ContinuousClock.now
        guard let length = inner.cachedUDPReply(to: query, into: reply), length >= 4 else { return nil }
        let type = query.withUnsafeReadableBytes { Self.queryType($0) }
        metrics.countRequest(type: type, tcp: false)
        metrics.countResponse(rcode: reply[3] & 0x0F, truncated: reply[2] & 0x02 != 0,
                              duration: ContinuousClock.now - start)
        return length
    }

    @inline(__always)
    func record(_ bytes: [UInt8], start: ContinuousClock.Instant) {
        Self.record(bytes, metrics: metrics, start: start)
    }

    @inline(__always)
    static func record(_ bytes: [UInt8], metrics: ClusterDNSMetrics, start: ContinuousClock.Instant) {
        guard bytes.count >= 4 else { metrics.countDropped(duration: ContinuousClock.now - start); return }
        metrics.countResponse(rcode: bytes[3] & 0x0F, truncated: bytes[2] & 0x02 != 0,
                              duration: ContinuousClock.now - start)
    }

    /// The QTYPE of the first question, or nil when the message has none or is cut short.
    static func queryType<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) -> UInt16? where Bytes.Index == Int {
        guard bytes.count >= 12, bytes[4] != 0 || bytes[5] != 0 else { return nil }
        var i = 12
        while i < bytes.count {
            let length = Int(bytes[i])
            if length == 0 { i += 1; break }
            if length & 0xC0 == 0xC0 { i += 2; break }
            guard length & 0xC0 == 0 else { return nil }
            i += length + 1
        }
        guard i + 1 < bytes.count else { return nil }
        return UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])
    }
}
