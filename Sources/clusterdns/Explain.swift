import ArgumentParser
import Foundation
import DNSModel
import ClusterDNS
import ClusterModel

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
    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func validate() throws {
        guard DomainName(name) != nil else { throw ValidationError("\(name): not a domain name") }
        guard RecordType(type) != nil else { throw ValidationError("\(type): unknown record type") }
        if server == nil, manifests.isEmpty { throw ValidationError("give --manifests PATH or --server URL") }
    }

    func run() throws {
        if let server {
            var components = URLComponents(string: server.hasSuffix("/") ? String(server.dropLast()) + "/v1/explain" : server + "/v1/explain")
            components?.queryItems = [URLQueryItem(name: "name", value: name), URLQueryItem(name: "type", value: type)]
            guard let url = components?.url else { throw ValidationError("--server \(server): not a URL") }
            let (status, body) = try HTTPGet.fetch(url)
            guard status == 200 else { throw ValidationError("server answered \(status): \(String(decoding: body, as: UTF8.self))") }
            if json { print(String(decoding: body, as: UTF8.self)); return }
            let e = try JSONDecoder().decode(Explanation.self, from: body)
            print(e.text)
            return
        }
        let store = ClusterStore()
        for file in ManifestFiles.list(manifests) {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("\(file): cannot read file") }
            do {
                store.replace(source: file, with: try ManifestDecoder.decode(data, source: file).objects)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        let authority = Authority(cluster: ClusterZone(apex: DomainName(domain)!.lowercased()))
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

/// A blocking HTTP GET for the CLI (FoundationNetworking).
enum HTTPGet {
    static func fetch(_ url: URL) throws -> (Int, Data) {
        #if canImport(FoundationNetworking)
        let session = URLSession(configuration: .ephemeral)
        #else
        let session = URLSession.shared
        #endif
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (Int, Data)?
        nonisolated(unsafe) var failure: (any Error)?
        session.dataTask(with: url) { data, response, error in
            if let error { failure = error } else { result = ((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()) }
            done.signal()
        }.resume()
        done.wait()
        if let failure { throw ValidationError("\(url): \(failure.localizedDescription)") }
        return result ?? (0, Data())
    }
}

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
