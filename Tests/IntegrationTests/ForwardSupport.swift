#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import Logging
import DNSModel
import DNSServer
import ClusterDNSRuntime

/// The static zones of the test upstream: a zone only the upstream knows, with a name whose
/// answer does not fit 1232 bytes (TC → TCP), and a reverse zone for 192.0.2.0/24.
let upstreamZones: [String: String] = [
    "upstream.test.zone": """
    $ORIGIN upstream.test.
    $TTL 300
    @     IN SOA ns.upstream.test. admin.upstream.test. 1 3600 900 604800 60
    @     IN NS  ns
    ns    IN A   127.0.0.1
    www   IN A   192.0.2.80
    www   IN AAAA 2001:db8::80
    @     IN MX  10 mail.upstream.test.
    mail  IN A   192.0.2.25
    alias IN CNAME www
    """ + "\n" + (1...100).map { "big IN A 198.51.100.\($0)" }.joined(separator: "\n") + "\n",
    "2.0.192.in-addr.arpa.zone": """
    $ORIGIN 2.0.192.in-addr.arpa.
    $TTL 300
    @   IN SOA ns.upstream.test. admin.upstream.test. 1 3600 900 604800 60
    @   IN NS  ns.upstream.test.
    80  IN PTR www.upstream.test.

    """,
]

/// Writes `files` (name → text) into a fresh temporary directory and returns it.
func writeTemporaryFiles(_ files: [String: String]) throws -> String {
    let dir = try temporaryDirectory()
    for (name, text) in files {
        try text.write(toFile: (dir as NSString).appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    return dir
}

/// Starts a second clusterdns serving only `upstreamZones` on 127.0.0.1 port 0 (no manifests).
func startUpstream() async throws -> ClusterDNSServer {
    let dir = try writeTemporaryFiles(upstreamZones)
    var config = Configuration()
    config.listen = [("127.0.0.1", 0)]
    config.zonesDirectory = dir
    config.threads = 1
    var logger = Logger(label: "upstream")
    logger.logLevel = .warning
    return try await ClusterDNSServer.start(config, logger: logger)
}

/// Runs `body` with a test upstream, stopping it afterwards (if the body has not).
func withUpstream<T>(_ body: (ClusterDNSServer) async throws -> T) async throws -> T {
    let upstream = try await startUpstream()
    do {
        let result = try await body(upstream)
        await upstream.stop()
        return result
    } catch {
        await upstream.stop()
        throw error
    }
}

/// A UDP socket bound on 127.0.0.1 that never answers: a silent upstream.
final class SilentUDPSocket: @unchecked Sendable {
    let fd: Int32
    let port: Int
    init() {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        _ = withLoopback(port: 0) { bind(fd, $0, $1) }
        self.fd = fd
        port = boundPort(fd)
    }
    deinit { close(fd) }
}

/// A port on 127.0.0.1 that was free a moment ago for both TCP and UDP (the kernel hands out
/// ephemeral ports per protocol, so a TCP port it picks may be some other server's UDP port).
func freePort() -> Int {
    for _ in 0..<100 {
        let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(tcp); close(udp) }
        _ = withLoopback(port: 0) { bind(tcp, $0, $1) }
        let port = boundPort(tcp)
        if withLoopback(port: port, { bind(udp, $0, $1) }) == 0 { return port }
    }
    return 0
}

/// A raw TCP connection to 127.0.0.1 for framing tests.
final class RawTCP: @unchecked Sendable {
    let fd: Int32
    init?(port: Int, receiveTimeoutMilliseconds: Int = 3000) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: receiveTimeoutMilliseconds / 1000, tv_usec: (receiveTimeoutMilliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if withLoopback(port: port, { connect(fd, $0, $1) }) != 0 { return nil }           // deinit closes fd
    }
    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Exactly `count` bytes, or nil on close or timeout.
    func receive(_ count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            got += n
        }
        return out
    }

    /// One length-prefixed message, decoded.
    func receiveMessage() -> Message? {
        guard let header = receive(2), let body = receive(Int(header[0]) << 8 | Int(header[1])) else { return nil }
        return try? Message(wire: body)
    }

    /// Waits for the server to close the connection: true when recv returns 0 (or reset).
    func waitForClose() -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, 0)
        return n == 0 || (n < 0 && errno == ECONNRESET)
    }
}

/// The wire form of `message` with the TCP length prefix.
func framed(_ message: Message) -> [UInt8] {
    let wire = message.wire()
    return [UInt8(wire.count >> 8), UInt8(wire.count & 0xFF)] + wire
}

/// Seconds since `start`.
func seconds(since start: ContinuousClock.Instant) -> Double {
    (ContinuousClock.now - start).inSeconds
}

/// The TTLs of the answer section of a dig output.
func digTTLs(_ output: String) -> [Int] {
    var ttls: [Int] = []
    var inAnswer = false
    for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix(";; ANSWER SECTION") { inAnswer = true; continue }
        if inAnswer {
            if line.isEmpty || line.hasPrefix(";;") { break }
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if f.count >= 2, let t = Int(f[1]) { ttls.append(t) }
        }
    }
    return ttls
}

/// dig against 127.0.0.1:`port`, run off the cooperative pool (3 s timeout, one try).
func digAsync(_ port: Int, _ args: [String]) async throws -> String {
    try await offPool { try runBlocking("dig", ["@127.0.0.1", "-p", "\(port)", "+time=3", "+tries=1"] + args).stdout }
}

/// `dig +short`, sorted, off the pool.
func digShortAsync(_ port: Int, _ args: [String]) async throws -> [String] {
    try await digAsync(port, ["+short"] + args).split(separator: "\n").map(String.init).sorted()
}
