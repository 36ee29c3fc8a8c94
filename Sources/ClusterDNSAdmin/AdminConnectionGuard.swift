import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Bounds what one admin HTTP connection can hold (reliability rules §2: every per-connection
/// resource has a cap): at most `limit` connections are open at once (one more is closed as soon
/// as it is accepted), and a connection must deliver each whole request within `requestTimeout`
/// of its previous response (or of being opened), so a client that sends part of a request, or
/// nothing, and waits is closed. Held connections used to pile up until the process ran out of
/// file descriptors. Also answers `Expect: 100-continue` (RFC 9110 §10.1.1) with
/// `100 Continue`, so clients that ask (curl does for bodies over 1 MiB) send the body at once
/// instead of waiting a second for a reply that never came.
final class AdminConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Open connections, shared by every guard of one server.
    final class Count: Sendable {
        let open = Atomic<Int>(0)
    }

    let count: Count
    let limit: Int
    let requestTimeout: TimeAmount
    /// A request has been received whole and its response has not ended: the handler is busy,
    /// not the client.
    private var answering = false
    private var admitted = false
    private var deadline: Scheduled<Void>?

    init(count: Count, limit: Int, requestTimeout: TimeAmount) {
        self.count = count; self.limit = limit; self.requestTimeout = requestTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let open = count.open.wrappingAdd(1, ordering: .relaxed).newValue
        admitted = true
        guard open <= limit else {
            context.close(promise: nil)
            return
        }
        armDeadline(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        if admitted { count.open.wrappingSubtract(1, ordering: .relaxed); admitted = false }
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            if request.headerFields[.expect]?.lowercased() == "100-continue" {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            }
        case .body:
            break
        case .end:
            answering = true
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            answering = false
            armDeadline(context)                     // the next request has the same time
        }
        context.write(data, promise: promise)
    }

    /// Closes the connection unless a whole request arrives within `requestTimeout`.
    private func armDeadline(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: requestTimeout) { [weak self] in
            guard let self, !self.answering else { return }
            channel.close(promise: nil)
        }
    }
}
