import NIOCore
import DNSModel
import DNSServer
import ClusterDNS
import ClusterModel
import ClusterDNSAdmin

/// Adapts the pure `Authority` to the transport: reads the current snapshot, decides what the
/// client may do, and maps the outcome to a transport reply. A class, so the per-datagram calls
/// through the responder chain pass one reference instead of copying its fields.
public final class ClusterResponder: DNSResponder {
    let store: ClusterStore
    /// The zones answered from, replaced as a whole when the zone files are reloaded; boxed, so
    /// reading it is one retain.
    private let zones: Locked<AuthorityBox>
    let transferAllow: [CIDR]
    let readiness: Readiness
    /// Takes names outside our zones when upstreams are configured; nil: REFUSED.
    let forwarder: Forwarder?
    /// Replies already computed from the current snapshot (see `AnswerCache`).
    let cache: AnswerCache
    /// Where the cache's hits and misses are counted.
    let metrics: ClusterDNSMetrics?

    public init(store: ClusterStore, authority: Authority, transferAllow: [CIDR], readiness: Readiness,
                forwarder: Forwarder? = nil, metrics: ClusterDNSMetrics? = nil) {
        self.store = store; zones = Locked(AuthorityBox(authority))
        self.transferAllow = transferAllow; self.readiness = readiness
        self.forwarder = forwarder; self.metrics = metrics
        cache = AnswerCache(marks: store.changeMarks)
    }

    /// The zones answered from.
    public var authority: Authority { zones.withLock { $0 }.authority }

    /// Answers from `authority` from now on. The answer cache is emptied, and a reply still being
    /// computed from the previous zones is not cached (`AnswerCache.removeAll`).
    public func replace(authority: Authority) {
        zones.withLock { $0 = AuthorityBox(authority) }
        cache.removeAll()
    }

    public func respond(to request: DNSRequest) -> DNSReply {
        let isTCP = request.transport == .tcp
        let synced = readiness.isReady
        let snapshot = store.snapshot
        // Transfers are TCP-only, so only TCP clients need their address checked.
        let transferAllowed = isTCP && IPAddress(request.clientAddress).map { c in transferAllow.contains { $0.contains(c) } } == true
        // Same query bytes + same snapshot + same rights = same reply: serve it from the cache.
        // Over UDP the transport has already asked `cachedUDPReply` and missed: no second lookup.
        let cacheable = synced && AnswerCache.cacheable(length: request.bytes.count)
        if cacheable, isTCP {
            let key = AnswerCache.Key(query: ByteBuffer(bytes: request.bytes), tcp: isTCP, transferAllowed: transferAllowed)
            if let hit = cache.reply(for: key, in: snapshot) {
                metrics?.countAnswerCache(hit: true)
                return .message(Array(hit.readableBytesView))
            }
        }
        let context = QueryContext(isTCP: isTCP, transferAllowed: transferAllowed,
                                   canForward: forwarder != nil, synced: synced)
        // The epoch first, then the zones: a reply from zones replaced meanwhile is not cached.
        let epoch = cache.epoch
        let authority = self.authority
        var scope = ReplyScope.snapshot
        switch authority.process(request.bytes, context: context, snapshot: snapshot, scope: &scope) {
        case .drop: return .drop
        case .reply(let bytes):
            if let forwarder, let chase = chasingExternalTarget(bytes, request: request, snapshot: snapshot,
                                                                forwarder: forwarder) {
                return chase
            }
            if cacheable {
                metrics?.countAnswerCache(hit: false)
                cache.store(bytes, query: request.bytes, tcp: isTCP, transferAllowed: transferAllowed,
                            snapshot: snapshot, scope: scope, epoch: epoch)
            }
            return .message(bytes)
        case .transfer(let messages): return .stream(messages)
        case .forward(let query):
            guard let forwarder else { return .drop }
            return forwarder.respond(to: query, maxSize: replyLimit(query, transport: request.transport))
        }
    }

    /// The UDP fast path: a reply cached under the current snapshot for these query bytes, when it
    /// is neither an error reply (those are rate capped per client) nor anything but a plain answer,
    /// copied into `reply` with the query's ID. UDP clients have no transfer right, so the key
    /// needs nothing about the client.
    public func cachedUDPReply(to query: ByteBuffer, into reply: UnsafeMutableRawBufferPointer) -> Int? {
        guard readiness.isReady else { return nil }
        let key = AnswerCache.Key(query: query, tcp: false, transferAllowed: false)
        guard let length = cache.copyReply(for: key, generation: store.generation, into: reply),
              length >= 4 else { return nil }
        switch reply[3] & 0x0F {
        case 0, 3:                                           // NOERROR, NXDOMAIN
            metrics?.countAnswerCache(hit: true)
            return length
        default: return nil
        }
    }
}

/// An `Authority` behind one reference.
final class AuthorityBox: Sendable {
    let authority: Authority
    init(_ authority: Authority) { self.authority = authority }
}
