import Foundation
import TestSupport
import Testing
import DNSModel
import DNSWire
import DNSServer
import ClusterDNSRuntime

/// Malformed and unusual packets get the RFC reaction, and the server keeps answering.
@Suite("Front door: malformed and unusual packets", .serialized)
struct FrontDoorTests {
    /// A well-formed query for `name`/`type`, as bytes.
    func query(_ name: DomainName = "web-0.web.default.svc.cluster.local.", _ type: RecordType = .a,
               id: UInt16 = 0x1234, edns: EDNS? = nil) -> [UInt8] {
        Message.query(name, type, id: id, edns: edns).wire()
    }

    /// Sends `bytes` over UDP; nil when no reply came.
    func send(_ bytes: [UInt8], port: Int) async -> Message? {
        let client = DNSClient(port: port, timeoutMilliseconds: 300)
        guard let raw = try? await offPool({ try client.exchangeRaw(bytes) }) else { return nil }
        return try? Message(wire: raw)
    }

    /// The server still answers a normal query at once.
    func stillServes(_ port: Int) async throws {
        let reply = try await offPool { try DNSClient(port: port).exchange(.query("web-0.web.default.svc.cluster.local.", .a)) }
        #expect(reply.answers.count == 1)
    }

    @Test("runts and responses are dropped (RFC 1035 §4.1.1)")
    func dropped() async throws {
        try await withServer { server in
            for n in [0, 1, 5, 11] {
                #expect(await send([UInt8](repeating: 0, count: n), port: server.port) == nil)
            }
            var response = query()
            response[2] |= 0x80
            #expect(await send(response, port: server.port) == nil)
            try await stillServes(server.port)
        }
    }

    @Test("FORMERR for what does not parse, echoing the ID")
    func formErr() async throws {
        try await withServer { server in
            let header = [UInt8](repeating: 0, count: 12)
            var cases: [[UInt8]] = [header]                                    // QDCOUNT 0
            cases.append([0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1])  // pointer to itself
            cases.append([0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x40, 0x61, 0, 0, 1, 0, 1]) // label type 0x40
            cases.append([0x12, 0x34, 0, 0, 0, 1, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 1, 0, 1])      // ANCOUNT lies
            var two = query()
            two[5] = 2                                                                         // QDCOUNT 2
            cases.append(two + two[12...])
            for c in cases {
                let reply = try #require(await send(c, port: server.port), "no reply to \(c)")
                #expect(reply.rcode == .formErr)
                #expect(reply.isResponse)
                #expect(reply.id == UInt16(c[0]) << 8 | UInt16(c[1]))
            }
            // A readable question before a bad record (two OPTs) is echoed, so the client can match.
            var twoOPT = query(edns: EDNS())
            twoOPT[11] = 2
            twoOPT += twoOPT.suffix(11)
            let reply = try #require(await send(twoOPT, port: server.port))
            #expect(reply.rcode == .formErr)
            #expect(reply.questions.map(\.name) == ["web-0.web.default.svc.cluster.local."], "\(reply)")
            try await stillServes(server.port)
        }
    }

    @Test("NOTIMP for other opcodes and MAILB/MAILA, REFUSED for other classes and outside names")
    func opcodesAndClasses() async throws {
        try await withServer { server in
            for opcode: UInt8 in [1, 2, 3, 4, 5, 6, 15] {
                var q = query()
                q[2] = (q[2] & 0x87) | (opcode << 3)
                let reply = try #require(await send(q, port: server.port))
                #expect(reply.rcode == .notImp)
                #expect(reply.opcode.rawValue == opcode)
                #expect(!reply.authoritative)
                #expect(reply.questions.count == 1, "the question (NOTIFY's, UPDATE's zone) is echoed")
            }
            var chaos = query()
            chaos[chaos.count - 1] = 3                                  // class CH
            #expect(await send(chaos, port: server.port)?.rcode == .refused)
            #expect(await send(query("www.example.org."), port: server.port)?.rcode == .refused)
            #expect(await send(query("cluster.local.", .axfr), port: server.port)?.rcode == .refused)   // AXFR over UDP
            // QTYPE MAILB, MAILA: valid (RFC 1035 §3.2.3), not served; OPT as QTYPE: malformed.
            for (type, rcode) in [(253, ResponseCode.notImp), (254, .notImp), (41, .formErr)] {
                #expect(await send(query("web.default.svc.cluster.local.", RecordType(rawValue: UInt16(type))), port: server.port)?.rcode == rcode)
            }
            try await stillServes(server.port)
        }
    }

    @Test("EDNS: BADVERS for version 1, OPT answers OPT, DO copied, UDP size respected (RFC 6891)")
    func edns() async throws {
        try await withServer { server in
            let bad = try #require(await send(query(edns: EDNS(version: 1)), port: server.port))
            #expect(bad.rcode == .badVers)
            #expect(bad.edns?.version == 0)
            #expect(bad.answers.isEmpty)
            let ok = try #require(await send(query(edns: EDNS(udpPayloadSize: 4096, dnssecOK: true, options: [EDNSOption(code: 100, data: [1, 2])])), port: server.port))
            #expect(ok.rcode == .noError)
            #expect(ok.edns?.dnssecOK == true)
            #expect(ok.edns?.options.isEmpty == true)
            #expect(ok.edns?.udpPayloadSize == 1232)
            let plain = try #require(await send(query(), port: server.port))
            #expect(plain.edns == nil)
        }
    }

    @Test("answers that do not fit 512 bytes are cut at a record boundary with TC; TCP gets all")
    func truncation() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clusterdns-trunc-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var yaml = """
        apiVersion: v1
        kind: Service
        metadata: {name: big, namespace: default}
        spec: {clusterIP: None, ports: [{name: http, port: 80}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: big-1, namespace: default, labels: {kubernetes.io/service-name: big}}
        addressType: IPv4
        ports: [{name: http, port: 80}]
        endpoints:

        """
        for i in 1...60 { yaml += "  - addresses: [10.9.0.\(i)]\n    hostname: member-\(i)\n" }
        try yaml.write(to: dir.appendingPathComponent("big.yaml"), atomically: true, encoding: .utf8)
        try await withServer(manifests: [dir.path]) { server in
            let raw = try await offPool { try DNSClient(port: server.port).exchangeRaw(query("_http._tcp.big.default.svc.cluster.local.", .srv)) }
            #expect(raw.count <= 512)
            let udp = try Message(wire: raw)
            #expect(udp.truncated)
            #expect(udp.answers.count < 60)
            let withEDNS = try await offPool { try DNSClient(port: server.port).exchangeRaw(query("big.default.svc.cluster.local.", .a, edns: EDNS(udpPayloadSize: 4096))) }
            #expect(withEDNS.count <= 1232)
            #expect(try Message(wire: withEDNS).answers.count == 60)
            let tcp = try await offPool { try DNSClient(port: server.port).exchange(.query("_http._tcp.big.default.svc.cluster.local.", .srv), tcp: true) }
            #expect(!tcp.truncated)
            #expect(tcp.answers.count == 60)
            let dig = try await run("dig", ["@127.0.0.1", "-p", "\(server.port)", "+time=2", "+tries=1", "+ignore", "+noedns",
                                      "_http._tcp.big.default.svc.cluster.local", "SRV"]).stdout
            #expect(digFlags(dig).contains("tc"))
        }
    }
}

/// Error replies are rate-capped per client network so garbage cannot be amplified through us.
@Suite("Error-reply rate cap")
struct ErrorRateCapTests {
    @Test("past the cap, UDP error replies are dropped and slipped as empty TC replies in turn, and counted; TCP and normal answers are not affected")
    func capped() async throws {
        try await withServer(configure: { $0.errorRepliesPerSecond = 10 }) { server in
            let port = server.port
            var chaos = Message.query("web-0.web.default.svc.cluster.local.", .a, edns: nil)
            chaos.questions[0].class = .chaos                       // REFUSED
            let bytes = chaos.wire()
            // One burst of 40 from one socket, then every reply that comes: the burst takes far
            // less than the refill of one token, however slow (e.g. sanitized) the build is.
            let started = ContinuousClock.now
            let replies = try await offPool {
                try UDPBurst.exchange(Array(repeating: bytes, count: 40), to: port, quietMilliseconds: 1000)
            }.compactMap { try? Message(wire: $0) }
            let refused = replies.filter { $0.rcode == .refused && !$0.truncated }
            let slipped = replies.filter { $0.truncated && $0.rcode == .noError && $0.answers.isEmpty && $0.questions == chaos.questions }
            #expect(refused.count + slipped.count == replies.count, "only REFUSED or empty TC replies")
            // A bucket of 10 that refills at 10/s: at most 10 + 10 × elapsed replies (+1 for rounding).
            let seconds = (ContinuousClock.now - started).inSeconds
            let allowed = 10 + Int((seconds * 10).rounded(.up)) + 1
            #expect(refused.count >= 10 && refused.count <= allowed, "\(refused.count) REFUSED of 40 in \(seconds) s with a cap of 10/s")
            // Past the cap, every other reply is slipped.
            let over = 40 - refused.count
            #expect(abs(slipped.count - (over + 1) / 2) <= 1, "\(slipped.count) slipped of \(over) over the cap")
            // A slipped client retries over TCP, which is not capped.
            let query = chaos
            let tcp = try await offPool { try DNSClient(port: port).exchange(query, tcp: true) }
            #expect(tcp.rcode == .refused)
            let ok = try await offPool { try DNSClient(port: port).exchange(.query("web-0.web.default.svc.cluster.local.", .a)) }
            #expect(ok.answers.count == 1)
            let text = String(decoding: server.metrics.render(snapshot: server.store.snapshot), as: UTF8.self)
            let line = text.split(separator: "\n").first { $0.hasPrefix("clusterdns_dns_error_replies_rate_limited_total ") }
            let capped = line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
            // Every reply past the cap is counted (a reply later than the quiet wait is not seen,
            // hence at most); the burst outran the refill, so at least one was.
            #expect(Int(capped) >= 1 && Int(capped) <= over, "metric line: \(String(describing: line))")
        }
    }
}

/// Sends one datagram `count` times from one UDP socket without waiting, then counts the replies
/// until none has come for `quietMilliseconds`.
enum UDPBurst {
    struct Failed: Error {}

    static func send(_ bytes: [UInt8], count: Int, to port: Int, quietMilliseconds: Int) throws -> Int {
        try exchange(Array(repeating: bytes, count: count), to: port, quietMilliseconds: quietMilliseconds).count
    }

    /// Sends every datagram of `queries` from one socket without waiting, then returns the replies
    /// that came, in arrival order, until none has come for `quietMilliseconds`.
    static func exchange(_ queries: [[UInt8]], to port: Int, quietMilliseconds: Int) throws -> [[UInt8]] {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw Failed() }
        defer { close(fd) }
        guard withLoopback(port: port, { connect(fd, $0, $1) }) == 0 else { throw Failed() }
        var timeout = timeval(tv_sec: quietMilliseconds / 1000, tv_usec: (quietMilliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var size: Int32 = 1 << 20  // room for every reply of the burst
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        for bytes in queries {
            guard Glibc.send(fd, bytes, bytes.count, 0) == bytes.count else { throw Failed() }
        }
        var replies: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { break }
            replies.append(Array(buffer[..<n]))
        }
        return replies
    }
}
