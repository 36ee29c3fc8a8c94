import ArgumentParser
import Foundation
import DNSModel
import ClusterDNS
import ClusterModel
import ClusterDNSRuntime
import ClusterDNSAdmin

/// `clusterdns explain`: why a name answers the way it does.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show which objects make a name's answer and why pods or endpoints are left out.",
        discussion: """
        Offline on manifests (--manifests), or against a running server's admin API (--server).

        Examples:
          clusterdns explain web-2.web.default.svc.cluster.local --manifests examples/
          clusterdns explain _http._tcp.web.default.svc.cluster.local SRV --server http://127.0.0.1:8053
        """)

    @Argument(help: "The name to explain.")
    var name: String
    @Argument(help: "The record type (default A).")
    var type: String = "A"
    @Option(name: .long, help: ArgumentHelp("Manifest file or directory; repeatable.", valueName: "PATH"))
    var manifests: [String] = []
    @Option(name: .long, help: "Cluster domain (offline mode).")
    var domain: String = "cluster.local"
    @Option(name: .long, help: ArgumentHelp("Ask a running server's admin API instead.", valueName: "URL"))
    var server: String?
    @Flag(name: .customLong("ignore-empty-services"), help: "A ClusterIP Service without ready endpoints answers NXDOMAIN, as a headless one does (CoreDNS ignore empty_service).")
    var ignoreEmptyServices = false
    @Flag(name: .customLong("endpoint-pod-names"), help: "Name endpoints without a hostname by their pod (<pod>.<svc>.<ns>.svc...) instead of their dashed IP, when the pod name is a DNS label (CoreDNS endpoint_pod_names).")
    var endpointPodNames = false
    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func validate() throws {
        guard DomainName(name) != nil else { throw ValidationError("\(name): not a domain name") }
        guard RecordType(type) != nil else { throw ValidationError("\(type): unknown record type") }
        if server == nil, manifests.isEmpty { throw ValidationError("give --manifests PATH or --server URL") }
        for m in manifests where !FileManager.default.fileExists(atPath: m) {
            throw ValidationError("--manifests \(m): no such file or directory")
        }
    }

    func run() throws {
        if let server {
            // The admin client (plain sockets): no FoundationNetworking, so a static binary links.
            let client = try AdminClient(server: server)
            let query = [("name", name), ("type", type)].map { key, value in
                key + "=" + (value.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? value)
            }.joined(separator: "&")
            let response = try client.request("GET", "/v1/explain?" + query)
            guard response.status == 200 else { throw CommandFailure("server answered \(response.status): \(response.text)") }
            let body = Data(response.body)
            if json { print(String(decoding: body, as: UTF8.self)); return }
            let e = try JSONDecoder().decode(Explanation.self, from: body)
            print(e.text)
            return
        }
        let store = ClusterStore(endpointNaming: endpointPodNames ? .podName : .address)
        let (files, unreadable) = ManifestSource.files(under: manifests)
        if let (path, reason) = unreadable.first { throw CommandFailure("\(path): \(reason)") }
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { throw CommandFailure("\(file): cannot read file") }
            do {
                store.replace(source: file, with: try ManifestDecoder.decode(data, source: file).objects)
            } catch {
                throw CommandFailure("\(error)")
            }
        }
        let authority = Authority(cluster: ClusterZone(apex: DomainName(domain)!.lowercased(), ignoresEmptyServices: ignoreEmptyServices))
        let e = authority.explain(DomainName(name)!, type: RecordType(type)!, in: store.snapshot)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(e), as: UTF8.self))
        } else {
            print(e.text)
        }
    }
}
