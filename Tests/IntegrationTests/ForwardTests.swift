import Foundation
import TestSupport
import Testing
import DNSModel
import DNSServer
import ClusterDNSRuntime
import NIOCore

/// Forwarding to a second local clusterdns serving `upstreamZones` (never a public address).
@Suite("Forwarding to upstreams", .serialized)
struct ForwardTests {
    @Test("A, AAAA, MX, CNAME and NXDOMAIN forwarded; client ID and spelling kept; RA set; cluster names still ours and never cached")
    func forwards() async throws {
        try await withUpstream { upstream async throws in
            try await withServer(configure: { $0.upstreams = [("127.0.0.1", upstream.port)] }) { server async throws in
                let port = server.port
                #expect(try await digShortAsync(port, ["www.upstream.test"]) == ["192.0.2.80"])
                #expect(try await digShortAsync(port, ["www.upstream.test", "AAAA"]) == ["2001:db8::80"])
                #expect(try await digShortAsync(port, ["upstream.test", "MX"]) == ["10 mail.upstream.test."])
                #expect(try await digShortAsync(port, ["+tcp", "alias.upstream.test"]) == ["192.0.2.80", "www.upstream.test."])
                let a = try await digAsync(port, ["www.upstream.test"])
                #expect(digStatus(a) == "NOERROR")
                #expect(digFlags(a).contains("ra"))
                #expect(!digFlags(a).contains("aa"))
                let nx = try await digAsync(port, ["nope.upstream.test"])
                #expect(digStatus(nx) == "NXDOMAIN")
                #expect(nx.contains("AUTHORITY: 1"))
                // Our own client: the reply carries the client's ID and question spelling.
                let client = DNSClient(port: port, timeoutMilliseconds: 3000)
                let reply = try await offPool {
                    try client.exchange(.query("WwW.UpStReAm.TeSt.", .a, id: 4242))
                }
                #expect(reply.id == 4242)
                #expect(reply.questions.first?.name.description == "WwW.UpStReAm.TeSt.")
                #expect(reply.recursionAvailable)
                #expect(reply.answers.map(\.data) == [.a(IPv4Address(192, 0, 2, 80))])
                let noEDNS = try await offPool { try client.exchange(.query("mail.upstream.test.", .a, id: 7, edns: nil)) }
                #expect(noEDNS.edns == nil)
                #expect(noEDNS.answers.map(\.data) == [.a(IPv4Address(192, 0, 2, 25))])
                // Cluster and static-zone answers stay authoritative and are never cached.
                let cache = try #require(server.forwarder?.cache)
                let entries = cache.count
                let cluster = try await digAsync(port, ["web-0.web.default.svc.cluster.local"])
                #expect(digFlags(cluster).contains("aa"))
                #expect(digAnswers(cluster) == ["web-0.web.default.svc.cluster.local. A 10.244.1.10"])
                #expect(try await digShortAsync(port, ["www.example.test"]) == ["192.0.2.10"])
                #expect(cache.count == entries)
            }
        }
    }

    @Test("TC from the upstream: retried over TCP; the client gets all of it over TCP, TC over UDP")
    func truncatedUpstreamRetriedOverTCP() async throws {
        try await withUpstream { upstream async throws in
            try await withServer(configure: { $0.upstreams = [("127.0.0.1", upstream.port)] }) { server async throws in
                // 100 A records do not fit the 1232 bytes we offer the upstream over UDP.
                let tcp = try await digShortAsync(server.port, ["+tcp", "big.upstream.test"])
                #expect(tcp.count == 100)
                let udp = try await digAsync(server.port, ["+notcp", "+ignore", "+bufsize=1232", "big.upstream.test"])
                #expect(digFlags(udp).contains("tc"))
                let client = DNSClient(port: server.port, timeoutMilliseconds: 3000)
                let raw = try await offPool { try client.exchangeRaw(Message.query("big.upstream.test.", .a, id: 9).wire()) }
                #expect(raw.count <= 1232)
            }
        }
    }

    @Test("a silent upstream costs one 2 s timeout, then the next upstream answers")
    func deadThenLive() async throws {
        let silent = SilentUDPSocket()
        try await withUpstream { upstream async throws in
            try await withServer(configure: {
                $0.upstreams = [("127.0.0.1", silent.port), ("127.0.0.1", upstream.port)]
            }) { server async throws in
                let start = ContinuousClock.now
                #expect(try await digShortAsync(server.port, ["+time=5", "www.upstream.test"]) == ["192.0.2.80"])
                let took = seconds(since: start)
                #expect(took >= 1.8 && took < 4, "took \(took) s")
                // The live upstream is now preferred: the next name is answered at once.
                let again = ContinuousClock.now
                #expect(try await digShortAsync(server.port, ["mail.upstream.test"]) == ["192.0.2.25"])
                #expect(seconds(since: again) < 1.8)  // below the 2 s upstream timeout: nothing was waited for
            }
        }
    }

    @Test("every upstream dead → each asked twice, then SERVFAIL (EDE 22), within the deadline; a closed port fails fast")
    func allDead() async throws {
        let a = SilentUDPSocket(), b = SilentUDPSocket()
        try await withServer(configure: {
            $0.upstreams = [("127.0.0.1", a.port), ("127.0.0.1", b.port)]
            $0.forwardTimeout = .milliseconds(500)
        }) { server async throws in
            let start = ContinuousClock.now
            let out = try await digAsync(server.port, ["www.upstream.test"])
            #expect(digStatus(out) == "SERVFAIL")
            #expect(digFlags(out).contains("ra"))
            #expect(out.contains("EDE: 22 (No Reachable Authority)"), "\(out)")
            // Two rounds of two 500 ms waits (one lost datagram is not the end).
            #expect(seconds(since: start) >= 1.9)
        }
        // Three upstreams, the first two dead: each gets its share of the deadline, so the third
        // is still asked within dig's 3 s (without shares: 2 + 2 s, and dig gives up), and is
        // asked first from then on: the dead ones (silent, but counting) hear nothing more.
        let dead1 = ScriptedUpstream { _ in nil }, dead2 = ScriptedUpstream { _ in nil }
        try await withUpstream { upstream async throws in
            try await withServer(configure: {
                $0.upstreams = [("127.0.0.1", dead1.port), ("127.0.0.1", dead2.port), ("127.0.0.1", upstream.port)]
                $0.forwardTimeout = .seconds(2)
                $0.forwardDeadline = .milliseconds(1500)
            }) { server async throws in
                #expect(try await digShortAsync(server.port, ["www.upstream.test"]) == ["192.0.2.80"])
                #expect(dead1.queries.count == 1 && dead2.queries.count == 1)
                #expect(try await digShortAsync(server.port, ["mail.upstream.test"]) == ["192.0.2.25"])
                #expect(dead1.queries.count == 1 && dead2.queries.count == 1, "the live upstream was asked first")
            }
        }
        // The deadline ends the wait, whatever the per-upstream timeout: with 5 s per upstream and
        // no deadline, dig (3 s) would give up before any reply.
        try await withServer(configure: {
            $0.upstreams = [("127.0.0.1", a.port)]
            $0.forwardTimeout = .seconds(5)
            $0.forwardDeadline = .seconds(1)
        }) { server async throws in
            let start = ContinuousClock.now
            #expect(digStatus(try await digAsync(server.port, ["www.upstream.test"])) == "SERVFAIL")
            #expect(seconds(since: start) >= 0.9)
        }
        // A forward timeout far beyond dig's own 3 s: a SERVFAIL at all proves that ICMP port
        // unreachable ended the wait (a wall-clock bound tighter than that failed under TSan on
        // 2 busy cores: 1.94 s for what takes milliseconds alone).
        let closed = freePort()
        try await withServer(configure: {
            $0.upstreams = [("127.0.0.1", closed)]
            $0.forwardTimeout = .seconds(10)
        }) { server async throws in
            let start = ContinuousClock.now
            #expect(digStatus(try await digAsync(server.port, ["www.upstream.test"])) == "SERVFAIL")
            #expect(seconds(since: start) < 3, "ICMP port unreachable ends the wait, not the 10 s timeout")
        }
    }

    @Test("past the in-flight bound, SERVFAIL at once")
    func inFlightBound() async throws {
        let silent = SilentUDPSocket()
        try await withServer(configure: {
            $0.upstreams = [("127.0.0.1", silent.port)]
            $0.forwardTimeout = .seconds(1)           // two rounds: 2 s, inside the client's 4 s
            $0.maxForwardsInFlight = 2
        }) { server async throws in
            let port = server.port
            let results = try await withThrowingTaskGroup(of: (UInt16, Double, ResponseCode?).self) { group in
                for i in 0..<6 {
                    group.addTask {
                        let start = ContinuousClock.now
                        let client = DNSClient(port: port, timeoutMilliseconds: 4000)
                        let reply = try? await offPool { try client.exchange(.query(DomainName("n\(i).upstream.test.")!, .a, id: UInt16(100 + i))) }
                        return (UInt16(100 + i), seconds(since: start), reply?.rcode)
                    }
                }
                var all: [(UInt16, Double, ResponseCode?)] = []
                for try await r in group { all.append(r) }
                return all
            }
            #expect(results.allSatisfy { $0.2 == .servFail })
            let fast = results.filter { $0.1 < 1 }
            let slow = results.filter { $0.1 >= 1.5 }
            #expect(fast.count == 4, "\(results)")
            #expect(slow.count == 2, "\(results)")
            #expect(server.forwarder?.inFlight == 0)
        }
    }

    @Test("cache: hit without the upstream, TTL decremented, negative answers cached from the SOA")
    func cache() async throws {
        let upstream = try await startUpstream()
        try await withServer(configure: { $0.upstreams = [("127.0.0.1", upstream.port)] }) { server async throws in
            let port = server.port
            let cache = try #require(server.forwarder?.cache)
            let clock = ContinuousClock(), start = clock.now
            let first = try await digAsync(port, ["www.upstream.test"])
            #expect(digTTLs(first) == [300])
            let nx = try await digAsync(port, ["nope.upstream.test"])
            #expect(digStatus(nx) == "NXDOMAIN")
            let misses = cache.misses
            await upstream.stop()
            try await Task.sleep(for: .milliseconds(2100))
            let second = try await digAsync(port, ["www.upstream.test"])
            #expect(digAnswers(second) == ["www.upstream.test. A 192.0.2.80"])
            // At least 2 s have passed; at most what the clock says (more under a sanitizer).
            let elapsed = Int((clock.now - start).inSeconds.rounded(.up))
            let ttl = digTTLs(second).first ?? 0
            #expect(ttl <= 298 && ttl >= 300 - elapsed - 1, "TTL \(ttl) after \(elapsed) s")
            let nx2 = try await digAsync(port, ["NOPE.upstream.test"])
            #expect(digStatus(nx2) == "NXDOMAIN")
            // RFC 2308: the negative TTL is min(SOA TTL 300, minimum 60), counting down.
            let soaTTL = nx2.split(separator: "\n").first { $0.contains("SOA") && !$0.hasPrefix(";") }
                .flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first }.flatMap { Int($0) }
            #expect(soaTTL.map { $0 <= 58 } == true, "\(nx2)")
            #expect(cache.hits >= 2)
            #expect(cache.misses == misses)
            // Not cached, upstream gone: SERVFAIL.
            #expect(digStatus(try await digAsync(port, ["mail.upstream.test"])) == "SERVFAIL")
        }
    }

    @Test("loop: an upstream that is our own listener is left out, and alone it stops the start; two forwarders looping (A → B → A) → SERVFAIL at once, no storm")
    func loop() async throws {
        let port = freePort()
        // Our own listen address as the only upstream: the server does not start.
        do {
            try await withServer(configure: {
                $0.listen = [("127.0.0.1", port)]
                $0.upstreams = [("127.0.0.1", port)]
            }) { _ in Issue.record("started with itself as its only upstream") }
        } catch {
            #expect("\(error)".contains("own listen address"), "\(error)")
        }
        // Beside a real one, it is left out and forwarding works.
        try await withUpstream { upstream async throws in
            try await withServer(configure: {
                $0.listen = [("127.0.0.1", port)]
                $0.upstreams = [("127.0.0.1", port), ("127.0.0.1", upstream.port)]
            }) { server async throws in
                #expect(server.forwarder?.configuration.upstreams.count == 1)
                #expect(try await digShortAsync(server.port, ["www.upstream.test"]) == ["192.0.2.80"])
            }
        }
        // A forwards to B, B to A: B carries A's tag on, so A recognises its own query.
        let portA = freePort(), portB = freePort()
        try await withServer(configure: { $0.listen = [("127.0.0.1", portA)]; $0.upstreams = [("127.0.0.1", portB)] }) { a async throws in
            try await withServer(configure: { $0.listen = [("127.0.0.1", portB)]; $0.upstreams = [("127.0.0.1", portA)] }) { b async throws in
                let start = ContinuousClock.now
                let out = try await digAsync(a.port, ["www.upstream.test"])
                #expect(digStatus(out) == "SERVFAIL")
                #expect(seconds(since: start) < 1)
                // Wait (bounded, polling the condition, not a fixed sleep) for the forwards to end:
                // a storm would keep queries in flight and count more loops.
                let deadline = ContinuousClock.now + .seconds(5)
                while a.forwarder?.inFlight != 0 || b.forwarder?.inFlight != 0, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(a.forwarder?.inFlight == 0 && b.forwarder?.inFlight == 0)
                #expect(a.forwarder?.loopsDetected == 1)
                #expect(b.forwarder?.loopsDetected == 0)
                // Tags a client puts in first cannot push a forwarder's own tag out of the list.
                let junk = (1...8).map { "+ednsopt=65001:\(String(repeating: String(format: "%02x", $0), count: 8))" }
                let flooded = try await digAsync(a.port, junk + ["www2.upstream.test"])
                #expect(digStatus(flooded) == "SERVFAIL")
                #expect(a.forwarder?.loopsDetected == 2)
            }
        }
    }

    @Test("own listener: the same address and port, or a wildcard listener's own loopback; not Docker's 127.0.0.11 or systemd's 127.0.0.53")
    func ownListener() throws {
        var config = Configuration()
        config.listen = [("0.0.0.0", 53), ("10.1.2.3", 5353)]
        func own(_ ip: String, _ port: Int) throws -> Bool { config.isOwnListener(try SocketAddress(ipAddress: ip, port: port)) }
        #expect(try own("127.0.0.1", 53))
        #expect(try own("10.1.2.3", 5353))
        #expect(try !own("127.0.0.11", 53))
        #expect(try !own("127.0.0.53", 53))
        #expect(try !own("::1", 53))
        #expect(try !own("127.0.0.1", 5353))
        // A local address behind the wildcard is not known here; the per-query loop tag catches it.
        #expect(try !own("10.1.2.3", 53))
        config.listen = [("::", 53)]
        #expect(try own("::1", 53))
        #expect(try !own("fd00::1", 53))
    }

    @Test("reverse names: ours answered, others forwarded; NXDOMAIN without an upstream")
    func reverse() async throws {
        try await withUpstream { upstream async throws in
            try await withServer(configure: { $0.upstreams = [("127.0.0.1", upstream.port)] }) { server async throws in
                #expect(try await digShortAsync(server.port, ["-x", "192.0.2.80"]) == ["www.upstream.test."])
                #expect(try await digShortAsync(server.port, ["-x", "10.96.0.10"]) == ["api.shop.svc.cluster.local."])
            }
        }
        try await withServer { server async throws in
            let out = try await digAsync(server.port, ["-x", "192.0.2.80"])
            #expect(digStatus(out) == "NXDOMAIN")
        }
    }

    @Test("ExternalName outside our zones: CNAME + A through the upstream; only the CNAME without one")
    func externalName() async throws {
        let dir = try writeTemporaryFiles(["ext.yaml": """
            apiVersion: v1
            kind: Service
            metadata:
              name: ext
              namespace: default
            spec:
              type: ExternalName
              externalName: www.upstream.test
            """])
        let manifests = [repositoryRoot + "/examples", dir]
        try await withUpstream { upstream async throws in
            try await withServer(manifests: manifests, configure: { $0.upstreams = [("127.0.0.1", upstream.port)] }) { server async throws in
                let out = try await digAsync(server.port, ["ext.default.svc.cluster.local"])
                #expect(digStatus(out) == "NOERROR")
                #expect(digAnswers(out) == ["ext.default.svc.cluster.local. CNAME www.upstream.test.",
                                            "www.upstream.test. A 192.0.2.80"])
                #expect(try await digShortAsync(server.port, ["+tcp", "ext.default.svc.cluster.local", "AAAA"])
                        == ["2001:db8::80", "www.upstream.test."])
                // In-zone targets are still chased by the zone itself.
                #expect(try await digShortAsync(server.port, ["api-alias.default.svc.cluster.local"])
                        == ["10.96.0.10", "api.shop.svc.cluster.local."])
            }
        }
        try await withServer(manifests: manifests) { server async throws in
            #expect(try await digShortAsync(server.port, ["ext.default.svc.cluster.local"]) == ["www.upstream.test."])
        }
    }

    @Test("resolv.conf nameservers")
    func resolvConf() {
        let servers = ResolvConfFile.nameservers(in: """
            # generated
            search default.svc.cluster.local
            nameserver 10.0.0.10
            nameserver   fe80::1%eth0 ; link-local
            nameserver not-an-ip
            options ndots:5
            """)
        #expect(servers.map(\.host) == ["10.0.0.10", "fe80::1%eth0"])
        #expect(servers.allSatisfy { $0.port == 53 })
    }
}
