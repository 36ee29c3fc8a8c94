import Dispatch
import Foundation
import TestSupport
import Testing
import DNSModel
import DNSServer

/// Forwarded replies run on the server's event loops, not on Swift's shared concurrency pool: a
/// pool held by other work (a large Kubernetes list being decoded, a long synchronous test) must
/// not hold back an answer the upstream has already given.
@Suite("Forwarding without the concurrency pool")
struct ForwardPoolTests {
    @Test("a forward is answered over UDP and TCP while every thread of the concurrency pool is held")
    func forwardWhilePoolIsHeld() async throws {
        try await withUpstream { upstream async throws in
            try await withServer(configure: { $0.upstreams = [("127.0.0.1", upstream.port)] }) { server async throws in
                let client = DNSClient(port: server.port, timeoutMilliseconds: 3000)
                // The pool has one thread per core: this test's task holds one, the hogs the rest.
                let hogs = PoolHogs(count: ProcessInfo.processInfo.activeProcessorCount - 1)
                #expect(hogs.waitUntilHeld(seconds: 30))
                let udp = Result { try client.exchange(.query("www.upstream.test.", .a, id: 77)) }
                let tcp = Result { try client.exchange(.query("mail.upstream.test.", .a, id: 78), tcp: true) }
                hogs.release()
                #expect(try udp.get().answers.map(\.data) == [.a(IPv4Address(192, 0, 2, 80))])
                #expect(try tcp.get().answers.map(\.data) == [.a(IPv4Address(192, 0, 2, 25))])
            }
        }
    }
}

/// Tasks that each hold a thread of Swift's concurrency pool, blocked, until `release()`.
final class PoolHogs: Sendable {
    let count: Int
    private let held = DispatchSemaphore(value: 0)
    private let released = DispatchSemaphore(value: 0)

    init(count: Int) {
        self.count = max(0, count)
        for _ in 0..<self.count {
            Task.detached { [held, released] in Self.hold(held, released) }
        }
    }

    private static func hold(_ held: DispatchSemaphore, _ released: DispatchSemaphore) {
        held.signal()
        released.wait()
    }

    /// Blocks until every hog holds its thread; false if that took longer than `seconds`.
    func waitUntilHeld(seconds: Double) -> Bool {
        (0..<count).allSatisfy { _ in held.wait(timeout: .now() + seconds) == .success }
    }

    /// Lets every hog finish.
    func release() { for _ in 0..<count { released.signal() } }
}
