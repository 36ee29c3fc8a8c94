import DNSModel
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

final class ServerBox: @unchecked Sendable { var server: FakeAPIServer? }

final class FakeAPIHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let server: FakeAPIServer
    var head: HTTPRequestHead?

    init(server: FakeAPIServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head else { return }
            respond(context: context, head: head)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        server.forget(context.channel)
        context.fireChannelInactive()
    }

    func respond(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let comps = URLComponents(string: head.uri)
        var query: [String: String] = [:]
        for item in comps?.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let path = comps?.path ?? head.uri
        let channel = context.channel
        // Runs on the channel's event loop: live events written by other threads queue behind
        // the head and replay written here.
        let reply = server.handle(path: path, query: query, authorization: head.headers.first(name: "Authorization"), channel: channel)
        let delay = server.state.withLock { $0.pageDelay }
        switch reply {
        case .hold:
            break
        case .json(let status, let body):
            let version = head.version
            let write: @Sendable () -> Void = {
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: String(body.count))
                channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: version, status: status, headers: headers)), promise: nil)
                channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
                channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
            }
            if delay > .zero, query["watch"] == nil {
                context.eventLoop.scheduleTask(in: delay) { write() }
            } else {
                write()
            }
        case .watchGone(let event):
            writeWatchHead(channel, head.version)
            channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: event))), promise: nil)
            channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
        case .watch(let replay, let timeout):
            writeWatchHead(channel, head.version)
            for e in replay { channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: e))), promise: nil) }
            channel.flush()
            let server = self.server
            context.eventLoop.scheduleTask(in: .seconds(Int64(timeout))) {
                server.forget(channel)
                channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
            }
        }
    }

    func writeWatchHead(_ channel: any Channel, _ version: HTTPVersion) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Transfer-Encoding", value: "chunked")
        channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: version, status: .ok, headers: headers)), promise: nil)
    }
}
