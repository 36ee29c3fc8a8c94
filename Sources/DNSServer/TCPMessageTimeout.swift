import NIOCore

/// Bounds the time to receive one length-prefixed DNS message once its first byte has arrived
/// (RFC 7766 §6.2.3: a server may close a connection that is too slow). Sits before the frame
/// decoder, follows the two-byte length prefixes itself, passes every byte on unchanged, and
/// closes the connection when a started message is not complete within `limit`. The idle
/// timeout between messages is a separate handler. While the connection is not writable the
/// server reads nothing (`TCPHandler`'s back pressure: the client is not reading its replies), so
/// a message cannot complete for the server's own reasons: the time is then not held against it.
final class TCPMessageTimeoutHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let limit: TimeAmount
    /// Bytes of the length prefix seen so far (0 or 1), or the body bytes still expected.
    private var prefixBytes = 0
    private var firstPrefixByte: UInt8 = 0
    private var bodyRemaining = 0
    private var timer: Scheduled<Void>?

    init(limit: TimeAmount) { self.limit = limit }

    private var midMessage: Bool { prefixBytes > 0 || bodyRemaining > 0 }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = Self.unwrapInboundIn(data)
        var completed = false
        var view = buffer.readableBytesView[...]
        while !view.isEmpty {
            if bodyRemaining > 0 {
                let n = min(bodyRemaining, view.count)
                view = view.dropFirst(n)
                bodyRemaining -= n
                if bodyRemaining == 0 { completed = true }
            } else if prefixBytes == 0 {
                firstPrefixByte = view.first!
                view = view.dropFirst()
                prefixBytes = 1
            } else {
                let length = Int(firstPrefixByte) << 8 | Int(view.first!)
                view = view.dropFirst()
                prefixBytes = 0
                bodyRemaining = length
                if length == 0 { completed = true }
            }
        }
        if !midMessage {
            timer?.cancel(); timer = nil
        } else if timer == nil || completed {
            arm(context)
        }
        context.fireChannelRead(data)
    }

    /// Closes the connection after `limit`, unless reads are held for back pressure then (the
    /// connection not writable): then it waits another `limit`.
    private func arm(_ context: ChannelHandlerContext) {
        timer?.cancel()
        let channel = context.channel
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: limit) { [weak self] in
            guard let self else { return }
            if channel.isWritable { channel.close(promise: nil) } else { self.arm(context) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel(); timer = nil
        context.fireChannelInactive()
    }
}
