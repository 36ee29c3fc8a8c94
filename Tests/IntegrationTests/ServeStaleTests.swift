import Foundation
import Testing
import TestSupport
import DNSModel
import DNSServer
import ClusterDNSRuntime

/// RFC 8767 serve-stale for forwarded names (`--serve-stale`).
@Suite("Serve stale")
struct ServeStaleTests {
    static let answer = ForwardedAnswer(rcode: .noError, answers: [
        ResourceRecord(name: "www.gone.test.", ttl: 60, data: .a(IPv4Address(192, 0, 2, 66))),
    ])
    static let key = ResponseCache.Key(Question(name: "www.gone.test.", type: .a), dnssecOK: false, checkingDisabled: false)

    @Test("the cache keeps an expired answer for the stale window only, serves it with TTL 30, never an NXDOMAIN, and not at all without a window")
    func cacheWindow() {
        let now = ContinuousClock.now
        let cache = ResponseCache(capacity: 10, staleWindow: 3600)
        #expect(cache.store(Self.key, Self.answer, now: now))
        #expect(cache.lookupStale(Self.key, now: now)?.answers.map(\.ttl) == [30])
        #expect(cache.lookup(Self.key, now: now + .seconds(61)) == nil)                 // expired: not a hit…
        #expect(cache.lookupStale(Self.key, now: now + .seconds(61))?.answers.map(\.ttl) == [30])   // …but kept
        #expect(cache.lookupStale(Self.key, now: now + .seconds(60 + 3601)) == nil)
        let plain = ResponseCache(capacity: 10)
        plain.store(Self.key, Self.answer, now: now)
        #expect(plain.lookupStale(Self.key, now: now + .seconds(61)) == nil)
        let negative = ForwardedAnswer(rcode: .nxDomain, authority: [ResourceRecord(name: "gone.test.", ttl: 60, data: .soa(SOAData(
            mname: "ns.gone.test.", rname: "h.gone.test.", serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60)))])
        cache.store(Self.key, negative, now: now)
        #expect(cache.lookupStale(Self.key, now: now + .seconds(61)) == nil)
    }

    @Test("--serve-stale: with every upstream dead, an answer cached before and expired since is served with TTL 30 and EDE 3 (Stale Answer); without it, SERVFAIL")
    func staleWhenUpstreamsDead() async throws {
        let dead = SilentUDPSocket()
        for stale in [true, false] {
            try await withServer(configure: {
                $0.upstreams = [("127.0.0.1", dead.port)]
                $0.forwardTimeout = .milliseconds(300)
                $0.forwardDeadline = .seconds(1)
                $0.serveStale = stale ? .seconds(3600) : .zero
            }) { server async throws in
                // Stored two minutes ago with a TTL of 60: expired, within the window.
                server.forwarder?.cache?.store(Self.key, Self.answer, now: .now - .seconds(120))
                let out = try await digAsync(server.port, ["www.gone.test"])
                if stale {
                    #expect(digStatus(out) == "NOERROR", "\(out)")
                    #expect(digAnswers(out) == ["www.gone.test. A 192.0.2.66"])
                    #expect(digTTLs(out) == [30])
                    #expect(out.contains("EDE: 3 (Stale Answer)"), "\(out)")
                } else {
                    #expect(digStatus(out) == "SERVFAIL", "\(out)")
                }
            }
        }
    }
}
