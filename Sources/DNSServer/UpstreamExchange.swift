import NIOCore
import NIOPosix
import NIOExtras
import DNSModel
import DNSWire

/// Why one exchange with one upstream failed.
public enum UpstreamError: Error, Sendable, Equatable {
    /// No matching reply in time.
    case timeout
    /// The upstream refused the connection or the datagram (ICMP unreachable).
    case unreachable(String)
}

/// What a reply must match to be accepted (RFC 5452 §9.1): the ID we chose and the question
/// we asked (name compared case-insensitively, type, class). Anything else is ignored.
struct ReplyMatcher: Sendable {
    var id: UInt16
    var question: Question

    func accepts(_ bytes: ByteBuffer) -> Message? {
        guard bytes.readableBytes >= 12,
              let reply = try? Message(wire: bytes.readableBytesView),
              reply.isResponse, reply.id == id
        else { return nil }
        // A FORMERR without a question is how many servers that do not know EDNS answer one
        // (RFC 6891 §7); accepted on its ID alone, it can only make us ask again without EDNS.
        if reply.questions.isEmpty, reply.rcode == .formErr, reply.answers.isEmpty { return reply }
        guard reply.questions.count == 1, let q = reply.questions.first,
              q.name == question.name, q.type == question.type, q.class == question.class
        else { return nil }
        return reply
    }
}

/// One query over a fresh connected UDP socket (port 0: a new random source port each time).
final class UpstreamUDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let matcher: ReplyMatcher
    let promise: EventLoopPromise<Message>

    init(matcher: ReplyMatcher, promise: EventLoopPromise<Message>) {
        self.matcher = matcher; self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        // A connected socket only receives from the upstream; the matcher checks ID and question.
        if let reply = matcher.accepts(envelope.data) { promise.succeed(reply) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(UpstreamError.unreachable("\(error)"))
    }
}

/// One query over TCP with the two-byte length prefix (RFC 1035 §4.2.2).
final class UpstreamTCPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let matcher: ReplyMatcher
    let promise: EventLoopPromise<Message>

    init(matcher: ReplyMatcher, promise: EventLoopPromise<Message>) {
        self.matcher = matcher; self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let reply = matcher.accepts(Self.unwrapInboundIn(data)) { promise.succeed(reply) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(UpstreamError.unreachable("connection closed"))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(UpstreamError.unreachable("\(error)"))
        context.close(promise: nil)
    }
}

enum UpstreamExchange {
    /// Sends `query` to `address` and waits up to `timeout` for a matching reply.
    static func exchange(_ query: [UInt8], matcher: ReplyMatcher, to address: SocketAddress, tcp: Bool,
                         timeout: TimeAmount, on loop: any EventLoop) async throws -> Message {
        let promise = loop.makePromise(of: Message.self)
        let deadline = loop.scheduleTask(in: timeout) { promise.fail(UpstreamError.timeout) }
        let connect: EventLoopFuture<any Channel>
        if tcp {
            connect = ClientBootstrap(group: loop)
                .connectTimeout(timeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers([
                            ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .twoBytes)),
                            LengthFieldPrepender(lengthFieldBitLength: .twoBytes),
                            UpstreamTCPHandler(matcher: matcher, promise: promise),
                        ])
                    }
                }
                .connect(to: address)
        } else {
            connect = DatagramBootstrap(group: loop)
                // Room for any datagram (NIO reads 2,048 bytes by default, and a larger reply
                // would be cut and fail to parse): we advertise up to 4,096 (RFC 6891 §6.2.3),
                // and an upstream may send more.
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_535))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(UpstreamUDPHandler(matcher: matcher, promise: promise))
                    }
                }
                .connect(to: address)
        }
        connect.whenComplete { result in
            switch result {
            case .success(let channel):
                channel.writeAndFlush(channel.allocator.buffer(bytes: query)).whenFailure { error in
                    promise.fail(UpstreamError.unreachable("\(error)"))
                }
                promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
            case .failure(let error):
                promise.fail(UpstreamError.unreachable("\(error)"))
            }
        }
        promise.futureResult.whenComplete { _ in deadline.cancel() }
        return try await promise.futureResult.get()
    }
}
