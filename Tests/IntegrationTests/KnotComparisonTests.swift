import Foundation
import TestSupport
import Testing
import DNSModel
import DNSWire
import ClusterDNS
import ClusterDNSRuntime

/// The exported cluster zone, loaded into Knot DNS, answers every (name, type) exactly as
/// clusterdns does: the zone export is a faithful copy of the live answers.
@Suite("Zone export agrees with Knot DNS", .serialized)
struct KnotComparisonTests {
    /// A free TCP/UDP port on loopback (bound and released; good enough for a test).
    func freePort() async throws -> Int {
        let r = try await run("python3", ["-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"])
        return Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    @Test("every name and type of the demo zone")
    func compareWithKnot() async throws {
        guard FileManager.default.fileExists(atPath: "/usr/sbin/knotd") else {
            Issue.record("knotd is not installed (scripts/install-deps installs Debian's knot)")
            return
        }
        try await withServer(zones: nil) { server in
            let zone = ClusterZone(apex: "cluster.local.", ttl: 5)
            let records = zone.records(in: server.store.snapshot)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clusterdns-knot-\(UUID())")
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("db"), withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            try ZoneFile.render(records, origin: zone.apex).write(to: dir.appendingPathComponent("cluster.local.zone"), atomically: true, encoding: .utf8)
            let port = try await freePort()
            let conf = """
            server:
                rundir: "\(dir.path)"
                listen: 127.0.0.1@\(port)
                udp-max-payload: 1232
            database:
                storage: "\(dir.path)/db"
            template:
              - id: default
                storage: "\(dir.path)"
                semantic-checks: off
                zonefile-sync: -1
                journal-content: none
            zone:
              - domain: cluster.local
                file: cluster.local.zone
            """
            try conf.write(to: dir.appendingPathComponent("knot.conf"), atomically: true, encoding: .utf8)
            let knot = Process()
            knot.executableURL = URL(fileURLWithPath: "/usr/sbin/knotd")
            knot.arguments = ["-c", dir.appendingPathComponent("knot.conf").path]
            knot.standardOutput = FileHandle.nullDevice
            knot.standardError = FileHandle.nullDevice
            try knot.run()
            defer { knot.terminate(); knot.waitUntilExit() }
            // Wait (bounded) until knot serves the zone.
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline, try await digShort(port, "dns-version.cluster.local", "TXT").isEmpty {
                try await Task.sleep(for: .milliseconds(100))
            }
            var questions = Set<Question>()
            for rr in records { questions.insert(Question(name: rr.name, type: rr.type)) }
            #expect(questions.count > 20)
            for q in questions.sorted(by: { ($0.name, $0.type.rawValue) < ($1.name, $1.type.rawValue) }) {
                let ours = digAnswers(try await dig(server.port, "+norec", q.name.description, q.type.description))
                let knots = digAnswers(try await dig(port, "+norec", q.name.description, q.type.description))
                #expect(ours == knots, "\(q.name) \(q.type)")
                #expect(!ours.isEmpty, "\(q.name) \(q.type)")
            }
        }
    }
}
