import Foundation
import TestSupport
import Logging
import Testing
import DNSModel
import DNSServer
import ClusterDNSRuntime

/// The repository root, found from this file's path.
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// Starts a real server on 127.0.0.1 port 0 with `manifests` and `zones`, runs `body`, stops it.
func withServer<T>(manifests: [String] = [repositoryRoot + "/examples"],
                   zones: String? = repositoryRoot + "/zones",
                   configure: (inout Configuration) -> Void = { _ in },
                   _ body: (ClusterDNSServer) async throws -> T) async throws -> T {
    var config = Configuration()
    config.listen = [("127.0.0.1", 0)]
    config.manifests = manifests
    config.zonesDirectory = zones
    config.threads = 2
    configure(&config)
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    let server = try await ClusterDNSServer.start(config, logger: logger)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

/// `dig @127.0.0.1 -p PORT args...` with a short timeout and no retries.
func dig(_ port: Int, _ args: String...) async throws -> String {
    try await run("dig", ["@127.0.0.1", "-p", "\(port)", "+time=2", "+tries=1"] + args).stdout
}

/// The sorted lines of `dig +short`.
func digShort(_ port: Int, _ args: String...) async throws -> [String] {
    try await run("dig", ["@127.0.0.1", "-p", "\(port)", "+time=2", "+tries=1", "+short"] + args).stdout
        .split(separator: "\n").map(String.init).sorted()
}

/// The status word of a dig answer (`NOERROR`, `NXDOMAIN`, ...).
func digStatus(_ output: String) -> String? {
    guard let r = output.range(of: "status: ") else { return nil }
    return String(output[r.upperBound...].prefix { $0 != "," })
}

/// The flags line of a dig answer, e.g. `qr aa rd`.
func digFlags(_ output: String) -> [String] {
    guard let r = output.range(of: ";; flags: ") else { return [] }
    return output[r.upperBound...].prefix { $0 != ";" }.split(separator: " ").map(String.init)
}

/// The answer-section records of a full dig output, as `name TYPE data` lines (TTL dropped).
func digAnswers(_ output: String) -> [String] {
    var lines: [String] = []
    var inAnswer = false
    for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix(";; ANSWER SECTION") { inAnswer = true; continue }
        if inAnswer {
            if line.isEmpty || line.hasPrefix(";;") { break }
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count >= 5 else { continue }
            lines.append(([f[0], f[3]] + f[4...]).joined(separator: " "))
        }
    }
    return lines.sorted()
}
