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

    public init(store: ClusterStore, authority: Authority, transferAllow: [CIDR], readiness: Readiness,
                forwarder: Forwarder? = nil) {
        self.store = store; self.authority = authority
        self.transferAllow = transferAllow; self.readiness = readiness
        self.forwarder = forwarder
    }

    public func respond(to request: DNSRequest) -> DNSReply {
        let client = IPAddress(request.clientAddress)
        let context = QueryContext(
            isTCP: request.transport == .tcp,
            transferAllowed: client.map { c in transferAllow.contains { $0.contains(c) } } ?? false,
            canForward: forwarder != nil,
            synced: readiness.isReady)
        let snapshot = store.snapshot
        switch authority.process(request.bytes, context: context, snapshot: snapshot) {
        case .drop: return .drop
        case .reply(let bytes):
            if let forwarder, let chase = chasingExternalTarget(bytes, request: request, snapshot: snapshot,
                                                                forwarder: forwarder) {
                return chase
            }
            return .message(bytes)
        case .transfer(let messages): return .stream(messages)
        case .forward(let query):
            guard let forwarder else { return .drop }
            return forwarder.respond(to: query, maxSize: replyLimit(query, transport: request.transport))
        }
    }
}
