// libFuzzer target: bytes → the production TCP pipeline (`DNSServer.tcpHandlers`: idle timeout,
// per-message timeout, length-prefix framing in and out, TCPHandler) in an EmbeddedChannel,
// answered from a small cluster. The input is a byte stream from a client, delivered in several
// writes cut at input-derived boundaries. Every message the server sends must be a two-byte length
// prefix equal to the payload's length, followed by a payload that parses as a DNS response (QR)
// carrying the ID of one of the framed queries; a stream that ends inside a message must be closed
// by the message timeout, and one that does not must stay open through it. Closing the connection
// on bad input is allowed; crashing is not.
//
// Input layout: byte 0 = number of cuts (mod 8), then one byte per cut = that write's length
// (0 is an empty write), then the stream; what the cuts leave over is the last write.
import DNSModel
import DNSWire
import DNSServer
import ClusterModel
import ClusterDNS
import FuzzCluster
import Logging
import NIOCore
import NIOEmbedded

let snapshot = FuzzCluster.snapshot
let authority = FuzzCluster.authority

/// Maps the authority's outcome to a transport reply the way ClusterResponder does (without its
/// answer cache, readiness or forwarder: transfers allowed, nothing forwarded).
struct FuzzResponder: DNSResponder {
    func respond(to request: DNSRequest) -> DNSReply {
        let context = QueryContext(isTCP: request.transport == .tcp, transferAllowed: true, canForward: false, synced: true)
        switch authority.process(request.bytes, context: context, snapshot: snapshot) {
        case .drop, .forward: return .drop
        case .reply(let bytes): return .message(bytes)
        case .transfer(let messages): return .stream(messages)
        }
    }
}

let configuration = DNSServerConfiguration(listen: [])
let logger = Logger(label: "fuzz-tcp", factory: { _ in SwiftLogNoOpLogHandler() })

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTCP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let cutCount = min(Int(input[0] % 8), input.count - 1)
    let stream = Array(input[(1 + cutCount)...])
    var writes: [ArraySlice<UInt8>] = []
    var offset = 0
    for cut in input[1..<(1 + cutCount)] {
        let end = min(offset + Int(cut), stream.count)
        writes.append(stream[offset..<end])
        offset = end
    }
    writes.append(stream[offset...])

    // What a correct framer makes of the stream: the complete messages, and whether it ends inside one.
    var frames: [ArraySlice<UInt8>] = []
    var position = 0
    while stream.count - position >= 2 {
        let length = Int(stream[position]) << 8 | Int(stream[position + 1])
        guard stream.count - position - 2 >= length else { break }
        frames.append(stream[(position + 2)..<(position + 2 + length)])
        position += 2 + length
    }
    let endsMidMessage = position < stream.count
    let queryIDs = Set(frames.filter { $0.count >= 2 }.map { UInt16($0[$0.startIndex]) << 8 | UInt16($0[$0.startIndex + 1]) })

    let channel = EmbeddedChannel(handlers: DNSServer.tcpHandlers(configuration: configuration, responder: FuzzResponder(),
                                                                  logger: logger))
    do {
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5353)).wait()
    } catch {
        preconditionFailure("embedded connect failed: \(error)")
    }
    var sent: [ByteBuffer] = []
    func drain() {
        while let buffer = try? channel.readOutbound(as: ByteBuffer.self) { sent.append(buffer) }
    }
    for write in writes {
        guard channel.isActive else { break }                     // the server may hang up on bad input
        do { try channel.writeInbound(channel.allocator.buffer(bytes: write)) } catch { break }
        channel.embeddedEventLoop.run()
        drain()
    }
    let openAfterWrites = channel.isActive
    // Past the per-message timeout (2 s) but not the idle timeout (10 s).
    channel.embeddedEventLoop.advanceTime(by: .milliseconds(2500))
    drain()
    if openAfterWrites {
        precondition(channel.isActive != endsMidMessage,
                     endsMidMessage ? "a partial message outlived the message timeout" : "a connection between messages was closed by the message timeout")
    }
    channel.embeddedEventLoop.advanceTime(by: .seconds(11))
    _ = try? channel.finish(acceptAlreadyClosed: true)
    drain()

    // LengthFieldPrepender writes the prefix and the payload as two buffers.
    precondition(sent.count % 2 == 0, "odd number of outbound buffers: a prefix without its payload")
    var replies = 0
    for index in stride(from: 0, to: sent.count, by: 2) {
        let prefix = Array(sent[index].readableBytesView)
        let payload = Array(sent[index + 1].readableBytesView)
        precondition(prefix.count == 2, "length prefix of \(prefix.count) bytes")
        precondition(Int(prefix[0]) << 8 | Int(prefix[1]) == payload.count, "length prefix differs from the payload length")
        guard let reply = try? Message(wire: payload) else { preconditionFailure("reply does not parse") }
        precondition(reply.isResponse, "reply without QR")
        precondition(queryIDs.contains(reply.id), "reply ID matches no query")
        replies += 1
    }
    precondition(replies == 0 || !frames.isEmpty, "a reply without a complete query")
    return 0
}

#if !FUZZING
import FuzzSupport
/// Without libFuzzer: replays corpus files or directories given as arguments.
@main struct Replay {
    static func main() throws { try replayCorpus(Array(CommandLine.arguments.dropFirst()), into: fuzzTCP) }
}
#endif
