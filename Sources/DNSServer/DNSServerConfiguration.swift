/// Where and how the DNS listeners run.
public struct DNSServerConfiguration: Sendable {
    /// `host:port` pairs; each gets a UDP and a TCP listener. Port 0 picks a free port
    /// (the same one for UDP and TCP of one address).
    public var listen: [(host: String, port: Int)]
    /// Close a TCP connection with no complete query for this long (RFC 7766 §6.2.3).
    public var tcpIdleTimeout: Duration
    /// Most open TCP connections; past it a new connection is accepted and closed at once.
    public var maxTCPConnections: Int
    /// Close a TCP connection when a message, once started, is not complete within this long.
    public var tcpMessageTimeout: Duration = .seconds(2)
    /// Event loop threads (default: one per core).
    public var threads: Int

    public init(listen: [(host: String, port: Int)] = [("127.0.0.1", 1053)],
                tcpIdleTimeout: Duration = .seconds(10), maxTCPConnections: Int = 1000,
                threads: Int = System.coreCount) {
        self.listen = listen; self.tcpIdleTimeout = tcpIdleTimeout
        self.maxTCPConnections = maxTCPConnections; self.threads = threads
    }
}

import NIOCore
