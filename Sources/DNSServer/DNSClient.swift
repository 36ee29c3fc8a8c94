#if canImport(Glibc)
import Glibc
#endif
import DNSModel
import DNSWire

/// A minimal blocking DNS client (UDP, or TCP with the RFC 1035 §4.2.2 length prefix), for the
/// CLI and for tests. Never call it on an event loop.
public struct DNSClient: Sendable {
    public var host: String
    public var port: Int
    public var timeoutMilliseconds: Int

    public init(host: String = "127.0.0.1", port: Int, timeoutMilliseconds: Int = 2000) {
        self.host = host; self.port = port; self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// Why an exchange failed.
    public enum Failure: Error, Equatable {
        case socket(String)
        case timeout
        case malformed(String)
    }

    /// Sends `query` and returns the decoded reply; over UDP a truncated reply is retried over TCP
    /// when `retryTCP` is set.
    public func exchange(_ query: Message, tcp: Bool = false, retryTCP: Bool = true) throws(Failure) -> Message {
        let raw = try exchangeRaw(query.wire(), tcp: tcp)
        let reply: Message
        do { reply = try Message(wire: raw) } catch { throw .malformed("\(error)") }
        if reply.truncated, !tcp, retryTCP { return try exchange(query, tcp: true) }
        return reply
    }

    /// Sends raw bytes and returns the raw reply.
    public func exchangeRaw(_ bytes: [UInt8], tcp: Bool = false) throws(Failure) -> [UInt8] {
        let isV6 = host.contains(":")
        let fd = socket(isV6 ? AF_INET6 : AF_INET, Int32(tcp ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw .socket("socket: errno \(errno)") }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: (timeoutMilliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let connected: Int32
        if isV6 {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, host, &addr.sin6_addr)
            connected = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, host, &addr.sin_addr)
            connected = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard connected == 0 else { throw .socket("connect: errno \(errno)") }
        if tcp {
            let framed = [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
            guard sendAll(fd, framed) else { throw .socket("send: errno \(errno)") }
            let header = try receive(fd, exactly: 2)
            return try receive(fd, exactly: Int(header[0]) << 8 | Int(header[1]))
        }
        guard send(fd, bytes, bytes.count, 0) == bytes.count else { throw .socket("send: errno \(errno)") }
        var buffer = [UInt8](repeating: 0, count: 65535)
        let n = recv(fd, &buffer, buffer.count, 0)
        guard n >= 0 else { throw errno == EAGAIN || errno == EWOULDBLOCK ? .timeout : .socket("recv: errno \(errno)") }
        return Array(buffer.prefix(n))
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    private func receive(_ fd: Int32, exactly count: Int) throws(Failure) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { throw .socket("connection closed") }
            if n < 0 { throw errno == EAGAIN || errno == EWOULDBLOCK ? .timeout : .socket("recv: errno \(errno)") }
            got += n
        }
        return out
    }
}
