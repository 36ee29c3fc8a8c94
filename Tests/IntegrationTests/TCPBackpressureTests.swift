import Testing
import Logging
import NIOCore
import NIOEmbedded
import DNSServer

/// DNS over TCP reads no more queries than it can answer: a client that pipelines queries and
/// never reads its replies is held by the kernel's buffers, not by the server's memory.
@Suite("TCP back pressure")
struct TCPBackpressureTests {
    /// Answers each query with its own bytes followed by 3,000 zero bytes (a large answer).
    struct EchoResponder: DNSResponder {
        func respond(to request: DNSRequest) -> DNSReply { .message(request.bytes + [UInt8](repeating: 0, count: 3000)) }
    }

    /// Counts the reads that reach the socket end of the pipeline.
    final class ReadCounter: ChannelOutboundHandler, @unchecked Sendable {
        typealias OutboundIn = ByteBuffer
        var reads = 0
        func read(context: ChannelHandlerContext) { reads += 1; context.read() }
    }

    @Test("while not writable, queries wait unanswered and reads are held; then answered in order")
    func queriesWaitWhileNotWritable() throws {
        let counter = ReadCounter()
        // The handlers the server installs, minus framing (frames are written whole here).
        let handlers = DNSServer.tcpHandlers(configuration: .init(), responder: EchoResponder(), logger: Logger(label: "test"))
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(try #require(handlers.last))
        func query(_ n: UInt8) -> ByteBuffer { ByteBuffer(bytes: [0, n, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]) }
        func replyID() throws -> UInt8? { try channel.readOutbound(as: ByteBuffer.self).map { $0.getInteger(at: 1, as: UInt8.self)! } }

        try channel.writeInbound(query(1))
        #expect(try replyID() == 1)
        channel.read()
        #expect(counter.reads == 1)

        channel.isWritable = false                   // the client stopped reading
        try channel.writeInbound(query(2))
        try channel.writeInbound(query(3))
        #expect(try replyID() == nil)                // no reply piles up
        channel.read()
        channel.read()
        #expect(counter.reads == 1)                  // nothing more is read from the socket

        channel.isWritable = true                    // the client read some
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(try replyID() == 2)
        #expect(try replyID() == 3)
        #expect(try replyID() == nil)
        #expect(counter.reads == 2)                  // the held read goes on, once
        try channel.writeInbound(query(4))           // and new queries are answered at once
        #expect(try replyID() == 4)
        _ = try channel.finish()
    }

    @Test("a message held back by the server's own back pressure is not timed out; a slow sender still is")
    func messageTimeoutSparesHeldReads() throws {
        // The server's handlers: idle timeout, per-message timeout (2 s), framing, DNS.
        let handlers = DNSServer.tcpHandlers(configuration: .init(), responder: EchoResponder(), logger: Logger(label: "test"))
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(handlers[1])    // the per-message timeout
        try channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 53)).wait()
        try channel.writeInbound(ByteBuffer(bytes: [0, 12, 0, 1]))     // a message begun: 4 of 14 bytes
        channel.isWritable = false                                    // replies pile up: reads are held
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(channel.isActive)                                     // not the client's fault
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        #expect(!channel.isActive)                                    // now it is: closed
    }
}
