import Foundation
import TestSupport
import Testing
import DNSModel
import DNSWire
import ClusterDNSRuntime

/// The UDP listener reads datagrams in batches (recvmmsg) and answers each batch with one
/// sendmmsg, cached replies with the query's ID written in as they are copied out.
@Suite("UDP listener: batches")
struct UDPListenerTests {
    @Test("a burst of different queries from one socket: each reply answers its own query, cached or not")
    func burst() async throws {
        try await withServer { server in
            let names: [DomainName] = ["web-0.web.default.svc.cluster.local.", "web.default.svc.cluster.local.",
                                       "missing.default.svc.cluster.local.", "_http._tcp.web.default.svc.cluster.local."]
            let types: [RecordType] = [.a, .a, .a, .srv]
            // Three rounds of the same 4 × 12 questions, each query with an ID of its own: the first
            // round computes the replies, the later ones come from the answer cache in batches.
            var first: [Int: [UInt8]] = [:]
            for round in 0..<3 {
                var sent: [UInt16: Int] = [:]
                var queries: [[UInt8]] = []
                for i in 0..<48 {
                    let id = UInt16(round * 1000 + i + 1)
                    sent[id] = i % 4
                    queries.append(Message.query(names[i % 4], types[i % 4], id: id).wire())
                }
                let port = server.port, burst = queries
                let replies = try await offPool { try UDPBurst.exchange(burst, to: port, quietMilliseconds: 1000) }
                #expect(replies.count == 48, "round \(round): \(replies.count) replies")
                var seen: Set<UInt16> = []
                for reply in replies {
                    let message = try Message(wire: reply)
                    let id = message.id
                    guard let which = sent[id] else { Issue.record("reply with an ID never sent: \(id)"); continue }
                    #expect(seen.insert(id).inserted, "two replies to \(id)")
                    #expect(message.questions.first?.name == names[which])
                    if let earlier = first[which] {
                        #expect(Array(reply[2...]) == Array(earlier[2...]), "round \(round), \(names[which])")
                    } else {
                        first[which] = reply
                    }
                }
            }
            #expect(first.count == 4)
        }
    }

    @Test("one UDP socket per address, read by every thread (not one socket per thread)")
    func oneSocketPerAddress() async throws {
        // With a socket per thread (SO_REUSEPORT) the kernel pins each client to one socket, and a
        // descheduled thread stalls its clients while the other cores idle. /proc/net/udp lists
        // every bound UDP socket as `sl local_address:PORT …` (addresses and ports in hex).
        try await withServer { server in
            let table = try String(contentsOfFile: "/proc/net/udp", encoding: .utf8)
            let local = "0100007F:" + String(format: "%04X", server.port)
            let sockets = table.split(separator: "\n").filter { $0.split(separator: " ").dropFirst().first == Substring(local) }
            #expect(sockets.count == 1, "\(sockets.count) UDP sockets on \(local)")
            // And the two threads serve it: a burst is answered in full.
            let queries = (0..<64).map { i in Message.query("web.default.svc.cluster.local.", .a, id: UInt16(i + 1)).wire() }
            let port = server.port
            let replies = try await offPool { try UDPBurst.exchange(queries, to: port, quietMilliseconds: 1000) }
            #expect(replies.count == 64)
            // The readers carry a kernel thread name (`top -H`, the churn benchmark's per-thread CPU).
            let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
            let names = tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
            #expect(names.contains { $0.hasPrefix("cdns-udp-") }, "thread names: \(Set(names).sorted())")
        }
    }

    @Test("stopping the server frees the UDP port at once")
    func stopFreesThePort() async throws {
        var port = 0
        try await withServer { server in port = server.port }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        let bound = withLoopback(port: port) { bind(fd, $0, $1) }
        #expect(bound == 0, "port \(port) still held after stop (errno \(errno))")
    }
}
