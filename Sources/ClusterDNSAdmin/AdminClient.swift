#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A minimal blocking HTTP/1.1 client for the admin API (`http://` only), used by the CLI and
/// tests. One connection per request (`Connection: close`); never call it on an event loop.
public struct AdminClient: Sendable {
    /// A finished exchange.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
        /// The `message` of a `Status` body, or the body text.
        public var message: String {
            if let status = try? JSONDecoder().decode(KubeStatus.self, from: Data(body)) { return status.message }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// Why a request got no answer.
    public enum Failure: Error, CustomStringConvertible {
        case badURL(String)
        case connect(String, String)
        case io(String)
        case malformed(String)

        public var description: String {
            switch self {
            case .badURL(let u): "\(u): expected http://HOST:PORT"
            case .connect(let address, let why): "cannot connect to \(address): \(why)"
            case .io(let why): "connection failed: \(why)"
            case .malformed(let why): "malformed HTTP response: \(why)"
            }
        }
    }

    public let host: String
    public let port: Int
    public var token: String?
    public var timeoutSeconds: Int

    /// Parses `http://host:port` (a trailing path is ignored).
    public init(server: String, token: String? = nil, timeoutSeconds: Int = 30) throws(Failure) {
        guard server.hasPrefix("http://") else { throw .badURL(server) }
        var rest = server.dropFirst("http://".count)
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        var host: Substring, port = 80
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = rest[rest.index(after: rest.startIndex)..<close]
            let tail = rest[rest.index(after: close)...]
            if tail.hasPrefix(":") { guard let p = Int(tail.dropFirst()) else { throw .badURL(server) }; port = p }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            guard let p = Int(rest[rest.index(after: colon)...]) else { throw .badURL(server) }
            port = p
        } else {
            host = rest
        }
        guard !host.isEmpty, (1...65535).contains(port) else { throw .badURL(server) }
        self.host = host == "localhost" ? "127.0.0.1" : String(host)
        self.port = port; self.token = token; self.timeoutSeconds = timeoutSeconds
    }

    /// `host:port` as used in URLs.
    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Sends one request and reads the whole answer.
    public func request(_ method: String, _ path: String, body: [UInt8]? = nil, contentType: String? = nil,
                        headers extra: [(String, String)] = []) throws(Failure) -> Response {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(address)\r\nConnection: close\r\nUser-Agent: clusterdns\r\nAccept: application/json\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        for (k, v) in extra { head += "\(k): \(v)\r\n" }
        if body != nil || ["POST", "PUT"].contains(method) { head += "Content-Length: \((body ?? []).count)\r\n" }
        head += "\r\n"
        let fd = try connectSocket()
        defer { close(fd) }
        // A server may answer (413, 401) and close before reading the whole body: keep going to read it.
        // No half-close after the request: `Content-Length` and `Connection: close` delimit the
        // exchange, and some servers take a FIN as the client losing interest and drop the reply.
        _ = sendAll(fd, Array(head.utf8) + (body ?? []))
        var raw: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == ECONNRESET, !raw.isEmpty { break }
                throw .io(String(cString: strerror(errno)))
            }
            raw += buffer[0..<n]
        }
        return try Self.parse(raw)
    }

    func connectSocket() throws(Failure) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else {
            throw .connect(address, "cannot resolve \(host)")
        }
        defer { freeaddrinfo(result) }
        var why = "no address"
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            if fd >= 0 {
                var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                if connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { return fd }
                why = String(cString: strerror(errno)).lowercased()
                close(fd)
            }
            ai = a.pointee.ai_next
        }
        throw .connect(address, why)
    }

    func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    /// Parses a complete HTTP/1.1 response (Content-Length, chunked, or until close).
    static func parse(_ raw: [UInt8]) throws(Failure) -> Response {
        let crlf2: [UInt8] = [13, 10, 13, 10]
        guard let end = raw.firstRange(of: crlf2) else { throw .malformed(raw.isEmpty ? "empty answer" : "no header end") }
        let headText = String(decoding: raw[..<end.lowerBound], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw .malformed("bad status line") }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(raw[end.upperBound...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            var out: [UInt8] = []
            var i = 0
            while true {
                guard let lineEnd = body[i...].firstRange(of: [13, 10]) else { throw .malformed("bad chunk") }
                let sizeText = String(decoding: body[i..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw .malformed("bad chunk size") }
                i = lineEnd.upperBound
                if size == 0 { break }
                guard i + size <= body.count else { throw .malformed("short chunk") }
                out += body[i..<(i + size)]
                i += size + 2
            }
            body = out
        } else if let length = headers["content-length"].flatMap(Int.init), length <= body.count {
            body = Array(body.prefix(length))
        }
        return Response(status: status, headers: headers, body: body)
    }
}
