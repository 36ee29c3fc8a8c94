import Foundation
import TestSupport
import Testing
import ClusterModel
import DNSModel
import DNSServer
import DNSWire
@testable import ClusterDNSRuntime
import ClusterDNS
import NIOCore

/// The UDP fast path (replies cached per snapshot generation, looked up from the datagram as
/// received) answers exactly what the general path does, counts every query, and is never stale.
@Suite("Answer cache and the UDP fast path", .serialized)
struct AnswerCacheTests {
    func exchange(_ bytes: [UInt8], port: Int) async throws -> [UInt8] {
        try await offPool { try DNSClient(port: port, timeoutMilliseconds: 2000).exchangeRaw(bytes) }
    }

    /// The counter value of `clusterdns_dns_requests_total{type="A",transport="udp"}`.
    func udpAQueries(_ server: ClusterDNSServer) -> Double {
        let text = String(decoding: server.metrics.render(snapshot: nil), as: UTF8.self)
        let line = text.split(separator: "\n").first {
            $0.hasPrefix("clusterdns_dns_requests_total{") && $0.contains("type=\"A\"") && $0.contains("transport=\"udp\"")
        }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    @Test("a repeated query gets the first reply again, with its own ID; each one is counted")
    func repeatedQueryIsTheSameReply() async throws {
        try await withServer { server in
            let name: DomainName = "web-0.web.default.svc.cluster.local."
            let before = udpAQueries(server)
            var replies: [[UInt8]] = []
            for id: UInt16 in [0x0101, 0x0202, 0x0303, 0xFFFF] {
                replies.append(try await exchange(Message.query(name, .a, id: id).wire(), port: server.port))
            }
            for (reply, id) in zip(replies, [0x0101, 0x0202, 0x0303, 0xFFFF] as [UInt16]) {
                let message = try Message(wire: reply)
                #expect(message.id == id)
                #expect(message.answers.count == 1)
                #expect(Array(reply[2...]) == Array(replies[0][2...]))  // all but the ID: byte for byte
            }
            #expect(udpAQueries(server) - before == 4)
        }
    }

    @Test("a cached NXDOMAIN turns into the answer as soon as the service exists, and back")
    func newSnapshotIsNeverStale() async throws {
        try await withServer { server in
            let query = Message.query("late.default.svc.cluster.local.", .a, id: 7).wire()
            for _ in 0..<3 { #expect(try Message(wire: try await exchange(query, port: server.port)).rcode == .nxDomain) }
            let yaml = """
            apiVersion: v1
            kind: Service
            metadata: {name: late, namespace: default}
            spec: {clusterIP: 10.96.77.7, ports: [{port: 80}]}
            """
            _ = server.store.replace(source: "test", with: try ManifestDecoder.decode(Array(yaml.utf8), source: "test").objects)
            for _ in 0..<3 {
                let reply = try Message(wire: try await exchange(query, port: server.port))
                #expect(reply.rcode == .noError)
                #expect(reply.answers.map(\.data) == [.a(IPv4Address(10, 96, 77, 7))])
            }
            _ = server.store.replace(source: "test", with: [])
            #expect(try Message(wire: try await exchange(query, port: server.port)).rcode == .nxDomain)
        }
    }
}
