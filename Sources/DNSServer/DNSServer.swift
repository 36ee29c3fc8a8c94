#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import NIOExtras
import Logging

/// UDP and TCP DNS listeners on every configured address, all answering through one responder.
public final class DNSServer: Sendable {
    /// The addresses actually bound (port 0 resolved), one per configured address.
    public let boundAddresses: [(host: String, port: Int)]
    private let channels: [any Channel]
    private let udpListeners: [UDPListener]

    private init(boundAddresses: [(host: String, port: Int)], channels: [any Channel], udpListeners: [UDPListener]) {
        self.boundAddresses = boundAddresses; self.channels = channels; self.udpListeners = udpListeners
    }

    /// Binds every listener. For port 0 the TCP port is chosen first and UDP binds the same number;
    /// when another program already holds that number for UDP, a new TCP port is chosen (up to 32
    /// tries), so port 0 never fails for a reason the caller cannot see.
    public static func start(configuration: DNSServerConfiguration, responder: any DNSResponder,
                             group: any EventLoopGroup, logger: Logger) async throws -> DNSServer {
        var channels: [any Channel] = []
        var listeners: [UDPListener] = []
        var bound: [(String, Int)] = []
        var binding = ("", 0)
        do {
            for (host, port) in configuration.listen {
                binding = (host, port)
                var attempt = 0
                while true {
                    let tcp = try await bindTCP(host: host, port: port, configuration: configuration,
                                                responder: responder, group: group, logger: logger)
                    let actual = tcp.localAddress?.port ?? port
                    let udp: UDPListener
                    do {
                        udp = try UDPListener(host: host, port: actual, responder: responder, group: group, logger: logger)
                    } catch {
                        try? await tcp.close()
                        guard port == 0, (error as? IOError)?.errnoCode == EADDRINUSE, attempt < 31 else { throw error }
                        attempt += 1
                        continue
                    }
                    channels.append(tcp)
                    listeners.append(udp)
                    bound.append((host, actual))
                    break
                }
            }
        } catch {
            for c in channels { try? await c.close() }
            for l in listeners { await l.stop() }
            throw DNSServerError.cannotBind(host: binding.0, port: binding.1, IOError.plainReason(error))
        }
        // One UDP socket per address, read by one thread per event loop (per core). Not one socket
        // per thread (SO_REUSEPORT): the kernel hashes each client to one of those sockets, so a
        // thread that is descheduled (by the store's writer, say) stalls its clients while the
        // other cores idle; with a shared socket the other threads keep draining it. Measured
        // under 10,000 changes/s: +19–27 % queries/s, quiet throughput unchanged (docs/performance.md).
        let threads = max(1, Array(group.makeIterator()).count)
        for l in listeners { l.start(threads: threads) }
        return DNSServer(boundAddresses: bound, channels: channels, udpListeners: listeners)
    }

    static func bindTCP(host: String, port: Int, configuration: DNSServerConfiguration,
                        responder: any DNSResponder, group: any EventLoopGroup,
                        logger: Logger) async throws -> any Channel {
        let connections = TCPConnections(limit: configuration.maxTCPConnections)
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ConnectionLimiter(connections: connections))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        tcpHandlers(configuration: configuration, responder: responder, logger: logger, connections: connections))
                }
            }
            .bind(host: host, port: port).get()
    }

    /// The handlers of one accepted TCP connection, in pipeline order: idle timeout, per-message
    /// timeout, two-byte length-prefix framing in and out (RFC 1035 §4.2.2), and the DNS handler.
    /// Fresh instances on every call (they hold per-connection state). The server installs exactly
    /// these; the TCP fuzzer (Fuzz/FuzzTCP) drives them in an `EmbeddedChannel`.
    /// The idle timeout counts reads and completed writes alike: a client that is still reading
    /// a long run of pipelined replies is not idle.
    public static func tcpHandlers(configuration: DNSServerConfiguration, responder: any DNSResponder,
                                   logger: Logger) -> [any ChannelHandler] {
        tcpHandlers(configuration: configuration, responder: responder, logger: logger, connections: nil)
    }

    static func tcpHandlers(configuration: DNSServerConfiguration, responder: any DNSResponder,
                            logger: Logger, connections: TCPConnections?) -> [any ChannelHandler] {
        let idle = TimeAmount(configuration.tcpIdleTimeout)
        let messageTimeout = TimeAmount(configuration.tcpMessageTimeout)
        return [
            IdleStateHandler(allTimeout: idle),
            TCPMessageTimeoutHandler(limit: messageTimeout),
            ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .twoBytes)),
            LengthFieldPrepender(lengthFieldBitLength: .twoBytes),
            TCPHandler(responder: responder, logger: logger, connections: connections),
        ]
    }

    /// Closes every listener.
    public func stop() async {
        for c in channels { try? await c.close() }
        for l in udpListeners { await l.stop() }
    }
}

extension IOError {
    /// The system's text for a failed call (`Address already in use (errno 98)`), without NIO's
    /// description, which names the syscall's Swift signature and has a stray parenthesis.
    static func plainReason(_ error: any Error) -> String {
        guard let io = error as? IOError else { return "\(error)" }
        return "\(String(cString: strerror(io.errnoCode))) (errno \(io.errnoCode))"
    }
}

/// Why the DNS listeners did not start.
public enum DNSServerError: Error, CustomStringConvertible {
    /// A listen address could not be bound (in use, not local, no permission), with the
    /// system's reason.
    case cannotBind(host: String, port: Int, String)

    /// `cannot listen for DNS on HOST:PORT: reason`.
    public var description: String {
        switch self {
        case .cannotBind(let host, let port, let reason):
            "cannot listen for DNS on \(host.contains(":") ? "[\(host)]" : host):\(port): \(reason)"
        }
    }
}
