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

    private init(boundAddresses: [(host: String, port: Int)], channels: [any Channel]) {
        self.boundAddresses = boundAddresses; self.channels = channels
    }

    /// Binds every listener. For port 0 the TCP port is chosen first and UDP binds the same number.
    public static func start(configuration: DNSServerConfiguration, responder: any DNSResponder,
                             group: any EventLoopGroup, logger: Logger) async throws -> DNSServer {
        var channels: [any Channel] = []
        var bound: [(String, Int)] = []
        do {
            for (host, port) in configuration.listen {
                let tcp = try await bindTCP(host: host, port: port, configuration: configuration,
                                            responder: responder, group: group, logger: logger)
                channels.append(tcp)
                let actual = tcp.localAddress?.port ?? port
                // One UDP socket per event loop on the same port (SO_REUSEPORT): the kernel spreads
                // datagrams over them, so every core answers UDP in place.
                for loop in group.makeIterator() {
                    let udp = try await bindUDP(host: host, port: actual, responder: responder,
                                                group: loop, logger: logger)
                    channels.append(udp)
                }
                bound.append((host, actual))
            }
        } catch {
            for c in channels { try? await c.close() }
            throw error
        }
        return DNSServer(boundAddresses: bound, channels: channels)
    }

    static func bindUDP(host: String, port: Int, responder: any DNSResponder,
                        group: any EventLoopGroup, logger: Logger) async throws -> any Channel {
        try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(ChannelOptions.socket(SocketOptionLevel(SOL_SOCKET), SO_REUSEPORT), value: 1)
            // recvmmsg: 16 datagrams per read; the allocator must hold 16 maximum-size slots.
            .channelOption(.datagramVectorReadMessageCount, value: 16)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 16 * 4096))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UDPHandler(responder: responder, logger: logger))
                }
            }
            .bind(host: host, port: port).get()
    }

    static func bindTCP(host: String, port: Int, configuration: DNSServerConfiguration,
                        responder: any DNSResponder, group: any EventLoopGroup,
                        logger: Logger) async throws -> any Channel {
        let limit = configuration.maxTCPConnections
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ConnectionLimiter(limit: limit))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        tcpHandlers(configuration: configuration, responder: responder, logger: logger))
                }
            }
            .bind(host: host, port: port).get()
    }

    /// The handlers of one accepted TCP connection, in pipeline order: idle timeout, per-message
    /// timeout, two-byte length-prefix framing in and out (RFC 1035 §4.2.2), and the DNS handler.
    /// Fresh instances on every call (they hold per-connection state). The server installs exactly
    /// these; the TCP fuzzer (Fuzz/FuzzTCP) drives them in an `EmbeddedChannel`.
    public static func tcpHandlers(configuration: DNSServerConfiguration, responder: any DNSResponder,
                                   logger: Logger) -> [any ChannelHandler] {
        let idle = TimeAmount.nanoseconds(Int64(configuration.tcpIdleTimeout.components.seconds) * 1_000_000_000
            + configuration.tcpIdleTimeout.components.attoseconds / 1_000_000_000)
        let messageTimeout = TimeAmount.nanoseconds(Int64(configuration.tcpMessageTimeout.components.seconds) * 1_000_000_000
            + configuration.tcpMessageTimeout.components.attoseconds / 1_000_000_000)
        return [
            IdleStateHandler(readTimeout: idle),
            TCPMessageTimeoutHandler(limit: messageTimeout),
            ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .twoBytes)),
            LengthFieldPrepender(lengthFieldBitLength: .twoBytes),
            TCPHandler(responder: responder, logger: logger),
        ]
    }

    /// Closes every listener.
    public func stop() async {
        for c in channels { try? await c.close() }
    }
}
