import Foundation
import Testing
import TestSupport
import ClusterDNSRuntime

/// Zone files are loaded again, whole, on request (SIGHUP) and when they change; cached answers
/// never outlive the zones they came from; a file that stops loading keeps its last good zone.
@Suite("Zone files are reloaded")
struct ZoneReloadTests {
    static func zone(_ origin: String, _ body: String) -> String {
        "$ORIGIN \(origin).\n@ 300 IN SOA ns hostmaster 1 7200 1800 86400 60\n@ 300 IN NS ns\nns 300 IN A 192.0.2.53\n" + body
    }

    @Test("a reload serves changed, added and removed zones, the cluster domain's file included; cached answers go with the old zones; a broken file keeps its last good zone")
    func reloadOnRequest() async throws {
        let dir = try writeTemporaryFiles([
            "reload.test.zone": Self.zone("reload.test", "www 300 IN A 192.0.2.1\n"),
            "cluster.local.zone": Self.zone("cluster.local", "extra 300 IN A 10.0.0.1\n"),
        ])
        try await withServer(zones: dir, configure: { $0.zonePollInterval = .seconds(3600) }) { server in
            // Each asked twice, so the second answer comes from the answer cache (without a
            // cookie, dig asks in the same bytes every time, bar the ID).
            for _ in 0..<2 {
                #expect(try await digShort(server.port, "+nocookie", "www.reload.test") == ["192.0.2.1"])
                #expect(try await digShort(server.port, "+nocookie", "extra.cluster.local") == ["10.0.0.1"])
                #expect(try await digStatus(digAsync(server.port, ["+nocookie", "new.reload.test"])) == "NXDOMAIN")
            }
            try Self.zone("reload.test", "www 300 IN A 192.0.2.2\nnew 300 IN TXT \"added\"\n")
                .write(toFile: dir + "/reload.test.zone", atomically: true, encoding: .utf8)
            try Self.zone("cluster.local", "extra 300 IN A 10.0.0.2\n")
                .write(toFile: dir + "/cluster.local.zone", atomically: true, encoding: .utf8)
            try Self.zone("added.test", "www 300 IN A 192.0.2.3\n")
                .write(toFile: dir + "/added.test.zone", atomically: true, encoding: .utf8)
            // Not before the reload: the files are read when asked, not when written.
            #expect(try await digShort(server.port, "+nocookie", "www.reload.test") == ["192.0.2.1"])
            server.reloadZones()
            #expect(try await digShort(server.port, "+nocookie", "www.reload.test") == ["192.0.2.2"])
            #expect(try await digShort(server.port, "+nocookie", "new.reload.test", "TXT") == ["\"added\""])
            #expect(try await digShort(server.port, "+nocookie", "extra.cluster.local") == ["10.0.0.2"])
            #expect(try await digShort(server.port, "+nocookie", "www.added.test") == ["192.0.2.3"])
            #expect(try await digShort(server.port, "+nocookie", "web-0.web.default.svc.cluster.local") == ["10.244.1.10"])

            // A file that no longer loads: its last good zone stays; the other files are reloaded.
            try "$ORIGIN reload.test.\nwww 300 IN A 192.0.2.999\n".write(toFile: dir + "/reload.test.zone", atomically: true, encoding: .utf8)
            try Self.zone("added.test", "www 300 IN A 192.0.2.4\n").write(toFile: dir + "/added.test.zone", atomically: true, encoding: .utf8)
            server.reloadZones()
            #expect(try await digShort(server.port, "+nocookie", "www.reload.test") == ["192.0.2.2"])
            #expect(try await digShort(server.port, "+nocookie", "www.added.test") == ["192.0.2.4"])
            #expect(server.authority.staticZones.keys.map(\.description).sorted() == ["added.test.", "reload.test."])

            // A file removed takes its zone away.
            try FileManager.default.removeItem(atPath: dir + "/added.test.zone")
            server.reloadZones()
            #expect(try await digStatus(digAsync(server.port, ["+nocookie", "www.added.test"])) == "REFUSED")
            #expect(try await digShort(server.port, "+nocookie", "www.reload.test") == ["192.0.2.2"])
        }
    }

    @Test("a zone file mounted from a ConfigMap (a link through `..data`, swapped to a new version) is picked up when the link moves")
    func reloadThroughConfigMapLinks() async throws {
        let dir = try writeTemporaryFiles([:])
        let fm = FileManager.default
        func version(_ name: String, _ address: String) throws {
            try fm.createDirectory(atPath: dir + "/" + name, withIntermediateDirectories: true)
            try Self.zone("cm.test", "www 300 IN A \(address)\n").write(toFile: dir + "/\(name)/cm.test.zone", atomically: true, encoding: .utf8)
        }
        try version("..v1", "192.0.2.1")
        try fm.createSymbolicLink(atPath: dir + "/..data", withDestinationPath: "..v1")
        try fm.createSymbolicLink(atPath: dir + "/cm.test.zone", withDestinationPath: "..data/cm.test.zone")
        try await withServer(zones: dir, configure: { $0.zonePollInterval = .milliseconds(50) }) { server in
            #expect(try await digShort(server.port, "www.cm.test") == ["192.0.2.1"])
            // What the kubelet does: a new version directory, a new link to it, renamed over `..data`.
            try version("..v2", "192.0.2.2")
            try fm.createSymbolicLink(atPath: dir + "/..data_tmp", withDestinationPath: "..v2")
            #expect(rename(dir + "/..data_tmp", dir + "/..data") == 0)
            #expect(try await eventually { try await digShort(server.port, "www.cm.test") == ["192.0.2.2"] })
        }
    }

    @Test("a changed zone file, or a file it includes ($INCLUDE), is picked up without a signal (the directory is polled)")
    func reloadWhenChanged() async throws {
        let dir = try writeTemporaryFiles([
            "poll.test.zone": Self.zone("poll.test", "www 300 IN A 192.0.2.1\n$INCLUDE hosts.inc lab\n"),
            "hosts.inc": "printer 300 IN A 192.0.2.100\n",
        ])
        try await withServer(zones: dir, configure: { $0.zonePollInterval = .milliseconds(50) }) { server in
            #expect(try await digShort(server.port, "www.poll.test") == ["192.0.2.1"])
            #expect(try await digShort(server.port, "printer.lab.poll.test") == ["192.0.2.100"])
            try Self.zone("poll.test", "www 300 IN A 192.0.2.7\n$INCLUDE hosts.inc lab\n")
                .write(toFile: dir + "/poll.test.zone", atomically: true, encoding: .utf8)
            #expect(try await eventually { try await digShort(server.port, "www.poll.test") == ["192.0.2.7"] })
            try "printer 300 IN A 192.0.2.101\n".write(toFile: dir + "/hosts.inc", atomically: true, encoding: .utf8)
            #expect(try await eventually { try await digShort(server.port, "printer.lab.poll.test") == ["192.0.2.101"] })
        }
    }
}
