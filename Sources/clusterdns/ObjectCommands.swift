import ArgumentParser
import Foundation
import ClusterModel
import ClusterDNSRuntime

/// Options every API client command shares.
struct ServerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Admin API of a running `clusterdns serve`.", valueName: "URL"))
    var server: String = "http://127.0.0.1:8053"
    @Option(name: .customLong("token-file"), help: ArgumentHelp("File holding the bearer token (see serve --admin-token-file).", valueName: "FILE"))
    var tokenFile: String?

    func client() throws -> AdminClient {
        var token: String?
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw CLIError("--token-file \(tokenFile): cannot read file")
            }
            token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        do { return try AdminClient(server: server, token: token) } catch {
            throw ValidationError("--server \(error)")
        }
    }

    /// Sends a request; a failed connection becomes one clear line.
    func send(_ client: AdminClient, _ method: String, _ path: String, body: [UInt8]? = nil,
              contentType: String? = nil) throws -> AdminClient.Response {
        do { return try client.request(method, path, body: body, contentType: contentType) } catch {
            throw CLIError("\(error) (is `clusterdns serve` running with --admin \(client.address)?)")
        }
    }
}

/// A failure printed as one line.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
    /// The server's `Status` message for a failed answer.
    static func server(_ response: AdminClient.Response) -> CLIError {
        CLIError("server said \(response.status): \(response.message)")
    }
}

/// The kinds the client commands accept, kubectl-style (singular, plural, short).
enum KindArgument {
    static func parse(_ text: String) throws -> ObjectKind {
        switch text.lowercased() {
        case "service", "services", "svc": return .service
        case "pod", "pods", "po": return .pod
        case "endpoints", "ep": return .endpoints
        case "endpointslice", "endpointslices", "endpointslice.discovery.k8s.io": return .endpointSlice
        case "namespace", "namespaces", "ns": return .namespace
        default:
            throw ValidationError("unknown kind \"\(text)\": expected service (svc), pod (po), endpoints (ep), endpointslice or namespace (ns)")
        }
    }

    /// The REST path of a kind, one namespace (nil: all) and an optional name.
    static func path(_ kind: ObjectKind, namespace: String?, name: String?) -> String {
        let base = kind == .endpointSlice ? "/apis/discovery.k8s.io/v1" : "/api/v1"
        var path = base
        if kind.isNamespaced, let namespace { path += "/namespaces/\(namespace)" }
        path += "/\(kind.resource)"
        if let name { path += "/\(name)" }
        return path
    }

    /// `pod/web`, `endpointslice.discovery.k8s.io/web-abc`.
    static func displayName(_ kind: String, _ name: String) -> String {
        kind == "EndpointSlice" ? "endpointslice.discovery.k8s.io/\(name)" : "\(kind.lowercased())/\(name)"
    }
}

/// `clusterdns apply -f FILE|DIR|-`.
struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create or update objects in a running server from manifest files.",
        discussion: """
        Every object read (all files of a directory, and every document of each file) goes to the
        server in ONE request and is applied in one snapshot, or not at all when any is invalid.
        Files are checked locally first, so errors name the file, document and field.

        Examples:
          clusterdns apply -f examples/web-statefulset.yaml
          clusterdns apply -f manifests/ --server http://127.0.0.1:8053
          kubectl get pods -A -o json | clusterdns apply -f -
        """)

    @OptionGroup var server: ServerOptions
    @Option(name: .shortAndLong, help: ArgumentHelp("Manifest file, directory (its .yaml, .yml and .json files), or - for stdin; repeatable.", valueName: "FILE|DIR|-"))
    var filename: [String] = []
    @Flag(name: [.customShort("R"), .long], help: "Read directories recursively.")
    var recursive = false

    func validate() throws {
        guard !filename.isEmpty else { throw ValidationError("-f FILE|DIR|- is required") }
    }

    func run() throws {
        let client = try server.client()
        var parts: [(source: String, data: Data)] = []
        for f in filename {
            if f == "-" {
                parts.append(("-", FileHandle.standardInput.readDataToEndOfFile()))
                continue
            }
            for file in try files(f) {
                guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("\(file): cannot read file") }
                parts.append((file, data))
            }
        }
        var total = 0
        for part in parts {
            do { total += try ManifestDecoder.decode(part.data, source: part.source).objects.count } catch {
                throw CLIError("\(error)")
            }
        }
        guard total > 0 else { throw CLIError("no objects to apply (Service, Pod, Endpoints, EndpointSlice, Namespace)") }
        let body: [UInt8]
        let contentType: String
        if parts.count == 1 {
            body = Array(parts[0].data)
            contentType = body.first(where: { !$0.isWhitespaceByte }).map { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "[") } == true
                ? "application/json" : "application/yaml"
        } else {
            // One YAML stream; a JSON document is valid YAML (flow style).
            var joined: [UInt8] = []
            for part in parts { joined += Array("\n---\n".utf8) + Array(part.data) + [0x0A] }
            body = joined
            contentType = "application/yaml"
        }
        let response = try server.send(client, "POST", "/apply", body: body, contentType: contentType)
        guard response.status == 200 else { throw CLIError.server(response) }
        struct Result: Decodable {
            struct Item: Decodable { var kind: String; var name: String; var action: String }
            var items: [Item]
            var skipped: [String]?
        }
        let result = try JSONDecoder().decode(Result.self, from: Data(response.body))
        for item in result.items { print("\(KindArgument.displayName(item.kind, item.name)) \(item.action)") }
        for kind in result.skipped ?? [] { FileHandle.standardError.write(Data("skipped: \(kind) is not read by cluster DNS\n".utf8)) }
    }

    func files(_ path: String) throws -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw CLIError("\(path): no such file or directory") }
        guard isDir.boolValue else { return [path] }
        let fm = FileManager.default
        let names: [String]
        if recursive {
            names = (fm.enumerator(atPath: path)?.allObjects as? [String]) ?? []
        } else {
            names = (try? fm.contentsOfDirectory(atPath: path)) ?? []
        }
        return names.filter { name in
            let last = (name as NSString).lastPathComponent
            return ["yaml", "yml", "json"].contains((name as NSString).pathExtension.lowercased()) && !last.hasPrefix(".")
        }.sorted().map { (path as NSString).appendingPathComponent($0) }
    }
}

extension UInt8 {
    var isWhitespaceByte: Bool { self == 0x20 || self == 0x09 || self == 0x0A || self == 0x0D }
}

/// `clusterdns get KIND [NAME] [-n NS]`.
struct Get: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List or show objects of a running server.",
        discussion: """
        KIND is service (svc), pod (po), endpoints (ep), endpointslice or namespace (ns).

        Examples:
          clusterdns get pods -n shop
          clusterdns get svc -A
          clusterdns get pod web-0 -o yaml
        """)

    enum Output: String, ExpressibleByArgument, CaseIterable { case table, json, yaml, name }

    @OptionGroup var server: ServerOptions
    @Argument(help: "The kind of object.") var kind: String
    @Argument(help: "An object name (default: every object of the kind).") var name: String?
    @Option(name: .shortAndLong, help: ArgumentHelp("Namespace.", valueName: "NS")) var namespace: String = "default"
    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "Every namespace.") var allNamespaces = false
    @Option(name: .shortAndLong, help: ArgumentHelp("Output: table, json, yaml or name.", valueName: "FORMAT")) var output: Output = .table

    func validate() throws {
        _ = try KindArgument.parse(kind)
        if allNamespaces, name != nil { throw ValidationError("a name cannot be combined with --all-namespaces") }
    }

    func run() throws {
        let kind = try KindArgument.parse(kind)
        let client = try server.client()
        let path = KindArgument.path(kind, namespace: allNamespaces ? nil : namespace, name: name)
        let response = try server.send(client, "GET", path)
        guard response.status == 200 else {
            if response.status == 404, let name { throw CLIError("\(kind.resource) \"\(name)\" not found") }
            throw CLIError.server(response)
        }
        switch output {
        case .json:
            print(Pretty.json(response.body))
        case .yaml:
            print(Pretty.yaml(response.body), terminator: "")
        case .name, .table:
            let objects: [KubeObject]
            do { objects = try ManifestDecoder.decode(response.body, source: "server").objects } catch {
                throw CLIError("cannot read the server's answer: \(error)")
            }
            if output == .name {
                for o in objects { print(KindArgument.displayName(o.kind.kindName, o.key.name)) }
            } else if objects.isEmpty {
                FileHandle.standardError.write(Data((allNamespaces || !kind.isNamespaced ? "No resources found\n" : "No resources found in \(namespace) namespace.\n").utf8))
            } else {
                print(Table.render(objects, withNamespace: allNamespaces && kind.isNamespaced), terminator: "")
            }
        }
    }
}

/// `clusterdns delete KIND NAME... -n NS`.
struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete objects from a running server.",
        discussion: """
        Example:
          clusterdns delete pod web-2 -n default
        """)

    @OptionGroup var server: ServerOptions
    @Argument(help: "The kind of object.") var kind: String
    @Argument(help: "Object names.") var names: [String] = []
    @Option(name: .shortAndLong, help: ArgumentHelp("Namespace.", valueName: "NS")) var namespace: String = "default"
    @Flag(name: .customLong("ignore-not-found"), help: "Succeed when an object does not exist.") var ignoreNotFound = false

    func validate() throws {
        _ = try KindArgument.parse(kind)
        guard !names.isEmpty else { throw ValidationError("at least one NAME is required") }
    }

    func run() throws {
        let kind = try KindArgument.parse(kind)
        let client = try server.client()
        var failed = false
        for name in names {
            let response = try server.send(client, "DELETE", KindArgument.path(kind, namespace: namespace, name: name))
            switch response.status {
            case 200: print("\(kind.kindName.lowercased()) \"\(name)\" deleted")
            case 404 where ignoreNotFound: continue
            case 404:
                let e = CLIError("\(kind.resource) \"\(name)\" not found" + (kind.isNamespaced ? " in namespace \(namespace)" : ""))
                FileHandle.standardError.write(Data("clusterdns: \(e)\n".utf8)); failed = true
            default: throw CLIError.server(response)
            }
        }
        if failed { Foundation.exit(1) }
    }
}
