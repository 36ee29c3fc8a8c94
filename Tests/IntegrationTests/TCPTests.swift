import Foundation
import TestSupport
import Testing
import DNSModel
import DNSServer
import ClusterDNSRuntime

/// DNS over TCP per RFC 7766 (reliability.md §4, cases 51, 53, 59).
@Suite("DNS over TCP", .serialized)
struct TCPTests {
    static let names: [DomainName] = [
        "web-0.web.default.svc.cluster.local.", "web-1.web.default.svc.cluster.local.",
        "web.default.svc.cluster.local.", "api.shop.svc.cluster.local.", "kubernetes.default.svc.cluster.local.",
        "www.example.test.", "registry.cluster.local.", "frontend.shop.svc.cluster.local.",
        "nope.default.svc.cluster.local.", "dns-version.cluster.local.",
    ]

    @Test("10 queries pipelined in one write get 10 answers, matched by ID")
    func pipelined() async throws {
        try await withServer { server async throws in
            let port = server.port
            let replies = try await offPool { () -> [Message] in
                let tcp = try #require(RawTCP(port: port))
                tcp.send(Self.names.enumerated().flatMap { i, n in framed(.query(n, .a, id: UInt16(1000 + i))) })
                return (0..<10).compactMap { _ in tcp.receiveMessage() }
            }
            #expect(replies.count == 10)
            #expect(Set(replies.map(\.id)) == Set((0..<10).map { UInt16(1000 + $0) }))
            for r in replies {
                #expect(r.questions.first?.name == Self.names[Int(r.id) - 1000])
            }
        }
    }

    @Test("a slow forward does not hold back later answers on the same connection")
    func deferredDoesNotBlock() async throws {
        let silent = SilentUDPSocket()
        try await withServer(configure: { $0.upstreams = [("127.0.0.1", silent.port)] }) { server async throws in
            let port = server.port
            let (fastReplies, fastTime, slow) = try await offPool { () -> ([Message], Double, Message?) in
                let tcp = try #require(RawTCP(port: port, receiveTimeoutMilliseconds: 5000))
                let start = ContinuousClock.now
                var bytes = framed(.query("slow.upstream.test.", .a, id: 1))
                for (i, n) in Self.names.prefix(9).enumerated() { bytes += framed(.query(n, .a, id: UInt16(2000 + i))) }
                tcp.send(bytes)
                let fast = (0..<9).compactMap { _ in tcp.receiveMessage() }
                let fastTime = seconds(since: start)
                return (fast, fastTime, tcp.receiveMessage())
            }
            #expect(fastReplies.count == 9)
            #expect(fastReplies.allSatisfy { $0.id >= 2000 })
            #expect(fastTime < 1, "\(fastTime) s")
            #expect(slow?.id == 1)
            #expect(slow?.rcode == .servFail)
        }
    }

    @Test("a silent connection and a half-sent message do not delay another client")
    func slowClients() async throws {
        try await withServer { server async throws in
            let port = server.port
            let (udpTime, tcpTime, answered) = try await offPool { () -> (Double, Double, Bool) in
                let silent = try #require(RawTCP(port: port))
                let oneByte = try #require(RawTCP(port: port))
                oneByte.send([0])
                let half = try #require(RawTCP(port: port))
                half.send([0, 100] + [UInt8](repeating: 0x41, count: 20))
                let client = DNSClient(port: port, timeoutMilliseconds: 2000)
                var start = ContinuousClock.now
                let udp = try client.exchange(.query("web-0.web.default.svc.cluster.local.", .a, id: 3))
                let udpTime = seconds(since: start)
                start = ContinuousClock.now
                let tcp = try client.exchange(.query("web-1.web.default.svc.cluster.local.", .a, id: 4), tcp: true)
                let tcpTime = seconds(since: start)
                _ = silent
                return (udpTime, tcpTime, udp.answers.count == 1 && tcp.answers.count == 1)
            }
            #expect(answered)
            #expect(udpTime < 1)
            #expect(tcpTime < 1)
        }
    }

    @Test("a half-sent message is closed after the message bound (2 s), well before the idle timeout")
    func halfSentClosed() async throws {
        try await withServer { server async throws in
            let port = server.port
            let (closed, took) = try await offPool { () -> (Bool, Double) in
                let tcp = try #require(RawTCP(port: port, receiveTimeoutMilliseconds: 8000))
                let start = ContinuousClock.now
                tcp.send([0, 100] + [UInt8](repeating: 0x41, count: 20))
                let closed = tcp.waitForClose()
                return (closed, seconds(since: start))
            }
            #expect(closed)
            #expect(took >= 1.5 && took < 4, "\(took) s")
        }
    }

    @Test("complete messages keep a connection open past the message bound")
    func steadyClientKept() async throws {
        try await withServer { server async throws in
            let port = server.port
            let ids = try await offPool { () -> [UInt16] in
                let tcp = try #require(RawTCP(port: port))
                var ids: [UInt16] = []
                for i in 0..<3 {
                    tcp.send(framed(.query("web-0.web.default.svc.cluster.local.", .a, id: UInt16(i))))
                    if let r = tcp.receiveMessage() { ids.append(r.id) }
                    Thread.sleep(forTimeInterval: 1.2)
                }
                return ids
            }
            #expect(ids == [0, 1, 2])
        }
    }

    @Test("at the connection cap, the connection idle longest makes room (RFC 7766 §6.2.3); connections younger than 1 s or waiting for a forward are kept, and a newcomer refused instead")
    func capEvictsIdlest() async throws {
        try await withServer(configure: { $0.maxTCPConnections = 4 }) { server async throws in
            let port = server.port
            let (refusedWhileYoung, answered, evicted, othersKept) = try await offPool { () -> (Bool, Bool, Bool, Bool) in
                // Four connections take every slot.
                var held: [RawTCP] = []
                for i in 0..<4 {
                    let c = try #require(RawTCP(port: port, receiveTimeoutMilliseconds: 3000))
                    c.send(framed(.query("web-0.web.default.svc.cluster.local.", .a, id: UInt16(i))))
                    guard c.receiveMessage()?.id == UInt16(i) else { return (false, false, false, false) }
                    held.append(c)
                }
                // All younger than a second: a fifth is refused, none of the four is closed.
                let young = try #require(RawTCP(port: port, receiveTimeoutMilliseconds: 3000))
                let refused = young.waitForClose()
                // The age rule is what is tested here, so time has to pass: not a synchronisation.
                Thread.sleep(forTimeInterval: 1.1)
                // Three of them are active again: the first is idle longest.
                for (i, c) in held.dropFirst().enumerated() {
                    c.send(framed(.query("web-0.web.default.svc.cluster.local.", .a, id: UInt16(10 + i))))
                    guard c.receiveMessage()?.id == UInt16(10 + i) else { return (refused, false, false, false) }
                }
                let client = DNSClient(port: port, timeoutMilliseconds: 3000)
                let reply = try client.exchange(.query("web-1.web.default.svc.cluster.local.", .a, id: 9), tcp: true)
                let evicted = held[0].waitForClose()
                var kept = true
                for (i, c) in held.dropFirst().enumerated() {
                    c.send(framed(.query("web-0.web.default.svc.cluster.local.", .a, id: UInt16(20 + i))))
                    kept = kept && c.receiveMessage()?.id == UInt16(20 + i)
                }
                return (refused, reply.answers.count == 1, evicted, kept)
            }
            #expect(refusedWhileYoung, "a newcomer is refused while every connection is younger than 1 s")
            #expect(answered, "a later client is answered")
            #expect(evicted, "the connection idle longest was closed")
            #expect(othersKept, "the other three still answer")
        }
    }
}
