import ArgumentParser
import Foundation
import Logging
import DNSModel
import ClusterDNS
import ClusterDNSRuntime

/// `clusterdns serve`: answer DNS for the cluster described by manifests and zone files.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve cluster DNS over UDP and TCP.",
        discussion: """
        With no arguments, from the repository root, serves the demo cluster in examples/ and the
        zones in zones/ on 127.0.0.1:1053.

        Example:
          clusterdns serve --listen 127.0.0.1:1053 --manifests examples/ --zones zones/ --ttl 5
        """)

    @Option(name: .long, help: ArgumentHelp("DNS listen address (UDP and TCP); repeatable.", valueName: "HOST:PORT"))
    var listen: [String] = []
    @Option(name: .long, help: ArgumentHelp("Cluster domain.", valueName: "DOMAIN"))
    var domain: String = "cluster.local"
    @Option(name: .long, help: ArgumentHelp("Manifest file or directory (YAML/JSON, watched); repeatable. Default: ./examples when present.", valueName: "PATH"))
    var manifests: [String] = []
    @Option(name: .long, help: ArgumentHelp("Directory of RFC 1035 zone files served as static zones. Default: ./zones when present.", valueName: "DIR"))
    var zones: String?
    @Option(name: .long, help: ArgumentHelp("Admin HTTP address, or off.", valueName: "HOST:PORT|off"))
    var admin: String = "127.0.0.1:8053"
    @Option(name: .long, help: ArgumentHelp("Upstream resolver for names outside our zones; repeatable.", valueName: "HOST:PORT"))
    var upstream: [String] = []
    @Option(name: .long, help: ArgumentHelp("TTL of cluster records, 0–3600 (also the SOA minimum).", valueName: "SECONDS"))
    var ttl: UInt32 = 5
    @Option(name: .long, help: ArgumentHelp("Pod A records: insecure, verified or disabled.", valueName: "MODE"))
    var pods: String = "insecure"
    @Option(name: .long, help: ArgumentHelp("Kubeconfig of a cluster to watch.", valueName: "PATH"))
    var kubeconfig: String?
    @Option(name: .customLong("max-udp-size"), help: ArgumentHelp("Largest UDP answer, 512–4096.", valueName: "BYTES"))
    var maxUDPSize: Int = 1232
    @Option(name: .customLong("transfer-allow"), help: ArgumentHelp("Client block allowed to AXFR; repeatable. Default: loopback.", valueName: "CIDR"))
    var transferAllow: [String] = []
    @Option(name: .long, help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error.", valueName: "LEVEL"))
    var logLevel: String = "info"

    func validate() throws {
        for l in listen where Self.hostPort(l) == nil {
            throw ValidationError("--listen \(l): expected HOST:PORT, e.g. 127.0.0.1:1053 or [::1]:1053")
        }
        guard DomainName(domain) != nil else { throw ValidationError("--domain \(domain): not a domain name") }
        guard ttl <= 3600 else { throw ValidationError("--ttl \(ttl): must be between 0 and 3600") }
        guard PodRecordMode(rawValue: pods) != nil else {
            throw ValidationError("--pods \(pods): expected insecure, verified or disabled")
        }
        guard (512...4096).contains(maxUDPSize) else { throw ValidationError("--max-udp-size \(maxUDPSize): must be 512–4096") }
        for c in transferAllow where CIDR(c) == nil { throw ValidationError("--transfer-allow \(c): not a CIDR block") }
        if admin != "off", Self.hostPort(admin) == nil { throw ValidationError("--admin \(admin): expected HOST:PORT or off") }
        for u in upstream where u != "resolv.conf" && Self.hostPort(u) == nil {
            throw ValidationError("--upstream \(u): expected HOST:PORT or resolv.conf")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level \(logLevel): unknown level") }
        for m in manifests where !FileManager.default.fileExists(atPath: m) {
            throw ValidationError("--manifests \(m): no such file or directory")
        }
        if let zones, !FileManager.default.fileExists(atPath: zones) {
            throw ValidationError("--zones \(zones): no such directory")
        }
    }

    /// Splits `host:port` or `[v6]:port`.
    static func hostPort(_ text: String) -> (String, Int)? {
        var host: Substring, port: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            port = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]; port = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let p = Int(port), (0...65535).contains(p) else { return nil }
        return (String(host), p)
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "clusterdns")
        var config = Configuration()
        config.listen = listen.isEmpty ? [("127.0.0.1", 1053)] : listen.compactMap(Self.hostPort)
        config.domain = DomainName(domain)!.lowercased()
        let fm = FileManager.default
        config.manifests = manifests.isEmpty && fm.fileExists(atPath: "examples") ? ["examples"] : manifests
        config.zonesDirectory = zones ?? (fm.fileExists(atPath: "zones") ? "zones" : nil)
        config.ttl = ttl
        config.podMode = PodRecordMode(rawValue: pods) ?? .insecure
        config.maxUDPSize = maxUDPSize
        if !transferAllow.isEmpty { config.transferAllow = transferAllow.compactMap(CIDR.init) }
        if admin != "off" { logger.notice("--admin: the admin HTTP API is not available in this version yet") }
        if !upstream.isEmpty { logger.notice("--upstream: forwarding is not available in this version yet; names outside our zones get REFUSED") }
        if kubeconfig != nil { logger.notice("--kubeconfig: watching a Kubernetes API is not available in this version yet") }
        try await ClusterDNSService.runUntilSignalled(config, logger: logger)
    }
}
