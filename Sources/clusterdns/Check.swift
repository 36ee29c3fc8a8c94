import ArgumentParser
import Foundation
import ClusterDNS
import ClusterModel
import ClusterDNSRuntime
import DNSModel

/// `clusterdns check`: validate manifests without serving.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate manifests without serving; warn about what will surprise at run time.",
        discussion: """
        Prints each problem as file:document:field: message and exits 1 when there is any.
        Warnings (a pod whose subdomain names no headless service, a selector that matches nothing,
        a named targetPort no selected pod defines, a hostname used twice in one service, an
        ExternalName whose CNAME chain stays in the cluster domain and loops, ends at a missing
        name or runs past 10 CNAMEs, an object defined in two files) are printed as warning: lines
        and do not change the exit status. Every bad document of a YAML stream is reported, not
        only the first (a YAML syntax error ends the file).

        Example:
          clusterdns check examples/ deploy/
        """)

    @Argument(help: ArgumentHelp("Manifest files or directories.", valueName: "PATH"))
    var paths: [String]

    @Option(name: .long, help: ArgumentHelp("The cluster domain the names are checked under.", valueName: "DOMAIN"))
    var domain: String = "cluster.local"

    func validate() throws {
        if DomainName(domain) == nil { throw ValidationError("--domain \(domain): not a domain name") }
        for p in paths where !FileManager.default.fileExists(atPath: p) {
            throw ValidationError("\(p): no such file or directory")
        }
    }

    func run() throws {
        let store = ClusterStore()
        var problems = 0
        var count = 0
        var definedIn: [ObjectKey: String] = [:]
        var duplicates: [String] = []
        // The files `serve` would read (links followed, hidden entries skipped).
        let (files, unreadable) = ManifestSource.files(under: paths)
        for (path, reason) in unreadable {
            print("\(path):0:: \(reason)"); problems += 1
        }
        for file in files {
            count += 1
            guard let data = FileManager.default.contents(atPath: file) else {
                print("\(file):0:: cannot read file"); problems += 1; continue
            }
            // Every bad document of the file is reported; the file's objects are then left out, as
            // `serve` rejects the whole file.
            let (decoded, problemsHere) = ManifestDecoder.decodeReportingAll(data, source: file)
            for problem in problemsHere { print("\(problem)") }
            problems += problemsHere.count
            guard let contents = decoded else { continue }
            // An object in two files: the file written last wins.
            for object in contents.objects {
                if let first = definedIn[object.key], first != file {
                    duplicates.append("warning: \(object.kind.resource)/\(object.namespace)/\(object.key.name) is defined in \(first) and \(file): the file written last wins (at start, the later one in path order; afterwards, whichever changes last), and removing either brings back the other's version")
                }
                definedIn[object.key] = file
            }
            store.replace(source: file, with: contents.objects)
        }
        for warning in ClusterLint.warnings(in: store.snapshot, domain: DomainName(domain)!.lowercased()) {
            print("warning: \(warning)")
        }
        for line in duplicates { print(line) }
        let snapshot = store.snapshot
        let objects = ObjectKind.allCases.map { snapshot.objectCount(of: $0) }.reduce(0, +)
        let summary = [(count, "file"), (objects, "object"), (problems, "problem")].map { "\($0) \($1)\($0 == 1 ? "" : "s")" }
        FileHandle.standardError.write(Data((summary.joined(separator: ", ") + "\n").utf8))
        if problems > 0 { throw ExitCode(1) }
    }
}
