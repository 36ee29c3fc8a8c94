import Foundation
import Testing
import TestSupport
import ClusterDNSAdmin
#if canImport(Glibc)
import Glibc
#endif

/// What one admin HTTP connection can hold is bounded: a connection cap, a time to send each
/// request, and `Expect: 100-continue` answered.
@Suite("Admin connections", .serialized)
struct AdminConnectionTests {
    // Blocking socket calls run through `offPool` (TestSupport): the admin server answers from
    // Swift concurrency's pool, which a blocked test task would starve.

    /// A blocking TCP connection to 127.0.0.1 with a receive timeout.
    final class RawConnection {
        let fd: Int32
        init(port: Int, timeout: Double = 5) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
            var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        }
        deinit { close(fd) }
        func send(_ text: String) { _ = text.utf8CString.withUnsafeBufferPointer { Glibc.send(fd, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) } }
        /// The next bytes received as text; "" when the server closed, nil on timeout.
        func receive() -> String? {
            var buffer = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 { return errno == EAGAIN || errno == EWOULDBLOCK ? nil : "" }
            return String(decoding: buffer[..<n], as: UTF8.self)
        }
        /// Reads until the server closes (true) or `seconds` pass (false).
        func closedWithin(_ seconds: Double) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                guard let text = receive() else { continue }
                if text.isEmpty { return true }
            }
            return false
        }
    }

    @Test("connections over the cap are closed at once; a freed slot is usable again")
    func connectionCap() async throws {
        try await withAdminServer(admin: AdminOptions(host: "127.0.0.1", port: 0, maxConnections: 3)) { _, admin in
            // Blocking socket work off the pool; results are checked here (an expectation recorded
            // on another thread is not tied to this test).
            let (answered, extraClosed, againAnswered) = try await offPool { () throws -> ([Bool], Bool, Bool) in
                var held = try (0..<3).map { _ in try RawConnection(port: admin.port) }
                // The server counts a connection once it has set it up: ask on each that it answers.
                let answered = held.map { c -> Bool in
                    c.send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
                    return c.receive()?.hasPrefix("HTTP/1.1 200") == true
                }
                let extraClosed = try RawConnection(port: admin.port).closedWithin(5)
                held.removeFirst()                               // frees a slot, once the server sees it close
                var againAnswered = false
                let deadline = Date().addingTimeInterval(10)
                while !againAnswered, Date() < deadline {
                    let again = try RawConnection(port: admin.port)
                    again.send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
                    againAnswered = again.receive()?.hasPrefix("HTTP/1.1 200") == true
                    if !againAnswered { usleep(50_000) }
                }
                _ = held
                return (answered, extraClosed, againAnswered)
            }
            #expect(answered == [true, true, true])
            #expect(extraClosed)
            #expect(againAnswered)
        }
    }

    @Test("a connection idle too long, or slow to send a request, is closed; one that answers keeps its turn")
    func requestTimeout() async throws {
        try await withAdminServer(admin: AdminOptions(host: "127.0.0.1", port: 0, idleTimeout: .seconds(1), requestTimeout: .seconds(1))) { _, admin in
            let (silentClosed, partialClosed, seconds, answered, politeClosed) = try await offPool { () throws -> (Bool, Bool, Double, Bool, Bool) in
                let silent = try RawConnection(port: admin.port)
                let partial = try RawConnection(port: admin.port)
                partial.send("PUT /api/v1/namespaces/default/services/x HTTP/1.1\r\nHost: a\r\nContent-Length: 500\r\n\r\nkind: Serv")
                let started = Date()
                let silentClosed = silent.closedWithin(10), partialClosed = partial.closedWithin(10)
                let seconds = Date().timeIntervalSince(started)
                // A keep-alive connection gets its answer, then the same time for the next request.
                let polite = try RawConnection(port: admin.port)
                polite.send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
                let answered = polite.receive()?.hasPrefix("HTTP/1.1 200") == true
                return (silentClosed, partialClosed, seconds, answered, polite.closedWithin(10))
            }
            #expect(silentClosed && partialClosed)
            #expect(seconds < 8)                                 // 1 s, with room for a loaded machine
            #expect(answered && politeClosed)
        }
    }

    @Test("Expect: 100-continue gets 100 Continue before the body is sent")
    func expectContinue() async throws {
        try await withAdminServer { _, admin in
            let (interim, reply) = try await offPool { () throws -> (String?, String?) in
                let body = serviceYAML("cont", clusterIP: "10.0.77.1")
                let c = try RawConnection(port: admin.port, timeout: 5)
                c.send("PUT /api/v1/namespaces/default/services/cont HTTP/1.1\r\nHost: a\r\nContent-Type: application/yaml\r\n"
                       + "Content-Length: \(body.utf8.count)\r\nExpect: 100-continue\r\n\r\n")
                let interim = c.receive()
                c.send(body)
                return (interim, c.receive())
            }
            #expect(interim?.hasPrefix("HTTP/1.1 100 Continue") == true, "\(interim ?? "nothing")")
            #expect(reply?.hasPrefix("HTTP/1.1 201") == true, "\(reply ?? "nothing")")
            // No body, or one over the limit: no 100 (the latter gets its 413 without sending it).
            let (get, big) = try await offPool { () throws -> (String?, String?) in
                let c = try RawConnection(port: admin.port, timeout: 5)
                c.send("GET /healthz HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n")
                let get = c.receive()
                let d = try RawConnection(port: admin.port, timeout: 5)
                d.send("PUT /api/v1/namespaces/default/services/big HTTP/1.1\r\nHost: a\r\nContent-Type: application/yaml\r\n"
                       + "Content-Length: \(8 << 20)\r\nExpect: 100-continue\r\n\r\n")
                return (get, d.receive())
            }
            #expect(get?.hasPrefix("HTTP/1.1 200") == true, "\(get ?? "nothing")")
            #expect(big?.hasPrefix("HTTP/1.1 413") == true, "\(big ?? "nothing")")
        }
    }
}
