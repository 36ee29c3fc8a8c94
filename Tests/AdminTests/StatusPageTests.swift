import Foundation
import TestSupport
import Testing
import ClusterDNS
import ClusterModel
import ClusterDNSRuntime
import DNSModel
@testable import ClusterDNSAdmin

/// The demo manifests.
let examplesDirectory = repositoryRoot + "/examples"

@Suite("Status page and /v1/explain")
struct StatusPageTests {
    /// An API over a store holding `yaml`, with the cluster.local authority.
    func api(_ yaml: String) throws -> (AdminAPI, ClusterStore) {
        let store = ClusterStore()
        store.apply(try ManifestDecoder.decode(Array(yaml.utf8), source: "test").objects.map { .upsert($0) })
        let api = AdminAPI(store: store, options: AdminOptions(port: 0), metrics: nil, waitingFor: { [] },
                           authority: Authority(cluster: ClusterZone()))
        return (api, store)
    }

    func get(_ api: AdminAPI, _ path: String, query: String? = nil) async -> (Int, String, String) {
        let r = await api.handle(AdminRequest(method: "GET", path: path, query: query))
        return (r.status, r.contentType, String(decoding: r.body, as: UTF8.self))
    }

    @Test("the page lists services, endpoints with reasons, and escapes object text")
    func pageContent() async throws {
        let (api, store) = try api(
            serviceYAML("web", clusterIP: "None", selector: ["app": "web"]) + "---\n"
            + serviceYAML("odd", ns: "team", clusterIP: "None") + "---\n"
            // Labels and names are validated; a slice's targetRef name is free text the page shows.
            + "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: odd-1, namespace: team, labels: {kubernetes.io/service-name: odd}}\n"
            + "addressType: IPv4\nendpoints: [{addresses: [10.1.9.9], conditions: {ready: false}, targetRef: {kind: Pod, name: \"<script>alert(1)</script>\"}}]\n---\n"
            + podYAML("web-0", ip: "10.1.0.1", labels: ["app": "web"]) + "---\n"
            + podYAML("web-1", ip: "10.1.0.2", ready: false, labels: ["app": "web"]) + "---\n"
            + podYAML("web-2", ip: nil, labels: ["app": "web"]))
        let (status, type, html) = await get(api, "/")
        #expect(status == 200)
        #expect(type == "text/html; charset=utf-8")
        #expect(html.contains(#"<meta http-equiv="refresh" content="2">"#))
        #expect(html.contains("web.default.svc.cluster.local"))
        #expect(html.contains("odd.team.svc.cluster.local"))
        #expect(html.contains("ClusterIP, headless"))
        #expect(html.contains("10-1-0-1.web.default.svc.cluster.local"), "headless endpoint names")
        #expect(html.contains("<b>web-1</b>") && html.contains("not ready (pod Ready condition is not True)"))
        #expect(html.contains("<b>web-2</b>") && html.contains("no IP yet"), "pods the explainer leaves out are listed")
        #expect(html.contains(#"id="generation">\#(store.snapshot.generation)<"#))
        #expect(!html.contains("<script>"), "object text is escaped")
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("<code>team</code>"), "namespaces are listed")
    }

    @Test("recent changes: each new generation seen is listed, newest first, at most 20")
    func history() async throws {
        let (api, store) = try api(serviceYAML("a", clusterIP: "10.96.0.1"))
        _ = await get(api, "/healthz")
        for i in 0..<25 {
            store.apply(try ManifestDecoder.decode(Array(podYAML("p\(i)", ip: "10.2.0.\(i + 1)").utf8), source: "t").objects.map { .upsert($0) })
            _ = await get(api, "/healthz")
        }
        let entries = api.status.history.entries
        #expect(entries.count == 20)
        #expect(entries.first?.generation == store.snapshot.generation)
        #expect(entries.first?.summary == "pods 24→25, +pod default/p24")
        let (_, _, html) = await get(api, "/")
        #expect(html.contains("+pod default/p24"))
        // A write through the API shows up in the history of its own request.
        _ = await api.handle(AdminRequest(method: "DELETE", path: "/api/v1/namespaces/default/services/a"))
        #expect(api.status.history.entries.first?.summary.contains("−service default/a") == true)
    }

    @Test("GET /v1/explain answers an Explanation; bad names and types are 400")
    func explainRoute() async throws {
        let (api, store) = try api(
            serviceYAML("web", clusterIP: "None", selector: ["app": "web"]) + "---\n"
            + podYAML("web-0", ip: "10.1.0.1", labels: ["app": "web"]) + "---\n"
            + podYAML("web-1", ip: "10.1.0.2", ready: false, labels: ["app": "web"]))
        let (status, type, body) = await get(api, "/v1/explain", query: "name=web.default.svc.cluster.local")
        #expect(status == 200 && type == "application/json", "\(body)")
        let e = try JSONDecoder().decode(Explanation.self, from: Data(body.utf8))
        let expected = Authority(cluster: ClusterZone()).explain("web.default.svc.cluster.local", type: .a, in: store.snapshot)
        #expect(e == expected)
        #expect(e.type == "A" && e.excluded.map(\.object) == ["pod default/web-1"])

        let (s2, _, b2) = await get(api, "/v1/explain/", query: "name=web.default.svc.cluster.local.&type=aaaa")
        #expect(s2 == 200 && b2.contains(#""type":"AAAA""#), "\(b2)")
        let (s3, _, b3) = await get(api, "/v1/explain", query: "name=web%2Edefault.svc.cluster.local&type=SRV")
        #expect(s3 == 200 && b3.contains(#""name":"web.default.svc.cluster.local.""#), "\(b3)")

        for (query, mention) in [(nil, "name is required"), ("name=a..b", "not a domain name"),
                                 ("name=web.default.svc.cluster.local&type=BOGUS", "not a record type")] as [(String?, String)] {
            let r = await api.handle(AdminRequest(method: "GET", path: "/v1/explain", query: query))
            let j = (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any] ?? [:]
            #expect(r.status == 400 && j["reason"] as? String == "BadRequest", "\(query ?? "nil")")
            #expect((j["message"] as? String ?? "").contains(mention), "\(j)")
        }
        let post = await api.handle(AdminRequest(method: "POST", path: "/v1/explain"))
        #expect(post.status == 405)

        let loading = AdminAPI(store: store, options: AdminOptions(port: 0), metrics: nil, waitingFor: { ["zones"] })
        let r = await loading.handle(AdminRequest(method: "GET", path: "/v1/explain", query: "name=web.default.svc.cluster.local"))
        #expect(r.status == 503)
        let page = await loading.handle(AdminRequest(method: "GET", path: "/"))
        #expect(page.status == 200 && String(decoding: page.body, as: UTF8.self).contains("waiting for zones"))
    }

    @Test("clusterdns explain --server prints what explain prints offline")
    func explainCLI() async throws {
        guard let binary = requireClusterdnsBinary() else { return }
        try await withAdminServer(manifests: [examplesDirectory]) { _, admin async throws in
            let name = "web-2.web.default.svc.cluster.local"
            let online = try await run(binary, ["explain", name, "--server", admin.url])
            #expect(online.status == 0, "\(online.stderr)")
            let offline = try await run(binary, ["explain", name, "--manifests", examplesDirectory])
            #expect(offline.status == 0, "\(offline.stderr)")
            #expect(online.stdout == offline.stdout)
            #expect(online.stdout.contains("left out:") && online.stdout.contains("pod default/web-2"), "\(online.stdout)")
            let srv = try await run(binary, ["explain", "_http._tcp.web.default.svc.cluster.local", "SRV", "--server", admin.url + "/"])
            #expect(srv.status == 0 && srv.stdout.hasPrefix("_http._tcp.web.default.svc.cluster.local. SRV: NOERROR"), "\(srv.stdout)\(srv.stderr)")
            let json = try await run(binary, ["explain", name, "--server", admin.url, "--json"])
            #expect(json.status == 0 && json.stdout.contains(#""kind":"endpoint""#), "\(json.stdout)")
            let bad = try await run(binary, ["explain", name, "--server", "http://127.0.0.1:1"])
            #expect(bad.status != 0)
        }
    }

    @Test("headless Chromium renders the page: services, web-2 not ready with a reason, generation; screenshot")
    func chromium() async throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("chromium is missing: scripts/install-deps installs it")
            } else {
                print("skipping the Chromium test: chromium is not installed (apt-get install chromium)")
            }
            return
        }
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("clusterdns-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: profile) }
        let update = ProcessInfo.processInfo.environment["CLUSTERDNS_UPDATE_SCREENSHOT"] == "1"
        let screenshot = update ? repositoryRoot + "/docs/status-page.png" : profile.appendingPathComponent("status-page.png").path
        try? FileManager.default.removeItem(atPath: screenshot)
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                      "--hide-scrollbars", "--user-data-dir=" + profile.path]

        try await withAdminServer(manifests: [examplesDirectory]) { server, admin async throws in
            let page = admin.url + "/"
            let dom = try await run("/usr/bin/timeout", ["120", chromium] + common + ["--dump-dom", page])
            #expect(dom.status == 0, "\(dom.stderr)")
            let html = dom.stdout
            for text in ["web.default.svc.cluster.local", "api.shop.svc.cluster.local", "frontend.shop.svc.cluster.local",
                         "kubernetes.default.svc.cluster.local", "search.default.svc.cluster.local", "CNAME www.example.test",
                         "10.96.0.20, fd00:96::20", "web-0.web.default.svc.cluster.local"] {
                #expect(html.contains(text), "missing \(text)")
            }
            // web-2's row: not ready, with the reason.
            let endpoints = html.components(separatedBy: "<li class=\"endpoint\">").dropFirst()
            let web2 = endpoints.first { $0.contains("<b>web-2</b>") } ?? ""
            #expect(web2.contains("not ready") && web2.contains("pod Ready condition is not True"), "\(web2)")
            let web0 = endpoints.first { $0.contains("<b>web-0</b>") } ?? ""
            #expect(web0.contains(">ready<") && !web0.contains("not ready"), "\(web0)")
            #expect(html.contains(#"id="generation">\#(server.store.snapshot.generation)</b>"#))
            #expect(html.contains(#"<table id="changes">"#) && html.contains("first seen"))

            let shot = try await run("/usr/bin/timeout", ["120", chromium] + common
                                     + ["--screenshot=" + screenshot, "--window-size=1280,1000", page])
            #expect(shot.status == 0, "\(shot.stderr)")
            let size = (try? FileManager.default.attributesOfItem(atPath: screenshot)[.size] as? Int) ?? 0
            #expect(size > 1000, "screenshot \(screenshot) is \(size) bytes")
            let png = FileManager.default.contents(atPath: screenshot).map { Array($0.prefix(8)) } ?? []
            #expect(png == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "not a PNG")
        }
    }
}
