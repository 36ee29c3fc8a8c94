import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestSupport
import Testing
import ClusterDNSRuntime

@Suite("CLI client")
struct CLITests {
    @Test("clusterdns apply / get / delete against a running server")
    func endToEnd() async throws {
        guard let binary = requireClusterdnsBinary() else { return }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("admin-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try (serviceYAML("web", clusterIP: "None", selector: ["app": "web"])).write(to: dir.appendingPathComponent("svc.yaml"), atomically: true, encoding: .utf8)
        try (podYAML("web-0", ip: "10.1.0.1", labels: ["app": "web"]) + "---\n" + podYAML("web-1", ip: "10.1.0.2", labels: ["app": "web"]))
            .write(to: dir.appendingPathComponent("pods.yml"), atomically: true, encoding: .utf8)
        try "not a manifest".write(to: dir.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        let tokenFile = dir.appendingPathComponent("token").path
        try "t0ken\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)

        try await withAdminServer(admin: AdminOptions(host: "127.0.0.1", port: 0, token: "t0ken")) { server, admin async throws in
            let common = ["--server", admin.url, "--token-file", tokenFile]
            var r = try await run(binary, ["apply", "-f", dir.path] + common)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout == "pod/web-0 created\npod/web-1 created\nservice/web created\n")
            #expect(try query(server.port, "web.default.svc.cluster.local").addresses == ["10.1.0.1", "10.1.0.2"])

            r = try await run(binary, ["apply", "-f", "-"] + common, stdin: podYAML("web-1", ip: "10.1.0.3", labels: ["app": "web"]))
            #expect(r.stdout == "pod/web-1 configured\n", "\(r.stderr)")

            r = try await run(binary, ["get", "pods"] + common)
            #expect(r.status == 0)
            #expect(r.stdout.hasPrefix("NAME"))
            #expect(r.stdout.contains("web-0") && r.stdout.contains("10.1.0.3"))
            r = try await run(binary, ["get", "po", "-A", "-o", "name", "--server", admin.url])
            #expect(r.stdout == "pod/web-0\npod/web-1\n", "\(r.stderr)")
            r = try await run(binary, ["get", "svc", "web", "-o", "json", "--server", admin.url])
            #expect(r.stdout.contains("\"kind\" : \"Service\""), "\(r.stdout)")
            r = try await run(binary, ["get", "svc", "web", "-o", "yaml", "--server", admin.url])
            #expect(r.stdout.contains("kind: Service\n") && r.stdout.contains("  name: web\n"), "\(r.stdout)")

            r = try await run(binary, ["delete", "pod", "web-0"] + common)
            #expect(r.status == 0 && r.stdout == "pod \"web-0\" deleted\n", "\(r.stderr)")
            #expect(try query(server.port, "web.default.svc.cluster.local").addresses == ["10.1.0.3"])

            // Failures: one line on stderr, non-zero exit.
            r = try await run(binary, ["delete", "pod", "web-0"] + common)
            #expect(r.status != 0 && r.stderr.contains("not found") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            r = try await run(binary, ["delete", "pod", "web-1", "--server", admin.url])
            #expect(r.status != 0 && r.stderr.contains("401"), "\(r.stderr)")
            try podYAML("bad", ip: "nope").write(to: dir.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
            r = try await run(binary, ["apply", "-f", dir.appendingPathComponent("bad.yaml").path] + common)
            #expect(r.status != 0 && r.stderr.contains("bad.yaml:0:status.pod"), "\(r.stderr)")
            r = try await run(binary, ["get", "pods", "--server", "http://127.0.0.1:1"])
            #expect(r.status != 0 && r.stderr.contains("cannot connect"), "\(r.stderr)")
            r = try await run(binary, ["get", "deployments", "--server", admin.url])
            #expect(r.status != 0 && r.stderr.contains("unknown kind"), "\(r.stderr)")
            r = try await run(binary, ["apply", "--help"])
            #expect(r.stdout.contains("clusterdns apply -f"))
        }
    }

    @Test("SIGHUP makes clusterdns serve reload its zone files (a changed record is served) and does not end it; SIGTERM still stops it with status 0")
    func hangupReloadsZones() async throws {
        guard let binary = requireClusterdnsBinary() else { return }
        let dir = URL(fileURLWithPath: try temporaryDirectory("hup"))
        defer { try? FileManager.default.removeItem(at: dir) }
        let zone = dir.appendingPathComponent("hup.test.zone")
        func write(_ address: String) throws {
            try "$ORIGIN hup.test.\n@ 300 IN SOA ns hostmaster 1 7200 1800 86400 60\n@ 300 IN NS ns\nns 300 IN A 192.0.2.53\nwww 300 IN A \(address)\n"
                .write(to: zone, atomically: true, encoding: .utf8)
        }
        try write("192.0.2.1")
        let (serve, port) = try await LoggedProcess.serve(binary, ["--admin", "off", "--manifests", dir.path, "--zones", dir.path], in: dir)
        defer { serve.stop() }
        func www() async throws -> String {
            try await run("/usr/bin/dig", ["@127.0.0.1", "-p", port, "+short", "+tries=3", "www.hup.test", "A"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try await www() == "192.0.2.1")
        try write("192.0.2.2")
        kill(serve.process.processIdentifier, SIGHUP)
        #expect(try await serve.waitForLog("reason=reload requested"), "\(serve.log)")
        #expect(try await www() == "192.0.2.2", "\(serve.log)")
        #expect(serve.process.isRunning)
        kill(serve.process.processIdentifier, SIGTERM)
        serve.process.waitUntilExit()
        #expect(serve.process.terminationStatus == 0)
    }

    @Test("--lameduck: on SIGTERM /readyz fails at once while DNS is still answered, then the server stops with status 0")
    func lameDuckShutdown() async throws {
        guard let binary = requireClusterdnsBinary() else { return }
        let dir = URL(fileURLWithPath: try temporaryDirectory("lameduck"))
        defer { try? FileManager.default.removeItem(at: dir) }
        let (serve, port) = try await LoggedProcess.serve(binary, ["--admin", "127.0.0.1:0", "--lameduck", "3",
                                                                   "--manifests", repositoryRoot + "/examples", "--zones", dir.path], in: dir)
        defer { serve.stop() }
        let adminPort = try #require(serve.log.firstMatch(of: /http=127\.0\.0\.1:(\d+)/).flatMap { Int($0.1) })
        let admin = Admin(port: adminPort)
        #expect(try await admin.get("/readyz").status == 200)
        kill(serve.process.processIdentifier, SIGTERM)
        #expect(try await serve.waitForLog("lame-duck"), "\(serve.log)")
        let readyz = try await admin.get("/readyz")
        #expect(readyz.status == 503 && String(decoding: readyz.body, as: UTF8.self).contains("shutting down"))
        let answer = try await run("/usr/bin/dig", ["@127.0.0.1", "-p", port, "+short", "+tries=2", "web-0.web.default.svc.cluster.local"])
        #expect(answer.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "10.244.1.10", "still answered while draining")
        #expect(serve.process.isRunning)
        serve.process.waitUntilExit()
        #expect(serve.process.terminationStatus == 0)
    }

    @Test("clusterdns serve raises its open-files limit to the hard limit")
    func openFilesLimit() async throws {
        guard let binary = requireClusterdnsBinary() else { return }
        let dir = URL(fileURLWithPath: try temporaryDirectory("nofile"))
        defer { try? FileManager.default.removeItem(at: dir) }
        // A soft limit of 256 below whatever the hard limit is, as a shell's `ulimit -Sn` leaves it.
        let serve = try LoggedProcess("/bin/sh", ["-c", "ulimit -Sn 256 && exec \"$0\" serve --listen 127.0.0.1:0 --admin off --manifests \"$1\" --zones \"$1\"",
                                                  binary, dir.path], logFile: dir.appendingPathComponent("serve.log").path)
        defer { serve.stop() }
        // Read the limits once the server has logged setting them (before that, the shell may
        // not have lowered them yet).
        #expect(try await serve.waitForLog("open files limit"), "\(serve.log)")
        #expect(serve.log.contains("before=256"), "\(serve.log)")
        /// (soft, hard) from /proc/PID/limits.
        func limits() -> (String, String)? {
            guard let text = readSmallFile("/proc/\(serve.process.processIdentifier)/limits"),
                  let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") }) else { return nil }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            return fields.count >= 5 ? (String(fields[3]), String(fields[4])) : nil
        }
        let (soft, hard) = try #require(limits())
        #expect(soft == hard, "soft \(soft), hard \(hard)")
    }

    @Test("connection caps fit the open-files limit, leaving room for everything else")
    func capsFitTheFileLimit() {
        var config = Configuration()
        config.admin = AdminOptions(host: "127.0.0.1", port: 0)
        let roomy = config.fitted(toOpenFiles: 1 << 20)
        #expect(roomy.maxTCPConnections == 1000 && roomy.admin?.maxConnections == 256)
        let tight = config.fitted(toOpenFiles: 1024)
        #expect(tight.admin?.maxConnections == 256)
        #expect(tight.maxTCPConnections == 1024 - 512 - 256)
        let tiny = config.fitted(toOpenFiles: 256)
        #expect(tiny.admin?.maxConnections == 64 && tiny.maxTCPConnections == 16)
    }

    @Test("failures of zone, check, explain and serve: one line naming the file or address; status 2 only for bad flags")
    func failureMessages() async throws {
        guard let binary = requireClusterdnsBinary() else { return }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-fail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let broken = dir.appendingPathComponent("broken.yaml")
        try "apiVersion: v1\nkind: Service\nmetadata: {name: s1, namespace: ns1\n".write(to: broken, atomically: true, encoding: .utf8)
        func lines(_ text: String) -> [Substring] { text.split(separator: "\n") }

        var r = try await run(binary, ["zone", "--manifests", dir.path])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(lines(r.stderr).count == 1 && r.stderr.hasPrefix("clusterdns: \(broken.path):0: YAML syntax error"), "\(r.stderr)")
        r = try await run(binary, ["explain", "s1.ns1.svc.cluster.local", "--manifests", dir.path])
        #expect(r.status == 1 && lines(r.stderr).count == 1 && !r.stderr.contains("Usage"), "\(r.stderr)")
        r = try await run(binary, ["check", dir.path])
        #expect(r.status == 1)
        #expect(r.stdout.contains("broken.yaml:0: YAML syntax error"), "\(r.stdout)")
        #expect(!r.stderr.contains("clusterdns: \n") && r.stderr.hasSuffix("1 file, 0 objects, 1 problem\n"), "\(r.stderr)")
        // Every bad document of a stream is a problem of its own; the good ones are not loaded.
        let several = dir.appendingPathComponent("several")
        try FileManager.default.createDirectory(at: several, withIntermediateDirectories: true)
        try [serviceYAML("good", clusterIP: "10.0.9.1"), serviceYAML("bad1", clusterIP: "10.0.9.300"),
             serviceYAML("bad2", clusterIP: "nope")].joined(separator: "\n---\n")
            .write(to: several.appendingPathComponent("three.yaml"), atomically: true, encoding: .utf8)
        r = try await run(binary, ["check", several.path])
        #expect(r.status == 1)
        #expect(r.stdout.contains("three.yaml:1:spec.clusterIP") && r.stdout.contains("three.yaml:2:spec.clusterIP"), "\(r.stdout)")
        #expect(r.stderr.hasSuffix("1 file, 0 objects, 2 problems\n"), "\(r.stderr)")
        // An object in two files is a warning, not a problem.
        let twice = dir.appendingPathComponent("twice")
        try FileManager.default.createDirectory(at: twice, withIntermediateDirectories: true)
        for name in ["a.yaml", "b.yaml"] {
            try serviceYAML("dup", clusterIP: "10.0.9.9").write(to: twice.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        r = try await run(binary, ["check", twice.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("warning: services/default/dup is defined in \(twice.path)/a.yaml and \(twice.path)/b.yaml"), "\(r.stdout)")
        // Bad flags: status 2 with usage.
        r = try await run(binary, ["zone", "--manifests", dir.path, "--ttl", "99999"])
        #expect(r.status == 2 && r.stderr.contains("--ttl 99999: must be between 0 and 3600"), "\(r.stderr)")
        for listen in ["::1", "::1:1053", "[::1:1053"] {
            r = try await run(binary, ["serve", "--listen", listen, "--admin", "off", "--manifests", dir.path])
            #expect(r.status == 2 && r.stderr.contains("expected HOST:PORT, e.g. 127.0.0.1:1053 or [::1]:1053"), "\(listen): \(r.stderr)")
        }
        for nsid in ["", String(repeating: "n", count: 129)] {
            r = try await run(binary, ["serve", "--nsid", nsid, "--admin", "off", "--manifests", dir.path])
            #expect(r.status == 2 && r.stderr.contains("--nsid: 1 to 128 bytes"), "\(r.stderr)")
        }
        r = try await run(binary, ["explain", "web.default.svc.cluster.local", "--manifests", dir.path + "-typo"])
        #expect(r.status == 2 && r.stderr.contains("no such file or directory"), "\(r.stderr)")
        // A DNS address in use is named.
        try await withAdminServer { server, _ in
            let taken = try await run(binary, ["serve", "--listen", "127.0.0.1:\(server.port)", "--admin", "off", "--manifests", dir.path,
                                               "--log-level", "error"])
            #expect(taken.status == 1)
            #expect(taken.stderr.contains("cannot listen for DNS on 127.0.0.1:\(server.port)"), "\(taken.stderr)")
        }
    }

    @Test("zone --zones: the cluster domain's zone file supplies SOA, NS and glue, as for serve; a name server without address is warned about")
    func zoneWithZoneFiles() async throws {
        guard let binary = requireClusterdnsBinary() else { return }
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("cli-zones-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let examples = repositoryRoot + "/examples"
        var r = try await run(binary, ["zone", "--manifests", examples, "--zones", repositoryRoot + "/zones", "--reverse"])
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
        #expect(r.stdout.contains("ns.dns.cluster.local.\t5\tIN\tA\t127.0.0.1") && r.stdout.contains("registry.cluster.local."), "\(r.stdout)")
        #expect(r.stdout.contains("$ORIGIN in-addr.arpa.") && r.stdout.contains("$ORIGIN ip6.arpa."))
        r = try await run(binary, ["zone", "--manifests", examples, "--zones", empty.path])
        #expect(r.status == 0)
        #expect(r.stderr.contains("warning: name server ns.dns.cluster.local. has no address in the zone"), "\(r.stderr)")
        try "$ORIGIN cluster.local.\n@ 5 IN SOA ns hostmaster 1 2 3 4\n".write(to: empty.appendingPathComponent("cluster.local.zone"), atomically: true, encoding: .utf8)
        r = try await run(binary, ["zone", "--manifests", examples, "--zones", empty.path])
        #expect(r.status == 1 && r.stderr.hasPrefix("clusterdns: \(empty.path)/cluster.local.zone"), "\(r.stderr)")
    }
}
