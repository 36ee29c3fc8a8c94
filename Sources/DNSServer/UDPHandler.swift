import NIOCore
import Logging

/// Answers DNS over UDP in place on the event loop (one handler per channel).
final class UDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let responder: any DNSResponder
    let logger: Logger

    init(responder: any DNSResponder, logger: Logger) {
        self.responder = responder; self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        let remote = envelope.remoteAddress
        if let out = responder.cachedUDPReply(to: envelope.data) {
            context.write(Self.wrapOutboundOut(AddressedEnvelope(remoteAddress: remote, data: out)), promise: nil)
            return
        }
        let bytes = Array(envelope.data.readableBytesView)
        let request = DNSRequest(bytes: bytes, transport: .udp, remote: remote)
        switch responder.respond(to: request) {
        case .drop, .stream:
            return
        case .message(let out):
            let buffer = context.channel.allocator.buffer(bytes: out)
            context.write(Self.wrapOutboundOut(AddressedEnvelope(remoteAddress: remote, data: buffer)), promise: nil)
        case .deferred(let produce):
            let channel = context.channel
            let loop = context.eventLoop
            let promise = loop.makePromise(of: [UInt8]?.self)
            promise.completeWithTask { await produce() }
            promise.futureResult.whenSuccess { out in
                guard let out else { return }
                let buffer = channel.allocator.buffer(bytes: out)
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: buffer), promise: nil)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A UDP socket error (e.g. ICMP port unreachable) concerns one peer only: keep serving.
        logger.debug("udp error", metadata: ["error": "\(error)"])
    }
}
