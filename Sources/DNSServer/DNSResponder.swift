import NIOCore

/// The transport a query arrived on.
public enum DNSTransport: String, Sendable {
    case udp, tcp
}

/// One query as the transport received it.
public struct DNSRequest: Sendable {
    /// The raw message (without the TCP length prefix).
    public var bytes: [UInt8]
    public var transport: DNSTransport
    /// The peer, kept as NIO gave it: turning it into text costs an allocation per query, so that
    /// happens only when someone asks (error-reply rate limits, transfer checks, logs).
    let remote: SocketAddress?
    private let givenAddress: String?
    private let givenPort: Int?

    /// A request from a peer known by address text and port (tests, other transports).
    public init(bytes: [UInt8], transport: DNSTransport, clientAddress: String, clientPort: Int) {
        self.bytes = bytes; self.transport = transport
        self.remote = nil; self.givenAddress = clientAddress; self.givenPort = clientPort
    }

    init(bytes: [UInt8], transport: DNSTransport, remote: SocketAddress?) {
        self.bytes = bytes; self.transport = transport
        self.remote = remote; self.givenAddress = nil; self.givenPort = nil
    }

    /// The client's IP address in text form. An IPv4 client of a dual-stack `[::]` listener, which
    /// the kernel shows as an IPv4-mapped address (`::ffff:10.1.2.3`, RFC 4291 §2.5.5.2), is given
    /// as the IPv4 address it is, so `--transfer-allow 127.0.0.0/8` and the per-/24 error-reply
    /// cap treat it as IPv4 (as Go's `IPNet.Contains` does for CoreDNS).
    public var clientAddress: String { Self.unmapped(givenAddress ?? remote?.ipAddress ?? "") }

    /// `address` without the IPv4-mapped prefix, when it has one.
    static func unmapped(_ address: String) -> String {
        guard address.count > 7, address.lowercased().hasPrefix("::ffff:") else { return address }
        let tail = address.dropFirst(7)
        return tail.contains(".") && !tail.contains(":") ? String(tail) : address
    }
    /// The client's port.
    public var clientPort: Int { givenPort ?? remote?.port ?? 0 }
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

/// Answers queries. Called on the thread that received the query (a UDP listener thread, or the
/// TCP connection's event loop), so it must not block; anything slow goes in a `.deferred` reply.
public protocol DNSResponder: Sendable {
    /// Builds the reply for one request.
    func respond(to request: DNSRequest) -> DNSReply

    /// The UDP fast path: a reply already at hand for `query` (the datagram as received), copied
    /// into `reply` with the query's ID; returns its length, or nil to take the general path
    /// through `respond(to:)`. It must give exactly what `respond(to:)` would, and only replies
    /// that need no per-client decision (no error reply, which is rate capped per client
    /// network). No copy of the query and no allocation: a hit is one copy into the send buffer.
    func cachedUDPReply(to query: ByteBuffer, into reply: UnsafeMutableRawBufferPointer) -> Int?
}

extension DNSResponder {
    /// No fast path: every query goes through `respond(to:)`.
    public func cachedUDPReply(to query: ByteBuffer, into reply: UnsafeMutableRawBufferPointer) -> Int? { nil }
}
