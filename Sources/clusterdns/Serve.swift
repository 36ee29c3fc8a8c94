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

    @Option(name: .long, help: ArgumentHelp("DNS listen address (UDP and TCP); repeatable. Default: 127.0.0.1:1053.", valueName: "HOST:PORT"))
    var listen: [String] = []
    @Option(name: .long, help: ArgumentHelp("Cluster domain.", valueName: "DOMAIN"))
    var domain: String = "cluster.local"
    @Option(name: .long, help: ArgumentHelp("Manifest file or directory (YAML/JSON, watched); repeatable. Default: ./examples when present.", valueName: "PATH"))
    var manifests: [String] = []
    @Option(name: .long, help: ArgumentHelp("Directory of RFC 1035 zone files served as static zones; reloaded on SIGHUP and when a file changes. Default: ./zones when present.", valueName: "DIR"))
    var zones: String?
    @Option(name: .long, help: ArgumentHelp("Admin HTTP address, or off.", valueName: "HOST:PORT|off"))
    var admin: String = "127.0.0.1:8053"
    @Option(name: .customLong("admin-token-file"), help: ArgumentHelp("File holding a bearer token the admin API requires (see --admin-auth).", valueName: "FILE"))
    var adminTokenFile: String?
    @Option(name: .customLong("admin-auth"), help: ArgumentHelp("What the token protects: writes, or all (every request but /healthz and /readyz).", valueName: "writes|all"))
    var adminAuth: String = "writes"
    @Flag(name: .customLong("admin-read-only"), help: "Refuse every admin API write with 403.")
    var adminReadOnly = false
    @Option(name: .long, help: ArgumentHelp("Upstream resolver for names outside our zones; repeatable. resolv.conf: the nameservers of /etc/resolv.conf. Default: none (REFUSED).", valueName: "HOST:PORT|resolv.conf"))
    var upstream: [String] = []
    @Option(name: .long, help: ArgumentHelp("TTL of cluster records, 0–3600 (also the SOA minimum).", valueName: "SECONDS"))
    var ttl: UInt32 = 5
    @Flag(name: .customLong("ignore-empty-services"), help: "A ClusterIP Service without ready endpoints answers NXDOMAIN, as a headless one does (CoreDNS ignore empty_service).")
    var ignoreEmptyServices = false
    @Flag(name: .customLong("endpoint-pod-names"), help: "Name endpoints without a hostname by their pod (<pod>.<svc>.<ns>.svc...) instead of their dashed IP, when the pod name is a DNS label (CoreDNS endpoint_pod_names).")
    var endpointPodNames = false
    @Option(name: .long, help: ArgumentHelp("Pod A records: insecure, verified or disabled.", valueName: "MODE"))
    var pods: String = "insecure"
    @Option(name: .long, help: ArgumentHelp("Kubeconfig of a cluster to watch (Services, EndpointSlices, Namespaces, Pods). Without it, in a pod (KUBERNETES_SERVICE_HOST set), the service account is used.", valueName: "PATH"))
    var kubeconfig: String?
    @Option(name: .long, help: ArgumentHelp("Kubeconfig context (with --kubeconfig). Default: its current-context.", valueName: "NAME"))
    var context: String?
    @Option(name: .long, help: ArgumentHelp("Watch and serve only these namespaces of the cluster (comma-separated; with --kubeconfig or in a pod). Default: all.", valueName: "A,B"))
    var namespaces: String?
    @Option(name: .long, help: ArgumentHelp("Label selector for the Services watched in the cluster (with --kubeconfig or in a pod), e.g. app=web,tier!=db.", valueName: "SELECTOR"))
    var labels: String?
    @Option(name: .customLong("max-udp-size"), help: ArgumentHelp("Largest UDP answer, 512–4096.", valueName: "BYTES"))
    var maxUDPSize: Int = 1232
    @Option(name: .customLong("serve-stale"), help: ArgumentHelp("When no upstream answers, serve a forwarded answer up to this long past its TTL (TTL 30, EDE 3; RFC 8767), 0–604800. Default: 0 (never).", valueName: "SECONDS"))
    var serveStale: Int = 0
    @Option(name: .long, help: ArgumentHelp("On SIGTERM or SIGINT, keep answering DNS this long while /readyz fails (lame duck), then stop, 0–300.", valueName: "SECONDS"))
    var lameduck: Int = 0
    @Option(name: .long, help: ArgumentHelp("Name server identifier sent to clients that ask for it (EDNS NSID, RFC 5001; `dig +nsid`), e.g. the pod name, to tell replicas apart; up to 128 bytes. Default: none.", valueName: "TEXT"))
    var nsid: String?
    @Option(name: .customLong("transfer-allow"), help: ArgumentHelp("Client block allowed to AXFR; repeatable. Default: loopback.", valueName: "CIDR"))
    var transferAllow: [String] = []
    @Option(name: .customLong("synthetic-churn"), help: ArgumentHelp("Benchmark load: flip this many pod readiness states per second straight in the store.", valueName: "RATE", visibility: .hidden))
    var syntheticChurn: Int = 0
    @Option(name: .customLong("synthetic-churn-batch"), help: ArgumentHelp("Benchmark load: milliseconds between the synthetic churn's batches (one snapshot each).", valueName: "MS", visibility: .hidden))
    var syntheticChurnBatch: Int = 1
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
        if let kubeconfig, !FileManager.default.fileExists(atPath: kubeconfig) {
            throw ValidationError("--kubeconfig \(kubeconfig): no such file")
        }
        for ns in Self.namespaceList(namespaces) where !KubernetesSettings.isNamespaceName(ns) {
            throw ValidationError("--namespaces \(namespaces ?? ""): \"\(ns)\" is not a namespace name")
        }
        if kubeconfig == nil, !KubernetesSettings.runningInCluster, context != nil || namespaces != nil || labels != nil {
            throw ValidationError("--context, --namespaces and --labels need --kubeconfig (or running in a pod)")
        }
        guard (512...4096).contains(maxUDPSize) else { throw ValidationError("--max-udp-size \(maxUDPSize): must be 512–4096") }
        if let nsid, nsid.isEmpty || nsid.utf8.count > 128 { throw ValidationError("--nsid: 1 to 128 bytes") }
        guard (0...604_800).contains(serveStale) else { throw ValidationError("--serve-stale \(serveStale): must be between 0 and 604800") }
        guard (0...300).contains(lameduck) else { throw ValidationError("--lameduck \(lameduck): must be between 0 and 300") }
        for c in transferAllow where CIDR(c) == nil { throw ValidationError("--transfer-allow \(c): not a CIDR block") }
        if admin != "off", Self.hostPort(admin) == nil { throw ValidationError("--admin \(admin): expected HOST:PORT or off") }
        guard AdminOptions.AuthScope(rawValue: adminAuth) != nil else { throw ValidationError("--admin-auth \(adminAuth): expected writes or all") }
        if let adminTokenFile, (try? Self.readToken(adminTokenFile)) == nil {
            throw ValidationError("--admin-token-file \(adminTokenFile): cannot read a non-empty token from the file")
        }
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

    /// The token in a file, without surrounding white space; throws when unreadable or empty.
    static func readToken(_ file: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw ValidationError("\(file) is empty") }
        return token
    }

    /// Whether an admin host is a loopback address.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// `a,b` → `["a", "b"]`.
    static func namespaceList(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
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
            // An IPv6 address needs brackets (`::1:53` could be `::1` port 53 or `::1:53` no port).
            guard !host.contains(":"), !host.contains("["), !host.contains("]") else { return nil }
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
        config.endpointNaming = endpointPodNames ? .podName : .address
        config.ignoreEmptyServices = ignoreEmptyServices
        config.maxUDPSize = maxUDPSize
        config.nsid = nsid
        config.lameDuck = .seconds(lameduck)
        config.serveStale = .seconds(serveStale)
        config.syntheticChurnRate = max(0, syntheticChurn)
        config.syntheticChurnBatch = .milliseconds(max(1, syntheticChurnBatch))
        if !transferAllow.isEmpty { config.transferAllow = transferAllow.compactMap(CIDR.init) }
        if admin != "off", let (host, port) = Self.hostPort(admin) {
            config.admin = AdminOptions(host: host, port: port, token: try adminTokenFile.map(Self.readToken),
                                        authScope: AdminOptions.AuthScope(rawValue: adminAuth) ?? .writes,
                                        readOnly: adminReadOnly)
            if config.admin?.token == nil, !Self.isLoopback(host) {
                logger.warning("--admin \(admin) is not loopback and has no --admin-token-file: anyone who can reach it can change DNS")
            }
        }
        config.metrics = ClusterDNSMetrics.bootstrapGlobal()
        for u in upstream {
            if u == "resolv.conf" {
                // As CoreDNS's `forward . /etc/resolv.conf`: every nameserver there, port 53.
                guard let servers = ResolvConfFile.nameservers(), !servers.isEmpty else {
                    throw ValidationError("--upstream resolv.conf: no nameserver in /etc/resolv.conf")
                }
                config.upstreams += servers
            } else if let hp = Self.hostPort(u) {
                config.upstreams.append(hp)
            }
        }
        if kubeconfig == nil, !KubernetesSettings.runningInCluster, let env = ProcessInfo.processInfo.environment["KUBECONFIG"], !env.isEmpty {
            // Not read on purpose: a shell's KUBECONFIG must not turn a local demo into a server
            // of a real cluster. Said, so that nobody wonders why their cluster is not served.
            logger.warning("KUBECONFIG is set but not read; pass --kubeconfig FILE to watch that cluster", metadata: ["KUBECONFIG": "\(env)"])
        }
        if kubeconfig != nil || KubernetesSettings.runningInCluster {
            var k = KubernetesSettings()
            k.kubeconfig = kubeconfig
            k.context = context
            k.inCluster = kubeconfig == nil
            k.namespaces = Self.namespaceList(namespaces)
            k.serviceLabelSelector = labels
            // Pods are always watched: the store derives endpoints from them for any service without
            // EndpointSlices (or v1 Endpoints), and `--pods verified` answers from them.
            k.watchPods = true
            config.kubernetes = k
            // The API is the source of truth: no demo manifests unless asked for.
            if manifests.isEmpty { config.manifests = [] }
        }
        try await ClusterDNSService.runUntilSignalled(config, logger: logger)
    }
}
