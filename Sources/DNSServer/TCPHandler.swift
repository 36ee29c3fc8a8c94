import DNSModel
import NIOCore
import NIOConcurrencyHelpers
import Logging

/// Answers DNS over TCP (RFC 7766): framed messages in, framed messages out, pipelined.
/// Immediate replies are written at once; deferred (forwarded) replies when they are ready, so a
/// slow forward never holds back later answers on the connection (RFC 7766 §6.2.1.1: clients
/// match replies by ID, in any order).
///
/// Back pressure: while the connection is not writable (its unsent replies are over NIO's high
/// water mark, 64 KiB, because the client does not read them), queries already received wait
/// unanswered and nothing more is read from the socket; the kernel's buffers then fill and the
/// client's sends block. A client that pipelines queries and never reads holds a bounded amount
/// of memory (a query waits as its ~40 bytes, not as its reply), instead of having every reply
/// buffered (one such connection grew the server by 1.3 GiB in 5 s).
final class TCPHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let responder: any DNSResponder
    let logger: Logger
    /// The server's connection table, told of this connection's activity (nil in the fuzzer).
    let connections: TCPConnections?
    /// Where this connection's deferred replies run: its own event loop, made once when the
    /// handler joins the pipeline.
    private var executor: EventLoopTaskExecutor?
    /// Queries received while the connection was not writable, answered in order once it is.
    private var waiting = CircularBuffer<ByteBuffer>()
    /// A read was asked for while queries were waiting: it is passed on once they are answered.
    private var readHeld = false

    init(responder: any DNSResponder, logger: Logger, connections: TCPConnections? = nil) {
        self.responder = responder; self.logger = logger; self.connections = connections
    }

    func handlerAdded(context: ChannelHandlerContext) {
        executor = EventLoopTaskExecutor(context.eventLoop)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = Self.unwrapInboundIn(data)
        guard waiting.isEmpty, context.channel.isWritable else {
            waiting.append(buffer)
            return
        }
        answer(buffer, context: context)
    }

    /// Answers one framed query.
    private func answer(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        connections?.touch(context.channel)
        let remote = context.remoteAddress
        let request = DNSRequest(bytes: Array(buffer.readableBytesView), transport: .tcp, remote: remote)
        switch responder.respond(to: request) {
        case .drop:
            return
        case .message(let out):
            context.write(Self.wrapOutboundOut(context.channel.allocator.buffer(bytes: out)), promise: nil)
        case .stream(let messages):
            for out in messages {
                context.write(Self.wrapOutboundOut(context.channel.allocator.buffer(bytes: out)), promise: nil)
            }
            context.flush()
        case .deferred(let produce):
            let channel = context.channel
            let executor = executor ?? EventLoopTaskExecutor(context.eventLoop)
            let connections = connections
            connections?.touch(channel, pending: 1)
            executor.run(produce) { out in
                connections?.touch(channel, pending: -1)
                channel.writeAndFlush(channel.allocator.buffer(bytes: out), promise: nil)
            }
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { connections?.touch(context.channel) }   // the client reads again
        while context.channel.isWritable, let next = waiting.popFirst() {
            answer(next, context: context)
        }
        context.flush()
        if waiting.isEmpty, context.channel.isWritable, readHeld {
            readHeld = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    /// Reads from the socket only while no query waits and replies can be written.
    func read(context: ChannelHandlerContext) {
        guard waiting.isEmpty, context.channel.isWritable else {
            readHeld = true
            return
        }
        context.read()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)          // RFC 7766 §6.2.3: idle connections are closed
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("tcp error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}

/// The open TCP connections and when each was last active (a query read, a reply written, or
/// the client reading again after back pressure). At the cap, the connection idle longest is
/// closed to make room for a new one (RFC 7766 §6.2.3: under pressure, close idle connections
/// first), so a client that holds every slot with connections it keeps barely alive cannot lock
/// other clients out of TCP (and so out of answers too large for UDP, and zone transfers). A
/// connection waiting for a forwarded reply, or open for less than `minimumAge`, is never
/// chosen: when every connection is such, the new one is refused instead, so a flood of new
/// connections cannot push out the ones being served.
final class TCPConnections: Sendable {
    private struct Entry {
        let channel: any Channel
        let admitted: NIODeadline
        var lastActive: NIODeadline
        var pending = 0
    }
    let limit: Int
    let minimumAge: TimeAmount
    private let entries = NIOLockedValueBox([ObjectIdentifier: Entry]())

    init(limit: Int, minimumAge: TimeAmount = .seconds(1)) {
        self.limit = max(1, limit); self.minimumAge = minimumAge
    }

    /// Open connections now.
    var count: Int { entries.withLockedValue { $0.count } }

    /// Admits `channel`, closing the connection idle longest when the cap is reached; false
    /// (and `channel` closed) when no open connection may be closed for it.
    func admit(_ channel: any Channel) -> Bool {
        let now = NIODeadline.now()
        let (admitted, evicted): (Bool, (any Channel)?) = entries.withLockedValue { open in
            var oldest: (ObjectIdentifier, Entry)?
            if open.count >= limit {
                for (id, e) in open where e.pending == 0 && e.admitted + minimumAge <= now
                    && oldest.map({ e.lastActive < $0.1.lastActive }) ?? true {
                    oldest = (id, e)
                }
                guard let (id, _) = oldest else { return (false, nil) }
                open[id] = nil
            }
            open[ObjectIdentifier(channel)] = Entry(channel: channel, admitted: now, lastActive: now)
            return (true, oldest?.1.channel)
        }
        guard admitted else {
            channel.close(promise: nil)
            return false
        }
        evicted?.close(promise: nil)
        channel.closeFuture.whenComplete { [entries] _ in
            entries.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) }
        }
        return true
    }

    /// Records activity on `channel`; `pending` counts replies it waits for (+1 when a forward
    /// starts, -1 when its reply is written).
    func touch(_ channel: any Channel, pending: Int = 0) {
        let now = NIODeadline.now()
        entries.withLockedValue { open in
            guard var e = open[ObjectIdentifier(channel)] else { return }
            e.lastActive = now
            e.pending += pending
            open[ObjectIdentifier(channel)] = e
        }
    }
}

/// Admits each accepted TCP connection into `TCPConnections` (which makes room at the cap, or
/// refuses it).
final class ConnectionLimiter: ChannelInboundHandler, Sendable {
    typealias InboundIn = Channel
    let connections: TCPConnections

    init(connections: TCPConnections) { self.connections = connections }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard connections.admit(Self.unwrapInboundIn(data)) else { return }
        context.fireChannelRead(data)
    }
}
