/// The transport a query arrived on.
public enum DNSTransport: String, Sendable {
    case udp, tcp
}

/// One query as the transport received it.
public struct DNSRequest: Sendable {
    /// The raw message (without the TCP length prefix).
    public var bytes: [UInt8]
    public var transport: DNSTransport
    /// The client's IP address in text form, and its port.
    public var clientAddress: String
    public var clientPort: Int
    public init(bytes: [UInt8], transport: DNSTransport, clientAddress: String, clientPort: Int) {
        self.bytes = bytes; self.transport = transport
        self.clientAddress = clientAddress; self.clientPort = clientPort
    }
}

/// What to do with a request.
public enum DNSReply: Sendable {
    /// Send nothing (RFC 1035 §4.1.1 responses, runts: no reaction).
    case drop
    /// Send these bytes at once.
    case message([UInt8])
    /// Send what the closure produces, later (forwarded queries); nil sends nothing.
    case deferred(@Sendable () async -> [UInt8]?)
    /// For TCP only: several messages in order (zone transfers, RFC 5936 §2.2).
    case stream([[UInt8]])
}

/// Answers queries. Called on the event loop that received the query, so it must not block;
/// anything slow goes in a `.deferred` reply.
public protocol DNSResponder: Sendable {
    /// Builds the reply for one request.
    func respond(to request: DNSRequest) -> DNSReply
}
