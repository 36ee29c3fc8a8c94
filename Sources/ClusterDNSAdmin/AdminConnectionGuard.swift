import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Bounds what one admin HTTP connection can hold (reliability rules §2: every per-connection
/// resource has a cap): at most `limit` connections are open at once (one more is closed as soon
/// as it is accepted); a connection may wait `idleTimeout` for its first request or between
/// requests, and then has `requestTimeout` from a request's head to its last body byte. A client
/// that sends part of a request, or nothing, and waits is closed. Held connections used to pile
/// up until the process ran out of file descriptors. Also answers `Expect: 100-continue` (RFC
/// 9110 §10.1.1) with `100 Continue` when the request declares a body within the size limit, so
/// clients that ask (curl does for bodies over 1 MiB) send it at once instead of waiting a second
/// for a reply that never came; a body over the limit gets its 413 without being sent.
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
    let idleTimeout: TimeAmount
    let requestTimeout: TimeAmount
    let maxBodyBytes: Int
    /// A request has been received whole and its response has not ended: the handler is busy,
    /// not the client.
    private var answering = false
    private var admitted = false
    private var deadline: Scheduled<Void>?

    init(count: Count, limit: Int, idleTimeout: TimeAmount, requestTimeout: TimeAmount, maxBodyBytes: Int) {
        self.count = count; self.limit = limit; self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout; self.maxBodyBytes = maxBodyBytes
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let open = count.open.wrappingAdd(1, ordering: .relaxed).newValue
        admitted = true
        guard open <= limit else {
            context.close(promise: nil)
            return
        }
        armDeadline(context, in: idleTimeout)
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
            armDeadline(context, in: requestTimeout)     // the rest of this request
            // Not while a response to an earlier, pipelined request is still being written: the
            // interim response would land inside it (the client sends the body after its wait).
            if !answering, request.headerFields[.expect]?.lowercased() == "100-continue", Self.declaresBody(request, within: maxBodyBytes) {
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
            armDeadline(context, in: idleTimeout)    // until the next request begins
        }
        context.write(data, promise: promise)
    }

    /// Whether the request declares a body (a non-zero `Content-Length`, or chunked) no larger
    /// than `limit`: only then is `100 Continue` worth sending.
    static func declaresBody(_ request: HTTPRequest, within limit: Int) -> Bool {
        if let length = request.headerFields[.contentLength].flatMap(Int.init) { return length > 0 && length <= limit }
        return request.headerFields[.transferEncoding]?.lowercased().contains("chunked") == true
    }

    /// Closes the connection unless a whole request has arrived `after` from now.
    private func armDeadline(_ context: ChannelHandlerContext, in after: TimeAmount) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: after) { [weak self] in
            guard let self, !self.answering else { return }
            channel.close(promise: nil)
        }
    }
}
