import Foundation
import TestSupport
import Testing
import DNSModel
import DNSWire
import DNSServer

/// A UDP upstream on 127.0.0.1 that answers each query with whatever `reply` returns (raw bytes,
/// or nil for silence), and keeps the queries it got. Served from its own thread; stops on deinit.
final class ScriptedUpstream: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let stopped = Locked(false)
    private let received = Locked<[Message]>([])
    private let done = DispatchSemaphore(value: 0)

    init(reply: @escaping @Sendable (Message) -> [UInt8]?) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        _ = withLoopback(port: 0) { bind(fd, $0, $1) }
        self.fd = fd
        port = boundPort(fd)
        Thread.detachNewThread { [fd, stopped, received, done] in
            var buffer = [UInt8](repeating: 0, count: 65_535)
            while !stopped.withLock({ $0 }) {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, 50) > 0 else { continue }
                var from = sockaddr_storage(), length = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let n = withUnsafeMutablePointer(to: &from) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &length) }
                }
                guard n > 0, let query = try? Message(wire: buffer[0..<n]) else { continue }
                received.withLock { $0.append(query) }
                guard let out = reply(query) else { continue }
                _ = withUnsafePointer(to: &from) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, out, out.count, 0, $0, length) }
                }
            }
            done.signal()
        }
    }

    /// The queries received so far.
    var queries: [Message] { received.withLock { $0 } }

    deinit {
        stopped.withLock { $0 = true }
        done.wait()
        close(fd)
    }

    /// A reply to `query` with its ID and question, `rcode`, `answers`, and OPT when `edns`.
    static func reply(to query: Message, rcode: ResponseCode = .noError, answers: [ResourceRecord] = [],
                      edns: Bool? = nil, questions: Bool = true) -> [UInt8] {
        Message(id: query.id, isResponse: true, recursionDesired: true, recursionAvailable: true, rcode: rcode,
                questions: questions ? query.questions : [], answers: answers,
                edns: (edns ?? (query.edns != nil)) ? EDNS(udpPayloadSize: 4096) : nil).wire()
    }

    /// `reply(to:)` with the AD bit set, as a validating resolver answers.
    static func authenticated(to query: Message) -> [UInt8] {
        var m = Message(id: query.id, isResponse: true, recursionDesired: true, recursionAvailable: true,
                        questions: query.questions, answers: a(query),
                        edns: query.edns != nil ? EDNS(udpPayloadSize: 4096) : nil)
        m.authenticData = true
        return m.wire()
    }

    static func a(_ query: Message, count: Int = 1, ttl: UInt32 = 60) -> [ResourceRecord] {
        (0..<count).map { i in
            ResourceRecord(name: query.questions[0].name, ttl: ttl, data: .a(IPv4Address(192, 0, 2, UInt8(i % 250 + 1))))
        }
    }
}

/// Upstreams that misbehave in the ways real ones do (RFC 6891 §6.2.5, §7; RFC 2181 §8).
@Suite("Upstream faults", .serialized)
struct UpstreamFaultTests {
    func ask(_ port: Int, _ args: [String]) async throws -> String {
        try await digAsync(port, ["+time=5", "+tries=1"] + args)
    }

    @Test("a UDP reply larger than NIO's default 2,048-byte read is received whole (we offer 4,096)")
    func largeDatagram() async throws {
        // 150 A records: ~2,450 bytes (names compressed), under the 4,096 we advertise.
        let upstream = ScriptedUpstream { q in ScriptedUpstream.reply(to: q, answers: ScriptedUpstream.a(q, count: 150)) }
        try await withServer(configure: { $0.upstreams = [("127.0.0.1", upstream.port)]; $0.maxUDPSize = 4096 }) { server async throws in
            let out = try await ask(server.port, ["+tcp", "big.faults.test"])
            #expect(digStatus(out) == "NOERROR")
            #expect(digAnswers(out).count == 150)
            #expect(upstream.queries.count == 1)
        }
    }

    @Test("an upstream without EDNS: FORMERR (with or without the question) → asked again without OPT")
    func ednsFallback() async throws {
        for withQuestion in [true, false] {
            let upstream = ScriptedUpstream { q in
                q.edns != nil ? ScriptedUpstream.reply(to: q, rcode: .formErr, edns: false, questions: withQuestion)
                              : ScriptedUpstream.reply(to: q, answers: ScriptedUpstream.a(q))
            }
            try await withServer(configure: { $0.upstreams = [("127.0.0.1", upstream.port)] }) { server async throws in
                let start = ContinuousClock.now
                let out = try await ask(server.port, ["old.faults.test"])
                #expect(digStatus(out) == "NOERROR")
                #expect(digAnswers(out) == ["old.faults.test. A 192.0.2.1"])
                #expect(seconds(since: start) < 1.8, "no wait for the 2 s timeout")
                #expect(upstream.queries.map { $0.edns != nil } == [true, false])
            }
        }
    }

    @Test("FORMERR or BADVERS that persists: SERVFAIL, never an error blaming the client's query")
    func rejectedQuery() async throws {
        let formErr = ScriptedUpstream { q in ScriptedUpstream.reply(to: q, rcode: .formErr) }
        let badVers = ScriptedUpstream { q in ScriptedUpstream.reply(to: q, rcode: .badVers, edns: true) }
        for upstream in [formErr, badVers] {
            try await withServer(configure: { $0.upstreams = [("127.0.0.1", upstream.port)] }) { server async throws in
                #expect(digStatus(try await ask(server.port, ["x.faults.test"])) == "SERVFAIL")
                #expect(digStatus(try await ask(server.port, ["+noedns", "y.faults.test"])) == "SERVFAIL")
            }
        }
    }

    @Test("BADVERS to our EDNS query, an answer without EDNS: the answer")
    func badVersThenPlain() async throws {
        let upstream = ScriptedUpstream { q in
            q.edns != nil ? ScriptedUpstream.reply(to: q, rcode: .badVers, edns: true)
                          : ScriptedUpstream.reply(to: q, answers: ScriptedUpstream.a(q))
        }
        try await withServer(configure: { $0.upstreams = [("127.0.0.1", upstream.port)] }) { server async throws in
            let out = try await ask(server.port, ["+noedns", "v.faults.test"])
            #expect(digStatus(out) == "NOERROR")
            #expect(digAnswers(out) == ["v.faults.test. A 192.0.2.1"])
        }
    }

    @Test("a TTL with the top bit set counts as 0: passed on as 0 and not cached (RFC 2181 §8)")
    func hugeTTL() async throws {
        let upstream = ScriptedUpstream { q in ScriptedUpstream.reply(to: q, answers: ScriptedUpstream.a(q, ttl: 0x8000_0000)) }
        try await withServer(configure: { $0.upstreams = [("127.0.0.1", upstream.port)] }) { server async throws in
            for _ in 0..<2 {
                #expect(digTTLs(try await ask(server.port, ["ttl.faults.test"])) == [0])
            }
            #expect(upstream.queries.count == 2, "a TTL of 0 is not cached")
        }
    }

    @Test("AD: always asked for upstream; passed on to a client that set AD or DO (RFC 6840 §5.7), to no other")
    func authenticData() async throws {
        let upstream = ScriptedUpstream { q in ScriptedUpstream.authenticated(to: q) }
        try await withServer(configure: { $0.upstreams = [("127.0.0.1", upstream.port)] }) { server async throws in
            #expect(digFlags(try await ask(server.port, ["+adflag", "ad1.faults.test"])).contains("ad"))
            #expect(digFlags(try await ask(server.port, ["+noadflag", "+dnssec", "ad2.faults.test"])).contains("ad"))
            #expect(!digFlags(try await ask(server.port, ["+noadflag", "ad3.faults.test"])).contains("ad"))
            // From the cache as well: a client with AD hears it, one without does not.
            #expect(digFlags(try await ask(server.port, ["+adflag", "ad3.faults.test"])).contains("ad"))
            #expect(upstream.queries.allSatisfy { $0.authenticData })
        }
    }

    @Test("a lost datagram: the only upstream is asked again; loop tags a query arrived with are carried on, ours added")
    func retryAndLoopTags() async throws {
        let asked = Locked(0)
        let upstream = ScriptedUpstream { q in
            // The first query is lost; the second is answered.
            asked.withLock { n in n += 1; return n } == 1 ? nil : ScriptedUpstream.reply(to: q, answers: ScriptedUpstream.a(q))
        }
        try await withServer(configure: {
            $0.upstreams = [("127.0.0.1", upstream.port)]
            $0.forwardTimeout = .milliseconds(500)
        }) { server async throws in
            let out = try await ask(server.port, ["+ednsopt=65001:0102030405060708", "lost.faults.test"])
            #expect(digStatus(out) == "NOERROR")
            #expect(digAnswers(out) == ["lost.faults.test. A 192.0.2.1"])
            let queries = upstream.queries
            #expect(queries.count == 2)
            let tags = queries.last?.edns?.options.filter { $0.code == Forwarder.loopTagOption }.map(\.data) ?? []
            #expect(tags.count == 2 && tags.first == [1, 2, 3, 4, 5, 6, 7, 8], "\(tags)")
        }
    }

    @Test("a partial reverse name above one of our addresses is ours (NODATA), never the upstream's NXDOMAIN (RFC 8020); one above none is forwarded")
    func reverseBranches() async throws {
        let upstream = ScriptedUpstream { q in ScriptedUpstream.reply(to: q, rcode: .nxDomain) }
        try await withServer(configure: { $0.upstreams = [("127.0.0.1", upstream.port)] }) { server async throws in
            // api.shop's cluster IP is 10.96.0.10 (examples/).
            for name in ["0.96.10.in-addr.arpa", "96.10.in-addr.arpa", "10.in-addr.arpa"] {
                let out = try await ask(server.port, [name, "PTR"])
                #expect(digStatus(out) == "NOERROR", "\(name): \(out)")
                #expect(digFlags(out).contains("aa"), "\(name)")
            }
            #expect(try await digShortAsync(server.port, ["-x", "10.96.0.10"]) == ["api.shop.svc.cluster.local."])
            let asked = upstream.queries.count
            #expect(digStatus(try await ask(server.port, ["97.10.in-addr.arpa", "PTR"])) == "NXDOMAIN")
            #expect(upstream.queries.count == asked + 1, "forwarded")
        }
    }
}
