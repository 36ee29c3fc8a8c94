import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestSupport
import Testing
import DNSModel
import DNSWire
import ClusterDNS
import ClusterDNSRuntime

/// The exported cluster zone, loaded into Knot DNS and into NSD, answers every (name, type)
/// exactly as clusterdns does: the zone export is a faithful copy of the live answers, in a file
/// both authoritative servers load.
@Suite("Zone export agrees with Knot DNS and NSD", .serialized)
struct KnotComparisonTests {
    /// A peer server started on a port; whether it answered the zone.
    typealias Start = (_ dir: URL, _ port: Int, _ attempt: Int) async throws -> (Process, Bool)

    @Test("every name and type of the demo zone, through knotd")
    func compareWithKnot() async throws {
        try await compare(peer: "knotd", binary: "/usr/sbin/knotd", package: "knot") { dir, port, attempt in
            try await startKnot(in: dir, port: port, attempt: attempt)
        }
    }

    @Test("every name and type of the demo zone, through nsd")
    func compareWithNSD() async throws {
        try await compare(peer: "nsd", binary: "/usr/sbin/nsd", package: "nsd", start: startNSD)
    }

    /// Exports the server's cluster zone to `cluster.local.zone`, serves it with the peer and
    /// compares the answer section of every (name, type) of the export.
    func compare(peer: String, binary: String, package: String, start: Start) async throws {
        guard FileManager.default.fileExists(atPath: binary) else {
            Issue.record("\(peer) is not installed (scripts/install-deps installs Debian's \(package))")
            return
        }
        try await withServer(zones: nil) { server in
            // The server's own cluster zone, so the export carries its SOA serial.
            let snapshot = server.store.snapshot
            let zone = server.authority.cluster
            let records = zone.records(in: snapshot)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clusterdns-\(peer)-\(UUID())")
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("db"), withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            try ZoneFile.render(records, origin: zone.apex).write(to: dir.appendingPathComponent("cluster.local.zone"), atomically: true, encoding: .utf8)
            // The peer on a port free for TCP and UDP; started again on another port if it does
            // not serve the zone (the port was taken meanwhile by a server of a parallel test).
            var process: Process?
            var port = 0
            for attempt in 1...3 {
                port = freePort()
                let (started, answering) = try await start(dir, port, attempt)
                if answering { process = started; break }
                stop(started, dir: dir)
            }
            guard let process else {
                let log = (try? String(contentsOf: dir.appendingPathComponent("\(peer)-3.log"), encoding: .utf8)) ?? ""
                Issue.record("\(peer) did not serve the zone in 3 attempts; its last log:\n\(log)")
                return
            }
            defer { stop(process, dir: dir) }
            var questions = Set<Question>()
            for rr in records { questions.insert(Question(name: rr.name, type: rr.type)) }
            #expect(questions.count > 20)
            for q in questions.sorted(by: { ($0.name, $0.type.rawValue) < ($1.name, $1.type.rawValue) }) {
                // Three tries: a datagram lost on a busy machine is not a difference (one such loss
                // failed a full parallel run with an empty answer from the peer).
                let ours = digAnswers(try await dig(server.port, "+norec", "+tries=3", q.name.description, q.type.description))
                let theirs = digAnswers(try await dig(port, "+norec", "+tries=3", q.name.description, q.type.description))
                #expect(ours == theirs, "\(peer): \(q.name) \(q.type)")
                #expect(!ours.isEmpty, "\(q.name) \(q.type)")
            }
        }
    }

    /// Ends a peer and every process it forked (nsd runs three) with SIGKILL, found by the test
    /// directory in their command lines: a child inherits the test thread's blocked signals, so
    /// nsd never sees a SIGTERM (and `waitUntilExit` would wait for ever).
    func stop(_ process: Process, dir: URL) {
        let procs = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for pid in procs.compactMap(Int32.init) {
            guard let line = readSmallFile("/proc/\(pid)/cmdline"), line.contains(dir.path) else { continue }
            kill(pid, SIGKILL)
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Runs `binary` with `arguments`, its output in `log`, and waits, bounded, until it answers
    /// on `port`; returns the process and whether it answered.
    func run(_ binary: String, _ arguments: [String], log logFile: URL, port: Int,
             probe: String = "dns-version.cluster.local") async throws -> (Process, Bool) {
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try? log.close()
        let answering = try await eventually(within: 10, every: .milliseconds(100)) {
            guard process.isRunning else { return true }                // it ended: stop waiting
            return try await !digShort(port, probe, "TXT").isEmpty
        }
        return (process, answering && process.isRunning)
    }

    /// Starts nsd (in the foreground, as the current user, no chroot, no remote control) serving
    /// `dir`'s cluster.local zone on `port`, its own log in `nsd-<attempt>.log`.
    func startNSD(in dir: URL, port: Int, attempt: Int) async throws -> (Process, Bool) {
        let path = dir.path
        let conf = """
        server:
            ip-address: 127.0.0.1
            port: \(port)
            zonesdir: "\(path)"
            pidfile: "\(path)/nsd-\(attempt).pid"
            xfrdfile: "\(path)/xfrd-\(attempt).state"
            xfrdir: "\(path)"
            zonelistfile: "\(path)/zone-\(attempt).list"
            username: ""
            chroot: ""
            logfile: "\(path)/nsd-\(attempt).log"
            database: ""
            server-count: 1
            ipv4-edns-size: 1232
        remote-control:
            control-enable: no
        zone:
            name: cluster.local
            zonefile: cluster.local.zone
        """
        let confFile = dir.appendingPathComponent("nsd-\(attempt).conf")
        try conf.write(to: confFile, atomically: true, encoding: .utf8)
        return try await run("/usr/sbin/nsd", ["-d", "-c", confFile.path], log: dir.appendingPathComponent("nsd-\(attempt).out"), port: port)
    }

    /// Starts knotd serving `dir`'s `<zone>.zone` on `port` (log in `knotd-<attempt>.log`) and
    /// waits, bounded, until it answers a TXT question for `probe`; returns the process and
    /// whether it answered.
    func startKnot(in dir: URL, port: Int, attempt: Int, zone: String = "cluster.local",
                   probe: String = "dns-version.cluster.local") async throws -> (Process, Bool) {
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
          - domain: \(zone)
            file: \(zone).zone
        """
        let confFile = dir.appendingPathComponent("knot-\(attempt).conf")
        try conf.write(to: confFile, atomically: true, encoding: .utf8)
        return try await run("/usr/sbin/knotd", ["-c", confFile.path], log: dir.appendingPathComponent("knotd-\(attempt).log"),
                             port: port, probe: probe)
    }
}
