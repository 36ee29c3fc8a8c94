import DNSModel
import DNSServer
import ClusterDNS
import ClusterModel

/// Adapts the pure `Authority` to the transport: reads the current snapshot, decides what the
/// client may do, and maps the outcome to a transport reply.
public struct ClusterResponder: DNSResponder {
    let store: ClusterStore
    let authority: Authority
    let transferAllow: [CIDR]
    let readiness: Readiness
    /// Takes names outside our zones when upstreams are configured; nil: REFUSED.
    let forwarder: Forwarder?
    /// Replies already computed from the current snapshot (see `AnswerCache`).
    let cache = AnswerCache()

    public init(store: ClusterStore, authority: Authority, transferAllow: [CIDR], readiness: Readiness,
                forwarder: Forwarder? = nil) {
        self.store = store; self.authority = authority
        self.transferAllow = transferAllow; self.readiness = readiness
        self.forwarder = forwarder
    }

    public func respond(to request: DNSRequest) -> DNSReply {
        let isTCP = request.transport == .tcp
        let synced = readiness.isReady
        let snapshot = store.snapshot
        // Transfers are TCP-only, so only TCP clients need their address checked.
        let transferAllowed = isTCP && IPAddress(request.clientAddress).map { c in transferAllow.contains { $0.contains(c) } } == true
        // Same query bytes + same snapshot + same rights = same reply: serve it from the cache.
        let key = synced ? AnswerCache.key(request.bytes, tcp: isTCP, transferAllowed: transferAllowed) : nil
        if let key, let hit = cache.reply(for: key, generation: snapshot.generation,
                                          id: (request.bytes[0], request.bytes[1])) {
            return .message(hit)
        }
        let context = QueryContext(isTCP: isTCP, transferAllowed: transferAllowed,
                                   canForward: forwarder != nil, synced: synced)
        switch authority.process(request.bytes, context: context, snapshot: snapshot) {
        case .drop: return .drop
        case .reply(let bytes):
            if let forwarder, let chase = chasingExternalTarget(bytes, request: request, snapshot: snapshot,
                                                                forwarder: forwarder) {
                return chase
            }
            if let key { cache.store(bytes, for: key, generation: snapshot.generation) }
            return .message(bytes)
        case .transfer(let messages): return .stream(messages)
        case .forward(let query):
            guard let forwarder else { return .drop }
            return forwarder.respond(to: query, maxSize: replyLimit(query, transport: request.transport))
        }
    }
}
