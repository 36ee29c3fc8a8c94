import Foundation
import TestSupport
import Testing
import ClusterModel

/// Kubernetes API conventions the object API follows beyond plain CRUD.
@Suite("Object API: namespace deletion, label selectors")
struct NamespaceDeleteAndSelectorTests {
    @Test("deleting a Namespace deletes what is in it (the namespace controller's cascade), in one change")
    func namespaceCascade() async throws {
        try await withAdminServer { server, admin async throws in
            #expect(try await admin.put("/api/v1/namespaces/team", "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n").status == 201)
            #expect(try await admin.put("/api/v1/namespaces/team/services/s", serviceYAML("s", ns: "team", clusterIP: "10.96.7.7")).status == 201)
            #expect(try await admin.put("/api/v1/namespaces/team/pods/p", podYAML("p", ns: "team", ip: "10.1.2.3")).status == 201)
            #expect(try await admin.put("/api/v1/namespaces/other/services/s", serviceYAML("s", ns: "other", clusterIP: "10.96.7.8")).status == 201)
            #expect(try query(server.port, "s.team.svc.cluster.local").addresses == ["10.96.7.7"])
            let before = server.store.generation
            #expect(try await admin.delete("/api/v1/namespaces/team").status == 200)
            #expect(server.store.generation == before + 1, "one change")
            expectStatus(try await admin.get("/api/v1/namespaces/team/services/s"), 404, "NotFound")
            expectStatus(try await admin.get("/api/v1/namespaces/team/pods/p"), 404, "NotFound")
            #expect(try query(server.port, "s.team.svc.cluster.local").rcode == 3)
            #expect(try query(server.port, "s.other.svc.cluster.local").addresses == ["10.96.7.8"], "other namespaces untouched")
        }
    }

    @Test("?labelSelector= filters lists (=, ==, !=, key, !key); watch, fieldSelector, set-based selectors and invalid keys or values are refused")
    func labelSelector() async throws {
        try await withAdminServer { _, admin async throws in
            for (name, labels) in [("a", ["app": "web", "tier": "front"]), ("b", ["app": "web"]), ("c", ["app": "db"])] {
                #expect(try await admin.put("/api/v1/namespaces/default/pods/\(name)", podYAML(name, ip: "10.1.0.\(name.utf8.first! - 96)", labels: labels)).status == 201)
            }
            func names(_ selector: String) async throws -> [String] {
                let q = selector.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? selector
                let r = try await admin.get("/api/v1/namespaces/default/pods?labelSelector=\(q)")
                #expect(r.status == 200, "\(r.text)")
                return ((r.json["items"] as? [[String: Any]]) ?? []).compactMap { ($0["metadata"] as? [String: Any])?["name"] as? String }.sorted()
            }
            #expect(try await names("app=web") == ["a", "b"])
            #expect(try await names("app==web,tier=front") == ["a"])
            #expect(try await names("app!=web") == ["c"])
            #expect(try await names("tier") == ["a"])
            #expect(try await names("!tier") == ["b", "c"])
            #expect(try await names(" app = web , tier ") == ["a"])
            expectStatus(try await admin.get("/api/v1/pods?labelSelector=app%20in%20(web)"), 400, "BadRequest", mentions: "set-based")
            // Keys and values must be valid labels, as the API server's parser requires.
            expectStatus(try await admin.get("/api/v1/pods?labelSelector=bad%20key%3Dx"), 400, "BadRequest", mentions: "invalid label key")
            expectStatus(try await admin.get("/api/v1/pods?labelSelector=app%3D%3Cscript%3E"), 400, "BadRequest", mentions: "invalid label value")
            expectStatus(try await admin.get("/api/v1/pods?labelSelector=app%3Da%3Db"), 400, "BadRequest", mentions: "invalid label value")
            expectStatus(try await admin.get("/api/v1/pods?labelSelector=!-x"), 400, "BadRequest", mentions: "invalid label key")
            expectStatus(try await admin.get("/api/v1/pods?watch=1"), 400, "BadRequest", mentions: "watch")
            expectStatus(try await admin.get("/api/v1/pods?fieldSelector=metadata.name%3Da"), 400, "BadRequest", mentions: "fieldSelector")
        }
    }
}
