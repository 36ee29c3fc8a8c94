import ArgumentParser
import Foundation
import Logging
import DNSModel
import DNSWire
import ClusterDNS
import ClusterModel
import ClusterDNSRuntime

/// `clusterdns zone`: print the cluster zone as an RFC 1035 master file.
struct Zone: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the cluster zone built from manifests as an RFC 1035 master file.",
        discussion: """
        Example:
          clusterdns zone --manifests examples/ --domain cluster.local --ttl 5 > cluster.local.zone
        """)

    @Option(name: .long, help: ArgumentHelp("Manifest file or directory; repeatable.", valueName: "PATH"))
    var manifests: [String] = []
    @Option(name: .long, help: "Cluster domain.")
    var domain: String = "cluster.local"
    @Option(name: .long, help: ArgumentHelp("TTL of every record, 0–3600 (also the SOA minimum), as for serve.", valueName: "SECONDS"))
    var ttl: UInt32 = 5
    @Flag(name: .customLong("ignore-empty-services"), help: "A ClusterIP Service without ready endpoints answers NXDOMAIN, as a headless one does (CoreDNS ignore empty_service).")
    var ignoreEmptyServices = false
    @Flag(name: .customLong("endpoint-pod-names"), help: "Name endpoints without a hostname by their pod (<pod>.<svc>.<ns>.svc...) instead of their dashed IP, when the pod name is a DNS label (CoreDNS endpoint_pod_names).")
    var endpointPodNames = false
    @Flag(name: .long, help: "Also print the reverse zones (in-addr.arpa, ip6.arpa).")
    var reverse = false
    @Option(name: .long, help: ArgumentHelp("Directory of zone files; the one for the cluster domain supplies SOA, NS and extra names, as for serve. Default: ./zones when present.", valueName: "DIR"))
    var zones: String?

    func validate() throws {
        guard DomainName(domain) != nil else { throw ValidationError("--domain \(domain): not a domain name") }
        guard ttl <= 3600 else { throw ValidationError("--ttl \(ttl): must be between 0 and 3600") }
        for m in manifests where !FileManager.default.fileExists(atPath: m) {
            throw ValidationError("--manifests \(m): no such file or directory")
        }
        if let zones, !FileManager.default.fileExists(atPath: zones) {
            throw ValidationError("--zones \(zones): no such directory")
        }
    }

    func run() throws {
        var logger = Logger(label: "clusterdns")
        logger.logLevel = .critical
        let store = ClusterStore(endpointNaming: endpointPodNames ? .podName : .address)
        let source = ManifestSource(paths: manifests, store: store, logger: logger)
        source.scan()
        if let (_, message) = source.currentErrors.sorted(by: { $0.key < $1.key }).first {
            throw CommandFailure(message)                // the message names the file
        }
        // The serial starts from the export time (as `serve` starts from its start time), so a
        // later export of the same cluster never carries a lower serial.
        let apex = DomainName(domain)!.lowercased()
        let directory = zones ?? (FileManager.default.fileExists(atPath: "zones") ? "zones" : nil)
        // Only the cluster domain's own file matters to this export: a broken one fails it
        // (naming the file and line); other zone files are not read further.
        let loaded = directory.map { ZoneLoader.loadEach(directory: $0) }
        if let failure = loaded?.failures.first(where: {
            DomainName(String((($0.file as NSString).lastPathComponent).dropLast(5)))?.lowercased() == apex
        }) {
            throw CommandFailure("\(failure)")
        }
        let overlay = loaded?.zones.first { $0.origin == apex }
        let zone = ClusterZone(apex: apex, ttl: ttl, overlay: overlay, serialBase: ClusterZone.serialBaseNow,
                               ignoresEmptyServices: ignoreEmptyServices)
        let snapshot = store.snapshot
        let records = zone.records(in: snapshot)
        print(ZoneFile.render(records, origin: zone.apex), terminator: "")
        // An in-zone name server needs an address in the zone (glue): Knot's kzonecheck and
        // knotd reject or warn about a zone without it, as `serve` answers its name NODATA.
        for case .ns(let target) in records.filter({ $0.type == .ns && $0.name == apex }).map(\.data)
        where target.isSubdomain(of: apex) && !records.contains(where: { $0.name == target && ($0.type == .a || $0.type == .aaaa) }) {
            FileHandle.standardError.write(Data("clusterdns: warning: name server \(target) has no address in the zone (no Service kube-system/kube-dns, and no zone file for \(apex) naming one), so servers that check glue reject this zone\n".utf8))
        }
        if reverse {
            for (apex, records) in zone.reverseRecords(in: snapshot).sorted(by: { $0.key < $1.key }) {
                print(ZoneFile.render(records, origin: apex), terminator: "")
            }
        }
    }
}

/// `clusterdns resolv-conf`: the resolv.conf a pod in a namespace gets (kubelet, ClusterFirst).
struct ResolvConf: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolv-conf",
        abstract: "Print the resolv.conf a pod in NAMESPACE would have.",
        discussion: """
        Example:
          clusterdns resolv-conf --namespace default --nameserver 127.0.0.1 > /etc/netns/test/resolv.conf
        """)

    @Option(name: .long, help: "The pod's namespace.")
    var namespace: String = "default"
    @Option(name: .long, help: "The nameserver address.")
    var nameserver: String = "127.0.0.1"
    @Option(name: .long, help: "Cluster domain.")
    var domain: String = "cluster.local"

    func validate() throws {
        guard IPAddress(nameserver) != nil else { throw ValidationError("--nameserver \(nameserver): not an IP address") }
        guard DomainName(namespace) != nil, !namespace.contains(".") else {
            throw ValidationError("--namespace \(namespace): not a namespace name")
        }
    }

    func run() {
        // kubelet: search <ns>.svc.<zone> svc.<zone> <zone>; options ndots:5 (k8s-dns-spec A6.5).
        let d = domain.hasSuffix(".") ? String(domain.dropLast()) : domain
        print("""
        nameserver \(nameserver)
        search \(namespace).svc.\(d) svc.\(d) \(d)
        options ndots:5
        """)
    }
}
