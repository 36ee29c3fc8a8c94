import ArgumentParser
import Foundation
import Logging
import ClusterDNSRuntime

/// `clusterdns`: Kubernetes cluster DNS from manifests, zone files and (later) the Kubernetes API.
@main
struct ClusterDNSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clusterdns",
        abstract: "A Kubernetes cluster DNS server (DNS schema 1.1.0).",
        discussion: """
        Example:
          clusterdns serve --manifests examples/ --zones zones/
          dig @127.0.0.1 -p 1053 web-0.web.default.svc.cluster.local
        """,
        subcommands: [Serve.self, Zone.self, ResolvConf.self, Check.self, Explain.self, Apply.self, Get.self, Delete.self],
        defaultSubcommand: Serve.self)

    /// Runs the command; usage errors exit with 2 (as getopt tools do), other failures with 1.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success || code.rawValue == 0 {
                exit(withError: error)
            }
            var message = fullMessage(for: error)
            if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
            // `ExitCode(1)` (check found problems, already printed) carries no message.
            if !message.isEmpty { FileHandle.standardError.write(Data(("clusterdns: " + message + "\n").utf8)) }
            if code == .validationFailure || error is ValidationError { Foundation.exit(2) }
            Foundation.exit(code.rawValue == 64 ? 2 : 1)
        }
    }
}

/// A command that ran and failed (a manifest it cannot use, a server that refused): its message
/// on one line, exit status 1, no usage text (exit status 2 and usage are for bad flags).
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
