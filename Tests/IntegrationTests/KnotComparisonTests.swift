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
    @Test("every name and type of the demo zone")
    func compareWithKnot() async throws {
        guard FileManager.default.fileExists(atPath: "/usr/sbin/knotd") else {
            Issue.record("knotd is not installed (scripts/install-deps installs Debian's knot)")
            return
        }
        try await withServer(zones: nil) { server in
            // The server's own cluster zone, so the export carries its SOA serial.
            let snapshot = server.store.snapshot
            let zone = server.authority.cluster
            let records = zone.records(in: snapshot)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clusterdns-knot-\(UUID())")
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("db"), withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            try ZoneFile.render(records, origin: zone.apex).write(to: dir.appendingPathComponent("cluster.local.zone"), atomically: true, encoding: .utf8)
            // knotd on a port free for TCP and UDP; started again on another port if it does not
            // serve the zone (the port was taken meanwhile by a server of a parallel test).
            var knot: Process?
            var port = 0
            for attempt in 1...3 {
                port = freePort()
                let (process, answering) = try await startKnot(in: dir, port: port, attempt: attempt)
                if answering { knot = process; break }
                process.terminate(); process.waitUntilExit()
            }
            guard let knot else {
                let log = (try? String(contentsOf: dir.appendingPathComponent("knot-3.log"), encoding: .utf8)) ?? ""
                Issue.record("knotd did not serve the zone in 3 attempts; its last log:\n\(log)")
                return
            }
            defer { knot.terminate(); knot.waitUntilExit() }
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

    /// Starts knotd serving `dir`'s cluster.local zone on `port` (log in `knot-<attempt>.log`) and
    /// waits, bounded, until it answers; returns the process and whether it answered.
    func startKnot(in dir: URL, port: Int, attempt: Int) async throws -> (Process, Bool) {
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
        let confFile = dir.appendingPathComponent("knot-\(attempt).conf")
        try conf.write(to: confFile, atomically: true, encoding: .utf8)
        let logFile = dir.appendingPathComponent("knot-\(attempt).log")
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        let knot = Process()
        knot.executableURL = URL(fileURLWithPath: "/usr/sbin/knotd")
        knot.arguments = ["-c", confFile.path]
        knot.standardOutput = log
        knot.standardError = log
        try knot.run()
        try? log.close()
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, knot.isRunning {
            if try await !digShort(port, "dns-version.cluster.local", "TXT").isEmpty { return (knot, true) }
            try await Task.sleep(for: .milliseconds(100))
        }
        return (knot, false)
    }
}
