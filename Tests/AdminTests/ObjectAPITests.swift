import Foundation
import TestSupport
import Testing
import DNSModel
import ClusterModel
import ClusterDNSRuntime

@Suite("Object API")
struct ObjectAPITests {
    let podPath = "/api/v1/namespaces/default/pods/web"

    @Test("PUT creates (201), replaces (200), GET reads, DELETE deletes (200) then 404")
    func crud() async throws {
        try await withAdminServer { server, admin async throws in
            var r = try await admin.put(podPath, podYAML("web", ip: "10.1.0.1"))
            #expect(r.status == 201, "\(r.text)")
            #expect(r.json["kind"] as? String == "Pod")
            r = try await admin.put(podPath, podYAML("web", ip: "10.1.0.2"))
            #expect(r.status == 200)
            r = try await admin.get(podPath)
            #expect(r.status == 200)
            let status = r.json["status"] as? [String: Any]
            #expect(status?["podIP"] as? String == "10.1.0.2" || (status?["podIPs"] as? [[String: Any]])?.first?["ip"] as? String == "10.1.0.2", "\(r.text)")
            r = try await admin.delete(podPath)
            #expect(r.status == 200)
            #expect((r.json["metadata"] as? [String: Any])?["name"] as? String == "web")
            expectStatus(try await admin.delete(podPath), 404, "NotFound", mentions: "pods \"web\" not found")
            expectStatus(try await admin.get(podPath), 404, "NotFound")
            #expect(server.store.snapshot.pods.count == 0)
        }
    }

    @Test("?dryRun=All answers as the write would and stores nothing; other values are refused")
    func dryRun() async throws {
        try await withAdminServer { server, admin async throws in
            let generation = server.store.generation
            var r = try await admin.put(podPath + "?dryRun=All", podYAML("web", ip: "10.1.0.1"))
            #expect(r.status == 201, "\(r.text)")
            #expect(r.json["kind"] as? String == "Pod")
            #expect(server.store.snapshot.pods.count == 0)
            r = try await admin.apply(podYAML("web", ip: "10.1.0.1") + "---\n" + serviceYAML("web", clusterIP: "10.0.0.9"), type: nil)
            #expect(r.status == 200)
            let applied = server.store.generation
            #expect(applied > generation)
            r = try await admin.request("POST", "/apply?dryRun=All", podYAML("web", ip: "10.1.0.2"))
            #expect(r.status == 200 && r.text.contains("configured"), "\(r.text)")
            r = try await admin.delete(podPath + "?dryRun=All")
            #expect(r.status == 200)
            r = try await admin.put(podPath + "?dryRun=Everything", podYAML("web", ip: "10.1.0.3"))
            expectStatus(r, 400, "BadRequest", mentions: "dryRun")
            #expect(server.store.generation == applied)       // nothing stored since the real apply
            #expect(try query(server.port, "web.default.svc.cluster.local").addresses == ["10.0.0.9"])
            let pod = try #require(server.store.snapshot.pods.values.first)
            #expect(pod.podIPs.map(\.description) == ["10.1.0.1"])
        }
    }

    @Test("every kind at its path, JSON and YAML bodies, Namespace objects")
    func kinds() async throws {
        try await withAdminServer { server, admin async throws in
            let svc = serviceYAML("api", ns: "shop", clusterIP: "10.96.0.10", selector: ["app": "api"])
            #expect(try await admin.put("/api/v1/namespaces/shop/services/api", svc).status == 201)
            let json = #"{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"api","namespace":"shop"},"subsets":[{"addresses":[{"ip":"10.1.0.9"}],"ports":[{"name":"http","port":80}]}]}"#
            #expect(try await admin.put("/api/v1/namespaces/shop/endpoints/api", json, type: "application/json").status == 201)
            let slice = """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: api-1, namespace: shop, labels: {kubernetes.io/service-name: api}}
            addressType: IPv4
            endpoints: [{addresses: [10.1.0.7], conditions: {ready: true}}]
            ports: [{name: http, port: 80, protocol: TCP}]
            """
            #expect(try await admin.put("/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices/api-1", slice, type: "text/yaml").status == 201)
            #expect(try await admin.put("/api/v1/namespaces/shop", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n", type: "application/x-yaml").status == 201)
            // No Content-Type: sniffed.
            #expect(try await admin.put("/api/v1/namespaces/shop/pods/p", podYAML("p", ns: "shop", ip: "10.1.0.7"), type: nil).status == 201)
            let snap = server.store.snapshot
            #expect(snap.objectCount(of: .service) == 1 && snap.objectCount(of: .endpoints) == 1)
            #expect(snap.objectCount(of: .endpointSlice) == 1 && snap.objectCount(of: .namespace) == 1)
            #expect(try await admin.get("/api/v1/namespaces/shop").status == 200)
            #expect(try await admin.get("/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices/api-1").status == 200)
            // The slice wins over Endpoints (EndpointSlices first): answers only matter via DNS here.
            #expect(try await admin.delete("/api/v1/namespaces/shop").status == 200)
        }
    }

    @Test("collections and all-namespace lists are Kubernetes Lists")
    func lists() async throws {
        try await withAdminServer { server, admin async throws in
            for (ns, name) in [("a", "p1"), ("a", "p2"), ("b", "p3")] {
                _ = try await admin.put("/api/v1/namespaces/\(ns)/pods/\(name)", podYAML(name, ns: ns, ip: "10.1.0.\(name.last!)"))
            }
            var r = try await admin.get("/api/v1/namespaces/a/pods")
            #expect(r.status == 200)
            #expect(r.json["kind"] as? String == "PodList")
            #expect(r.json["apiVersion"] as? String == "v1")
            let gen = server.store.snapshot.generation
            #expect((r.json["metadata"] as? [String: Any])?["resourceVersion"] as? String == "\(gen)")
            var items = r.json["items"] as? [[String: Any]] ?? []
            #expect(items.compactMap { ($0["metadata"] as? [String: Any])?["name"] as? String } == ["p1", "p2"])
            r = try await admin.get("/api/v1/pods")
            items = r.json["items"] as? [[String: Any]] ?? []
            #expect(items.count == 3)
            r = try await admin.get("/api/v1/services")
            #expect(r.json["kind"] as? String == "ServiceList" && (r.json["items"] as? [Any])?.isEmpty == true)
            r = try await admin.get("/apis/discovery.k8s.io/v1/endpointslices")
            #expect(r.json["kind"] as? String == "EndpointSliceList" && r.json["apiVersion"] as? String == "discovery.k8s.io/v1")
            r = try await admin.get("/api/v1/namespaces/b/endpoints/")
            #expect(r.status == 200 && r.json["kind"] as? String == "EndpointsList")
            // The list decodes back as manifests.
            let back = try ManifestDecoder.decode(try await admin.get("/api/v1/pods").body, source: "list")
            #expect(back.objects.count == 3)
        }
    }

    @Test("POST to a collection creates; 409 when it exists")
    func create() async throws {
        try await withAdminServer { _, admin async throws in
            var r = try await admin.request("POST", "/api/v1/namespaces/default/pods", podYAML("x", ip: "10.1.0.1"))
            #expect(r.status == 201)
            r = try await admin.request("POST", "/api/v1/namespaces/default/pods", podYAML("x", ip: "10.1.0.1"))
            expectStatus(r, 409, "AlreadyExists")
        }
    }

    @Test("400: name, namespace or kind mismatch, bad field, bad YAML, empty body; nothing applied")
    func badRequests() async throws {
        try await withAdminServer { server, admin async throws in
            expectStatus(try await admin.put(podPath, podYAML("other", ip: "10.1.0.1")), 400, "BadRequest", mentions: "metadata.name")
            expectStatus(try await admin.put(podPath, podYAML("web", ns: "shop", ip: "10.1.0.1")), 400, "BadRequest", mentions: "metadata.namespace")
            expectStatus(try await admin.put("/api/v1/namespaces/shop/pods/web", podYAML("web", ns: "default", ip: "10.1.0.1")), 400, "BadRequest", mentions: "metadata.namespace")
            expectStatus(try await admin.put(podPath, serviceYAML("web", clusterIP: "10.96.0.1")), 400, "BadRequest", mentions: "kind")
            expectStatus(try await admin.put(podPath, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"), 400, "BadRequest", mentions: "kind")
            let badPort = serviceYAML("web", clusterIP: "10.96.0.1").replacingOccurrences(of: "port: 80", with: "port: eighty")
            expectStatus(try await admin.put("/api/v1/namespaces/default/services/web", badPort), 400, "BadRequest", mentions: "spec.ports[0].port")
            let badIP = podYAML("web", ip: "10.1.0.999")
            expectStatus(try await admin.put(podPath, badIP), 400, "BadRequest", mentions: "status.pod")
            expectStatus(try await admin.put(podPath, "kind: Pod\nmetadata: {name: web\n  bad: [\n"), 400, "BadRequest", mentions: "YAML")
            expectStatus(try await admin.put(podPath, "{\"kind\": ", type: "application/json"), 400, "BadRequest", mentions: "JSON")
            expectStatus(try await admin.put(podPath, "kind: Pod", type: "application/json"), 400, "BadRequest", mentions: "not JSON")
            expectStatus(try await admin.put(podPath, "  \n"), 400, "BadRequest", mentions: "empty")
            expectStatus(try await admin.put(podPath, podYAML("web", ip: "10.1.0.1") + "---\n" + podYAML("web2", ip: "10.1.0.2")), 400, "BadRequest", mentions: "exactly one")
            #expect(server.store.snapshot.generation == 0)
        }
    }

    @Test("a body without metadata.namespace takes the path's namespace")
    func namespaceFromPath() async throws {
        try await withAdminServer { server, admin async throws in
            let r = try await admin.put("/api/v1/namespaces/shop/pods/web", podYAML("web", ip: "10.1.0.1", namespaceLine: false))
            #expect(r.status == 201, "\(r.text)")
            #expect(server.store.snapshot.object(ObjectKey(kind: .pod, namespace: "shop", name: "web")) != nil)
            #expect(server.store.snapshot.object(ObjectKey(kind: .pod, namespace: "default", name: "web")) == nil)
            let json = #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"clusterIP":"10.96.0.5","ports":[{"port":80}]}}"#
            #expect(try await admin.put("/api/v1/namespaces/shop/services/s", json, type: "application/json").status == 201)
            #expect(try query(server.port, "s.shop.svc.cluster.local").addresses == ["10.96.0.5"])
        }
    }

    @Test("404 unknown paths, 405 wrong methods, 415 other content types, 413 big bodies")
    func protocolErrors() async throws {
        try await withAdminServer { server, admin async throws in
            expectStatus(try await admin.get("/api/v1/namespaces/default/deployments/x"), 404, "NotFound")
            expectStatus(try await admin.get("/api/v1/namespaces/default/endpointslices"), 404, "NotFound")
            expectStatus(try await admin.get("/nope"), 404, "NotFound")
            var r = try await admin.request("POST", podPath, podYAML("web", ip: "10.1.0.1"))
            expectStatus(r, 405, "MethodNotAllowed")
            #expect(r.headers["allow"] == "GET, PUT, DELETE")
            expectStatus(try await admin.request("PATCH", podPath, "{}", type: "application/json"), 405, "MethodNotAllowed")
            expectStatus(try await admin.request("GET", "/apply", type: nil), 405, "MethodNotAllowed")
            expectStatus(try await admin.request("DELETE", "/api/v1/pods", type: nil), 405, "MethodNotAllowed")
            expectStatus(try await admin.request("POST", "/metrics", "x", type: "text/plain"), 405, "MethodNotAllowed")
            expectStatus(try await admin.put(podPath, podYAML("web", ip: "10.1.0.1"), type: "application/x-www-form-urlencoded"), 415, "UnsupportedMediaType")
            expectStatus(try await admin.apply(podYAML("web", ip: "10.1.0.1"), type: "text/plain"), 415, "UnsupportedMediaType")
            // Over 4 MiB: refused before parsing, with or without a Content-Length the server trusts.
            let big = podYAML("web", ip: "10.1.0.1") + "# " + String(repeating: "x", count: 4 << 20) + "\n"
            expectStatus(try await admin.put(podPath, big), 413, "RequestEntityTooLarge")
            expectStatus(try await admin.apply(big), 413, "RequestEntityTooLarge")
            // Just under the limit is accepted.
            let fits = podYAML("web", ip: "10.1.0.1") + "# " + String(repeating: "x", count: (4 << 20) - 400) + "\n"
            #expect(try await admin.put(podPath, fits).status == 201)
            r = try await admin.get("/healthz")
            #expect(r.status == 200)
            _ = server
        }
    }

    @Test("POST /apply: multi-document YAML and JSON List in one snapshot; one bad document applies nothing")
    func applyAtomic() async throws {
        try await withAdminServer { server, admin async throws in
            let docs = serviceYAML("web", clusterIP: "None", selector: ["app": "web"]) + "---\n"
                + podYAML("web-0", ip: "10.1.0.1", labels: ["app": "web"]) + "---\n"
                + podYAML("web-1", ip: "10.1.0.2", labels: ["app": "web"]) + "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
            let before = server.store.snapshot.generation
            var r = try await admin.apply(docs)
            #expect(r.status == 200, "\(r.text)")
            #expect(server.store.snapshot.generation == before + 1)
            let items = r.json["items"] as? [[String: Any]] ?? []
            #expect(items.map { $0["action"] as? String } == ["created", "created", "created"])
            #expect(r.json["skipped"] as? [String] == ["apps/v1/Deployment"] || (r.json["skipped"] as? [String])?.first?.contains("Deployment") == true)
            #expect(try query(server.port, "web.default.svc.cluster.local").addresses == ["10.1.0.1", "10.1.0.2"])
            // Re-apply: unchanged / configured.
            r = try await admin.apply(docs.replacingOccurrences(of: "10.1.0.2", with: "10.1.0.3"))
            #expect((r.json["items"] as? [[String: Any]] ?? []).map { $0["action"] as? String } == ["unchanged", "unchanged", "configured"])
            // One bad document: nothing applied.
            let gen = server.store.snapshot.generation
            let bad = podYAML("web-2", ip: "10.1.0.4", labels: ["app": "web"]) + "---\n" + podYAML("web-3", ip: "not-an-ip")
            r = try await admin.apply(bad)
            expectStatus(r, 400, "BadRequest", mentions: "body:1:")
            #expect(server.store.snapshot.generation == gen)
            #expect(server.store.snapshot.pods.count == 2)
            // A JSON List.
            let list = #"{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j1","labels":{"app":"web"}},"status":{"podIP":"10.1.0.9","conditions":[{"type":"Ready","status":"True"}]}}]}"#
            r = try await admin.apply(list, type: "application/json")
            #expect(r.status == 200, "\(r.text)")
            #expect(try query(server.port, "web.default.svc.cluster.local").addresses == ["10.1.0.1", "10.1.0.3", "10.1.0.9"])
            expectStatus(try await admin.apply("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"), 400, "BadRequest", mentions: "no objects")
        }
    }

    @Test("API writes and files share the store: the last writer wins")
    func filesAndAPI() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("admin-lww-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try serviceYAML("s", clusterIP: "10.96.0.1").write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
        try await withAdminServer(manifests: [dir.path], configure: { $0.pollInterval = .milliseconds(20) }) { server, admin async throws in
            #expect(try query(server.port, "s.default.svc.cluster.local").addresses == ["10.96.0.1"])
            #expect(try await admin.put("/api/v1/namespaces/default/services/s", serviceYAML("s", clusterIP: "10.96.0.2")).status == 200)
            #expect(try query(server.port, "s.default.svc.cluster.local").addresses == ["10.96.0.2"])
            // Programming latency of file changes is measured too.
            try serviceYAML("s", clusterIP: "10.96.0.3").write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
            var seen = false
            for _ in 0..<200 where !seen {
                try await Task.sleep(for: .milliseconds(20))
                seen = try query(server.port, "s.default.svc.cluster.local").addresses == ["10.96.0.3"]
            }
            #expect(seen)
        }
    }
}

@Suite("Probes, metrics and security")
struct AdminOpsTests {
    @Test("/healthz ok, /readyz 200 once loaded and 503 while a source loads")
    func probes() async throws {
        try await withAdminServer { server, admin async throws in
            var r = try await admin.get("/healthz")
            #expect(r.status == 200 && r.text == "ok\n")
            r = try await admin.get("/readyz")
            #expect(r.status == 200, "\(r.text)")
            server.readiness.expect("kubernetes")
            r = try await admin.get("/readyz")
            #expect(r.status == 503)
            #expect(r.text.contains("kubernetes"))
            server.readiness.loaded("kubernetes")
            #expect(try await admin.get("/readyz").status == 200)
        }
    }

    @Test("/metrics: names, counts that move with queries, programming histogram after a write")
    func metrics() async throws {
        try await withAdminServer { server, admin async throws in
            _ = try await admin.put("/api/v1/namespaces/default/services/s", serviceYAML("s", clusterIP: "10.96.0.1"))
            for _ in 0..<3 { _ = try query(server.port, "s.default.svc.cluster.local") }
            _ = try query(server.port, "nope.default.svc.cluster.local", .aaaa)
            _ = try query(server.port, "s.default.svc.cluster.local", .srv, tcp: true)
            _ = try DNSClientRaw.send(server.port, [1, 2, 3])  // a runt: dropped
            let r = try await admin.get("/metrics")
            #expect(r.status == 200)
            #expect(r.headers["content-type"]?.hasPrefix("text/plain") == true)
            let text = r.text
            for name in ["clusterdns_dns_requests_total", "clusterdns_dns_responses_total", "clusterdns_dns_request_duration_seconds_bucket",
                         "clusterdns_dns_truncated_total", "clusterdns_dns_dropped_total", "clusterdns_store_objects",
                         "clusterdns_store_generation", "clusterdns_dns_programming_duration_seconds_count"] {
                #expect(text.contains(name), "missing \(name)")
            }
            func value(_ prefix: String) -> Double? {
                text.split(separator: "\n").first { $0.hasPrefix(prefix + " ") }.flatMap { Double($0.split(separator: " ").last!) }
            }
            #expect(value(#"clusterdns_dns_requests_total{type="A",transport="udp"}"#) == 3)
            #expect(value(#"clusterdns_dns_requests_total{type="AAAA",transport="udp"}"#) == 1)
            #expect(value(#"clusterdns_dns_requests_total{type="SRV",transport="tcp"}"#) == 1)
            #expect(value(#"clusterdns_dns_responses_total{rcode="NOERROR"}"#) == 4)
            #expect(value(#"clusterdns_dns_responses_total{rcode="NXDOMAIN"}"#) == 1)
            #expect(value("clusterdns_dns_dropped_total") == 1)
            // The first A query is computed, the two repeats come from the answer cache; the AAAA and
            // the TCP SRV are computed (the runt is not a query the cache could hold).
            #expect(value("clusterdns_answer_cache_hits_total") == 2)
            #expect(value("clusterdns_answer_cache_misses_total") == 3)
            #expect(value("clusterdns_dns_request_duration_seconds_count") == 6)
            #expect(value(#"clusterdns_store_objects{kind="Service"}"#) == 1)
            #expect(value("clusterdns_store_generation") == Double(server.store.snapshot.generation))
            #expect((value("clusterdns_dns_programming_duration_seconds_count") ?? 0) >= 1)
        }
    }

    @Test("token: writes need it (401 without or wrong), reads are open; --admin-auth all guards reads")
    func token() async throws {
        let opts = AdminOptions(host: "127.0.0.1", port: 0, token: "s3cret", authScope: .writes)
        try await withAdminServer(admin: opts) { server, admin async throws in
            let path = "/api/v1/namespaces/default/pods/web"
            let r = try await admin.put(path, podYAML("web", ip: "10.1.0.1"))
            expectStatus(r, 401, "Unauthorized")
            #expect(r.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
            expectStatus(try await admin.withToken("s3creT").put(path, podYAML("web", ip: "10.1.0.1")), 401, "Unauthorized")
            expectStatus(try await admin.withToken("s3cret-and-more").put(path, podYAML("web", ip: "10.1.0.1")), 401, "Unauthorized")
            expectStatus(try await admin.delete(path), 401, "Unauthorized")
            expectStatus(try await admin.apply(podYAML("web", ip: "10.1.0.1")), 401, "Unauthorized")
            #expect(server.store.snapshot.generation == 0)
            #expect(try await admin.withToken("s3cret").put(path, podYAML("web", ip: "10.1.0.1")).status == 201)
            #expect(try await admin.get(path).status == 200)
            #expect(try await admin.get("/metrics").status == 200)
        }
        let all = AdminOptions(host: "127.0.0.1", port: 0, token: "s3cret", authScope: .all)
        try await withAdminServer(admin: all) { _, admin async throws in
            expectStatus(try await admin.get("/api/v1/pods"), 401, "Unauthorized")
            expectStatus(try await admin.get("/metrics"), 401, "Unauthorized")
            #expect(try await admin.withToken("s3cret").get("/api/v1/pods").status == 200)
            #expect(try await admin.get("/healthz").status == 200)
            #expect(try await admin.get("/readyz").status == 200)
        }
    }

    @Test("--admin-read-only refuses writes with 403, reads work")
    func readOnly() async throws {
        try await withAdminServer(admin: AdminOptions(host: "127.0.0.1", port: 0, readOnly: true)) { server, admin async throws in
            expectStatus(try await admin.put("/api/v1/namespaces/default/pods/web", podYAML("web", ip: "10.1.0.1")), 403, "Forbidden")
            expectStatus(try await admin.apply(podYAML("web", ip: "10.1.0.1")), 403, "Forbidden")
            expectStatus(try await admin.delete("/api/v1/namespaces/default/pods/web"), 403, "Forbidden")
            #expect(try await admin.get("/api/v1/pods").status == 200)
            #expect(server.store.snapshot.generation == 0)
        }
    }

    @Test("admin off: no admin port; a port in use fails start with a clear error")
    func offAndBusy() async throws {
        var config = Configuration()
        config.listen = [("127.0.0.1", 0)]
        config.threads = 1
        let server = try await ClusterDNSServer.start(config, logger: .init(label: "t"))
        #expect(server.adminPort == nil)
        await server.stop()
        try await withAdminServer { _, admin async throws in
            var busy = Configuration()
            busy.listen = [("127.0.0.1", 0)]
            busy.threads = 1
            busy.admin = AdminOptions(host: "127.0.0.1", port: admin.port)
            await #expect(throws: (any Error).self) { _ = try await ClusterDNSServer.start(busy, logger: .init(label: "t")) }
        }
    }
}

/// Sends raw bytes over UDP and waits briefly for anything back.
enum DNSClientRaw {
    static func send(_ port: Int, _ bytes: [UInt8]) throws -> [UInt8]? {
        var client = DNSClientBox(port: port)
        return client.send(bytes)
    }
}

import DNSServer
struct DNSClientBox {
    let client: DNSClient
    init(port: Int) { client = DNSClient(port: port, timeoutMilliseconds: 200) }
    mutating func send(_ bytes: [UInt8]) -> [UInt8]? { try? client.exchangeRaw(bytes) }
}
