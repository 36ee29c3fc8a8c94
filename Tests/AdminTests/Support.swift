import Foundation
import TestSupport
import Logging
import Testing
import DNSModel
import DNSWire
import DNSServer
import ClusterDNSRuntime

/// The repository root, found from this file's path.
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// Starts a real server (DNS and admin on 127.0.0.1 port 0), runs `body`, stops it.
func withAdminServer<T>(manifests: [String] = [],
                        admin: AdminOptions = AdminOptions(host: "127.0.0.1", port: 0),
                        configure: (inout Configuration) -> Void = { _ in },
                        _ body: (ClusterDNSServer, Admin) async throws -> T) async throws -> T {
    var config = Configuration()
    config.listen = [("127.0.0.1", 0)]
    config.manifests = manifests
    config.threads = 2
    config.admin = admin
    configure(&config)
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    let server = try await ClusterDNSServer.start(config, logger: logger)
    do {
        let port = try #require(server.adminPort)
        let result = try await body(server, Admin(port: port, token: nil))
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

/// A client of the admin API under test.
struct Admin: Sendable {
    let port: Int
    var token: String?

    var url: String { "http://127.0.0.1:\(port)" }

    func withToken(_ token: String?) -> Admin { Admin(port: port, token: token) }

    /// Blocking request (use from dedicated threads).
    func send(_ method: String, _ path: String, _ body: String? = nil, type: String? = nil) throws -> AdminClient.Response {
        let client = try AdminClient(server: url, token: token)
        return try client.request(method, path, body: body.map { Array($0.utf8) }, contentType: type)
    }

    func request(_ method: String, _ path: String, _ body: String? = nil, type: String? = "application/yaml") async throws -> AdminClient.Response {
        try await offPool { try send(method, path, body, type: type) }
    }

    func get(_ path: String) async throws -> AdminClient.Response { try await request("GET", path, type: nil) }
    func put(_ path: String, _ body: String, type: String? = "application/yaml") async throws -> AdminClient.Response {
        try await request("PUT", path, body, type: type)
    }
    func delete(_ path: String) async throws -> AdminClient.Response { try await request("DELETE", path, type: nil) }
    func apply(_ body: String, type: String? = "application/yaml") async throws -> AdminClient.Response {
        try await request("POST", "/apply", body, type: type)
    }
}

extension AdminClient.Response {
    /// The body as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }
}

/// Checks a Kubernetes `Status` failure body.
func expectStatus(_ r: AdminClient.Response, _ code: Int, _ reason: String, mentions: String? = nil,
                  sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status == code, "\(r.status) \(r.text)", sourceLocation: sourceLocation)
    let j = r.json
    #expect(j["kind"] as? String == "Status", "\(r.text)", sourceLocation: sourceLocation)
    #expect(j["apiVersion"] as? String == "v1", sourceLocation: sourceLocation)
    #expect(j["status"] as? String == "Failure", sourceLocation: sourceLocation)
    #expect(j["reason"] as? String == reason, "\(r.text)", sourceLocation: sourceLocation)
    #expect(j["code"] as? Int == code, sourceLocation: sourceLocation)
    #expect(j["metadata"] is [String: Any], sourceLocation: sourceLocation)
    #expect(r.headers["content-type"]?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
    if let mentions {
        #expect((j["message"] as? String ?? "").contains(mentions), "message: \(j["message"] ?? "nil")", sourceLocation: sourceLocation)
    }
}

// MARK: Manifests

func podYAML(_ name: String, ns: String = "default", ip: String?, ready: Bool = true, labels: [String: String] = [:],
             namespaceLine: Bool = true) -> String {
    let labelText = labels.isEmpty ? "" : "\n  labels: {" + labels.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
    let status: String
    if let ip {
        status = """
        status:
          phase: Running
          podIP: \(ip)
          podIPs: [{ip: \(ip)}]
          conditions: [{type: Ready, status: "\(ready ? "True" : "False")"}]
        """
    } else {
        status = "status: {phase: Pending}"
    }
    return """
    apiVersion: v1
    kind: Pod
    metadata:
      name: \(name)\(namespaceLine ? "\n  namespace: \(ns)" : "")\(labelText)
    \(status)

    """
}

func serviceYAML(_ name: String, ns: String = "default", clusterIP: String, type: String = "ClusterIP",
                 selector: [String: String]? = nil, port: Int = 80) -> String {
    let sel = selector.map { s in "\n  selector: {" + s.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}" } ?? ""
    return """
    apiVersion: v1
    kind: Service
    metadata:
      name: \(name)
      namespace: \(ns)
    spec:
      type: \(type)
      clusterIP: \(clusterIP)\(sel)
      ports: [{name: http, port: \(port)}]

    """
}

// MARK: DNS

/// One DNS answer reduced to what the tests compare.
struct Answer: Equatable, CustomStringConvertible {
    var rcode: UInt16
    var addresses: [String]
    var description: String { "rcode \(rcode) \(addresses)" }
}

/// Queries `name` `type` over UDP (or TCP) and returns the rcode and the sorted A/AAAA data.
func query(_ port: Int, _ name: String, _ type: RecordType = .a, tcp: Bool = false, id: UInt16 = 1) throws -> Answer {
    let q = Message(id: id, recursionDesired: true, questions: [Question(name: DomainName(name)!, type: type)])
    let reply = try DNSClient(port: port).exchange(q, tcp: tcp)
    let addresses = reply.answers.compactMap { rr -> String? in
        switch rr.data {
        case .a(let a): "\(a)"
        case .aaaa(let a): "\(a)"
        default: nil
        }
    }.sorted()
    return Answer(rcode: reply.rcode.rawValue, addresses: addresses)
}

/// The `clusterdns` binary for a CLI test; records an issue (the test fails, it does not skip)
/// when there is none: `swift build --build-tests` always builds it.
func requireClusterdnsBinary() -> String? {
    guard let binary = clusterdnsBinary() else {
        Issue.record("no clusterdns binary next to the tests (build it, or set CLUSTERDNS_BINARY)")
        return nil
    }
    return binary
}

/// The `clusterdns` binary built next to the tests, if any.
func clusterdnsBinary() -> String? {
    if let env = ProcessInfo.processInfo.environment["CLUSTERDNS_BINARY"], FileManager.default.isExecutableFile(atPath: env) { return env }
    // The test bundle lives in the same build directory as the executable.
    var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("clusterdns").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir.deleteLastPathComponent()
    }
    for scratch in [".build-admin", ".build"] {
        let candidate = repositoryRoot + "/\(scratch)/debug/clusterdns"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}


/// A process started with its standard output and error in a log file, which tests poll for
/// lines; killed (SIGKILL) by `stop()` if still running.
final class LoggedProcess {
    let process = Process()
    let logFile: String

    init(_ executable: String, _ arguments: [String], logFile: String) throws {
        self.logFile = logFile
        guard FileManager.default.createFile(atPath: logFile, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try? log.close()
    }

    /// What the process has written so far.
    var log: String { readSmallFile(logFile) ?? "" }

    /// Waits, polling the log every 50 ms for at most `seconds` (a bounded wait for a condition,
    /// not a fixed sleep), until it contains `text`; false when it never did or the process ended.
    func waitForLog(_ text: String, seconds: Double = 20) async throws -> Bool {
        _ = await eventually(within: seconds) { log.contains(text) || !process.isRunning }
        return log.contains(text)
    }

    /// `clusterdns serve --listen 127.0.0.1:0 <arguments>`, its log in `dir`, once it listens;
    /// with the DNS port it bound.
    static func serve(_ binary: String, _ arguments: [String], in dir: URL) async throws -> (LoggedProcess, port: String) {
        let serve = try LoggedProcess(binary, ["serve", "--listen", "127.0.0.1:0"] + arguments,
                                      logFile: dir.appendingPathComponent("serve.log").path)
        guard try await serve.waitForLog("dns listening"),
              let port = serve.log.firstMatch(of: /udp=127\.0\.0\.1:(\d+)/).map({ String($0.1) }) else {
            serve.stop()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "serve did not listen: \(serve.log)"])
        }
        return (serve, port)
    }

    /// Kills the process if it still runs, and waits for it.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
