import Foundation
import TestSupport
import Testing
import DNSModel
import DNSServer
import ClusterDNSRuntime
import ClusterModel
import Logging

/// Manifest files are watched: create, change, break and remove are reflected within a second.
@Suite("Manifest watch")
struct ManifestWatchTests {
    /// Polls `condition` every 20 ms for up to `seconds` (bounded waiting, not a fixed sleep). It
    /// blocks its thread on purpose: a task sleep could be resumed late when other tests keep the
    /// cooperative pool busy, and that delay would be counted against the server.
    func eventually(within seconds: Double = 30, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            usleep(20_000)
        }
        return try condition()
    }

    func service(_ name: String, ip: String) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: \(name), namespace: default}
        spec: {clusterIP: \(ip), ports: [{name: http, port: 80}]}
        """
    }

    @Test("create, change, break, remove")
    func lifecycle() async throws {
        let dir = try temporaryDirectory("watch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("svc.yaml")
        try await withServer(manifests: [dir.path], zones: nil) { server in
            let client = DNSClient(port: server.port)
            func answer() throws -> [RData] {
                // One retry: a datagram lost under load is not what this test measures.
                let q = Message.query("watched.default.svc.cluster.local.", .a)
                let reply = try (try? client.exchange(q)) ?? client.exchange(q)
                return reply.answers.map(\.data)
            }
            #expect(try answer().isEmpty)
            let started = ContinuousClock.now
            try service("watched", ip: "10.50.0.1").write(to: file, atomically: true, encoding: .utf8)
            // The store publishes the new object within a second of the write (measured in-process,
            // so a busy test machine's network latency is not counted), and DNS answers with it.
            #expect(try await eventually { server.store.snapshot.service(namespace: "default", name: "watched") != nil })
            let elapsed = ContinuousClock.now - started
            #expect(elapsed < .seconds(1))
            #expect(try answer() == [.a(IPv4Address(10, 50, 0, 1))])
            try service("watched", ip: "10.50.0.2").write(to: file, atomically: true, encoding: .utf8)
            #expect(try await eventually { try answer() == [.a(IPv4Address(10, 50, 0, 2))] })
            // A broken file keeps its last good content.
            try "kind: Service\nmetadata: {name: watched}\nspec: {clusterIP: not-an-ip}\n".write(to: file, atomically: true, encoding: .utf8)
            #expect(try await eventually { server.manifests?.currentErrors[file.path] != nil })
            #expect(try answer() == [.a(IPv4Address(10, 50, 0, 2))])
            let error = server.manifests?.currentErrors[file.path] ?? ""
            #expect(error.contains("svc.yaml"))
            #expect(error.contains("spec.clusterIP"))
            func rejected() -> String? {
                String(decoding: server.metrics.render(snapshot: nil), as: UTF8.self)
                    .split(separator: "\n").first { $0.hasPrefix("clusterdns_manifest_files_rejected ") }.map(String.init)
            }
            #expect(try await eventually { rejected() == "clusterdns_manifest_files_rejected 1.0" })
            try FileManager.default.removeItem(at: file)
            #expect(try await eventually { try answer().isEmpty })
            #expect(try await eventually { rejected() == "clusterdns_manifest_files_rejected 0.0" })
        }
    }

    @Test("files apply in path order: a later file wins an object, a broken one keeps to itself; a removed file gives the object back to the file that still defines it")
    func scanKeepsPathOrder() throws {
        let dir = try temporaryDirectory("scan")
        defer { try? FileManager.default.removeItem(at: dir) }
        try service("twice", ip: "10.60.0.1").write(to: dir.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try service("twice", ip: "10.60.0.2").write(to: dir.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
        try "kind: Service\nmetadata: {name: broken}\nspec: {clusterIP: 10.60.0.300}\n"
            .write(to: dir.appendingPathComponent("c.yaml"), atomically: true, encoding: .utf8)
        let (store, source) = watching(dir.path)
        #expect(source.scan() == 3)
        let snapshot = store.snapshot
        #expect(snapshot.service(namespace: "default", name: "twice")?.service.clusterIP == "10.60.0.2")
        #expect(snapshot.service(namespace: "default", name: "broken") == nil)
        #expect(Array(source.currentErrors.keys) == [dir.appendingPathComponent("c.yaml").path])
        #expect(source.currentErrors.values.first?.contains("spec.clusterIP") == true)
        #expect(source.scan() == 0)                      // nothing changed since
        // b.yaml removed: a.yaml still defines the object, and its version comes back (as a
        // restart would serve), rather than the name going with the file that last wrote it.
        try FileManager.default.removeItem(at: dir.appendingPathComponent("b.yaml"))
        #expect(source.scan() == 1)
        #expect(store.snapshot.service(namespace: "default", name: "twice")?.service.clusterIP == "10.60.0.1")
        // a.yaml edited to define something else: nothing else defines the object, so it goes.
        try service("other", ip: "10.60.0.3").write(to: dir.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        #expect(source.scan() == 1)
        #expect(store.snapshot.service(namespace: "default", name: "twice") == nil)
    }

    /// A store and a manifest source over `path`, not yet scanned.
    func watching(_ path: String) -> (ClusterStore, ManifestSource) {
        let store = ClusterStore()
        return (store, ManifestSource(paths: [path], store: store, logger: Logger(label: "test")))
    }

    /// A fresh temporary directory, removed by the caller.
    func temporaryDirectory(_ tag: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clusterdns-\(tag)-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The cluster IP the store holds for Service `default/name`.
    func clusterIP(_ store: ClusterStore, _ name: String) -> String? {
        store.snapshot.service(namespace: "default", name: name)?.service.clusterIP
    }

    @Test("a ConfigMap volume: files read once through their links, and a swap of ..data is seen (as a directory or a file path)")
    func configMapVolume() throws {
        let dir = try temporaryDirectory("configmap")
        defer { try? FileManager.default.removeItem(at: dir) }
        let fm = FileManager.default
        // The kubelet's layout: a timestamped directory, `..data` linking to it, visible links.
        func publish(_ version: String, ip: String) throws {
            let versioned = dir.appendingPathComponent("..\(version)")
            try fm.createDirectory(at: versioned, withIntermediateDirectories: true)
            try service("cm", ip: ip).write(to: versioned.appendingPathComponent("svc.yaml"), atomically: true, encoding: .utf8)
            let next = dir.appendingPathComponent("..data_tmp")
            try fm.createSymbolicLink(atPath: next.path, withDestinationPath: "..\(version)")
            #expect(rename(next.path, dir.appendingPathComponent("..data").path) == 0)
        }
        try publish("2026_12_07_01", ip: "10.70.0.1")
        try fm.createSymbolicLink(atPath: dir.appendingPathComponent("svc.yaml").path, withDestinationPath: "..data/svc.yaml")
        for path in [dir.path, dir.appendingPathComponent("svc.yaml").path] {
            let (store, source) = watching(path)
            #expect(source.scan() == 1)                      // svc.yaml only, not ..<version>/svc.yaml too
            #expect(store.sources.count == 1)
            #expect(clusterIP(store, "cm") == "10.70.0.1")
            try publish("2026_12_07_02", ip: "10.70.0.2")
            #expect(source.scan() == 1)
            #expect(clusterIP(store, "cm") == "10.70.0.2")
            try publish("2026_12_07_03", ip: "10.70.0.1")    // back, for the next path
            #expect(source.scan() == 1)
            #expect(clusterIP(store, "cm") == "10.70.0.1")
        }
    }

    @Test("a file emptied (being written: cp and editors truncate first) keeps its objects; a BOM is skipped; an oversize file is refused unread")
    func emptiedBOMAndOversize() throws {
        let dir = try temporaryDirectory("empty")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("svc.yaml")
        try ("\u{FEFF}" + service("kept", ip: "10.72.0.1")).write(to: file, atomically: false, encoding: .utf8)
        let (store, source) = watching(dir.path)
        #expect(source.scan() == 1)
        #expect(clusterIP(store, "kept") == "10.72.0.1", "a UTF-8 byte-order mark is skipped")
        try Data().write(to: file)
        _ = source.scan()
        #expect(clusterIP(store, "kept") == "10.72.0.1", "the last good content stays while the file is empty")
        #expect(source.currentErrors[file.path]?.contains("the file is empty") == true)
        try service("kept", ip: "10.72.0.2").write(to: file, atomically: false, encoding: .utf8)
        #expect(source.scan() == 1)
        #expect(clusterIP(store, "kept") == "10.72.0.2")
        // A sparse file over the 64 MiB limit: refused by its size, before any byte is read.
        let big = dir.appendingPathComponent("big.yaml")
        #expect(FileManager.default.createFile(atPath: big.path, contents: nil))
        let handle = try FileHandle(forWritingTo: big)
        try handle.truncate(atOffset: 1 << 30)
        try handle.close()
        _ = source.scan()
        #expect(source.currentErrors[big.path]?.contains("more than the limit") == true)
        #expect(clusterIP(store, "kept") == "10.72.0.2")
        // A file that is really gone takes its objects with it.
        try FileManager.default.removeItem(at: file)
        _ = source.scan()
        #expect(clusterIP(store, "kept") == nil)
    }

    @Test("a rewrite of the same size with the old modification time put back is seen (the change time moves)")
    func sameSizeOldModificationTime() throws {
        let dir = try temporaryDirectory("mtime")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("svc.yaml")
        try service("same", ip: "10.71.0.1").write(to: file, atomically: false, encoding: .utf8)
        let modified = try #require(try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date)
        let (store, source) = watching(dir.path)
        #expect(source.scan() == 1)
        try service("same", ip: "10.71.0.2").write(to: file, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: file.path)
        #expect(source.scan() == 1)
        #expect(clusterIP(store, "same") == "10.71.0.2")
    }

    @Test("a directory that exists but cannot be read keeps its files' objects; they go when it is really gone")
    func unreadableDirectoryKeepsItsFiles() throws {
        let dir = try temporaryDirectory("unreadable")
        defer { try? FileManager.default.removeItem(at: dir) }
        let fm = FileManager.default
        let sub = dir.appendingPathComponent("sub")
        try fm.createDirectory(at: sub, withIntermediateDirectories: true)
        try service("kept", ip: "10.72.0.1").write(to: sub.appendingPathComponent("svc.yaml"), atomically: true, encoding: .utf8)
        try service("other", ip: "10.72.0.2").write(to: dir.appendingPathComponent("other.yaml"), atomically: true, encoding: .utf8)
        let (store, source) = watching(dir.path)
        #expect(source.scan() == 2)
        // `sub` becomes a link to itself: stat fails with ELOOP, as opendir fails with EMFILE when
        // no descriptor is left. Not knowing what is in it is not knowing it is empty.
        try fm.moveItem(at: sub, to: dir.appendingPathComponent(".sub-away"))
        try fm.createSymbolicLink(atPath: sub.path, withDestinationPath: "sub")
        try service("other", ip: "10.72.0.3").write(to: dir.appendingPathComponent("other.yaml"), atomically: true, encoding: .utf8)
        #expect(source.scan() == 1)                          // other.yaml changed; sub's file kept
        #expect(clusterIP(store, "kept") == "10.72.0.1")
        #expect(clusterIP(store, "other") == "10.72.0.3")
        try fm.removeItem(at: sub)                           // now really gone
        #expect(source.scan() == 1)
        #expect(clusterIP(store, "kept") == nil)
    }

    @Test("a touch or chmod is not a change: objects changed through the API since stay; a FIFO is not a manifest")
    func touchIsNotAChange() throws {
        let dir = try temporaryDirectory("touch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("svc.yaml")
        try service("kept", ip: "10.73.0.1").write(to: file, atomically: true, encoding: .utf8)
        #expect(mkfifo(dir.appendingPathComponent("pipe.yaml").path, 0o600) == 0)
        let (store, source) = watching(dir.path)
        #expect(source.scan() == 1)                           // svc.yaml; the FIFO is not read
        #expect(source.currentErrors.isEmpty)
        store.apply([.upsert(.service(KubeService(name: "kept", clusterIP: "10.73.0.2")))])
        #expect(chmod(file.path, 0o600) == 0)                 // moves the change time only
        #expect(source.scan() == 0)
        #expect(clusterIP(store, "kept") == "10.73.0.2")
        try service("kept", ip: "10.73.0.3").write(to: file, atomically: true, encoding: .utf8)
        #expect(source.scan() == 1)                           // new bytes: read again
        #expect(clusterIP(store, "kept") == "10.73.0.3")
    }
}
