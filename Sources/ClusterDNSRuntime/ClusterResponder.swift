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

    public init(store: ClusterStore, authority: Authority, transferAllow: [CIDR], readiness: Readiness) {
        self.store = store; self.authority = authority
        self.transferAllow = transferAllow; self.readiness = readiness
    }

    public func respond(to request: DNSRequest) -> DNSReply {
        let client = IPAddress(request.clientAddress)
        let context = QueryContext(
            isTCP: request.transport == .tcp,
            transferAllowed: client.map { c in transferAllow.contains { $0.contains(c) } } ?? false,
            canForward: false,
            synced: readiness.isReady)
        switch authority.process(request.bytes, context: context, snapshot: store.snapshot) {
        case .drop: return .drop
        case .reply(let bytes): return .message(bytes)
        case .transfer(let messages): return .stream(messages)
        case .forward: return .drop
        }
    }
}
