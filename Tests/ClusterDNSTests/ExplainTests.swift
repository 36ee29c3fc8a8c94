import Testing
import DNSModel
import ClusterModel
import TestSupport
@testable import ClusterDNS

@Suite("explain and lint")
struct ExplainTests {
    let authority = Authority(cluster: ClusterZone())

    @Test("a not-ready StatefulSet pod is named as left out, with the reason")
    func notReady() throws {
        let e = authority.explain("web-1.web.testns.svc.cluster.local.", type: .a, in: try snapshot())
        #expect(e.rcode == "NXDOMAIN")
        #expect(e.kind == "endpoint")
        #expect(e.excluded.contains { $0.object == "pod testns/web-1" && $0.reason.contains("not ready") })
        #expect(e.text.contains("left out:"))
    }

    @Test("explain follows the zone's options: an empty ClusterIP Service under ignoresEmptyServices; an endpoint named by its pod")
    func options() throws {
        let ignoring = Authority(cluster: ClusterZone(ignoresEmptyServices: true))
        let empty = ignoring.explain("svc1.testns.svc.cluster.local.", type: .a, in: try snapshot())
        #expect(empty.rcode == "NXDOMAIN")
        #expect(empty.notes.contains { $0.contains("has no ready endpoints") && $0.contains("--ignore-empty-services") }, "\(empty.notes)")
        let store = ClusterStore(endpointNaming: .podName)
        let yaml = TestManifests.documents(fixtureYAML,
                                           TestManifests.headlessService("pool", namespace: "testns", app: "pool", port: "http", number: 80),
                                           TestManifests.pod("pool-a", namespace: "testns", app: "pool", ip: "10.1.0.40", ready: false))
        store.apply(try ManifestDecoder.decode(yaml, source: "t").objects.map { .upsert($0) })
        let byPod = authority.explain("pool-a.pool.testns.svc.cluster.local.", type: .a, in: store.snapshot)
        #expect(byPod.rcode == "NXDOMAIN")
        #expect(byPod.excluded.contains { $0.object == "pod testns/pool-a" && $0.reason.contains("not ready") }, "\(byPod.excluded)")
    }

    @Test("a ready pod is named as contributor; a label mismatch and a wrong subdomain are explained")
    func reasons() throws {
        let yaml = fixtureYAML + """

        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web-9, namespace: testns, labels: {app: webby}}
        spec: {hostname: web-9, subdomain: web, containers: [{name: c, image: i}]}
        status: {podIP: 10.1.0.19, conditions: [{type: Ready, status: "True"}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web-5, namespace: testns, labels: {app: web}}
        spec: {hostname: web-5, subdomain: webz, containers: [{name: c, image: i, ports: [{name: web, containerPort: 8080}]}]}
        status: {podIP: 10.1.0.15, conditions: [{type: Ready, status: "True"}]}
        """
        let snap = try snapshot(yaml)
        let ok = authority.explain("web-0.web.testns.svc.cluster.local.", type: .a, in: snap)
        #expect(ok.rcode == "NOERROR")
        #expect(ok.contributors.contains { $0.object == "pod testns/web-0" })
        let labels = authority.explain("web-9.web.testns.svc.cluster.local.", type: .a, in: snap)
        #expect(labels.excluded.contains { $0.object == "pod testns/web-9" && $0.reason.contains("do not match the selector") })
        let sub = authority.explain("web-5.web.testns.svc.cluster.local.", type: .a, in: snap)
        #expect(sub.excluded.contains { $0.object == "pod testns/web-5" && $0.reason.contains("subdomain") })
        // An endpoint name concerns the pods that could own it, not its siblings.
        #expect(ok.excluded.isEmpty, "\(ok.excluded)")
        #expect(labels.excluded.map(\.object) == ["pod testns/web-9"], "\(labels.excluded)")
        // The service name lists every selected pod left out.
        let all = authority.explain("web.testns.svc.cluster.local.", type: .a, in: snap)
        #expect(all.excluded.contains { $0.object == "pod testns/web-1" } && all.excluded.contains { $0.object == "pod testns/web-9" })
        let noService = authority.explain("x.nothere.testns.svc.cluster.local.", type: .a, in: snap)
        #expect(noService.notes.contains { $0.contains("no service testns/nothere") })
    }

    @Test("lint warns about subdomains without a headless service, empty selectors, missing named ports, duplicate hostnames")
    func lint() throws {
        let yaml = """
        apiVersion: v1
        kind: Service
        metadata: {name: lonely, namespace: default}
        spec: {clusterIP: 10.0.0.9, selector: {app: nobody}, ports: [{name: http, port: 80}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: named, namespace: default}
        spec: {clusterIP: None, selector: {app: n}, ports: [{name: http, port: 80, targetPort: web}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: n-0, namespace: default, labels: {app: n}}
        spec: {hostname: same, subdomain: named, containers: [{name: c, image: i}]}
        status: {podIP: 10.2.0.1, conditions: [{type: Ready, status: "True"}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: n-1, namespace: default, labels: {app: n}}
        spec: {hostname: same, subdomain: named, containers: [{name: c, image: i, ports: [{name: web, containerPort: 81}]}]}
        status: {podIP: 10.2.0.2, conditions: [{type: Ready, status: "True"}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: stray, namespace: default}
        spec: {hostname: stray, subdomain: missing, containers: [{name: c, image: i}]}
        status: {podIP: 10.2.0.3}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: both, namespace: default}
        spec: {clusterIP: 10.0.0.10, selector: {app: n, tier: db}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: both-here, namespace: default}
        spec: {clusterIP: 10.0.0.11, selector: {app: n, tier: web}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: db-0, namespace: other, labels: {app: n, tier: db}}
        spec: {containers: [{name: c, image: i}]}
        status: {podIP: 10.2.0.4}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web-0, namespace: default, labels: {app: n, tier: web}}
        spec: {containers: [{name: c, image: i}]}
        status: {podIP: 10.2.0.5}
        """
        let warnings = ClusterLint.warnings(in: try snapshot(yaml)).map(\.description)
        #expect(warnings.contains { $0.hasPrefix("services/default/lonely: selector") })
        #expect(warnings.contains { $0.hasPrefix("pods/default/stray: spec.subdomain missing") })
        #expect(!warnings.contains { $0.contains("targetPort web") })     // n-1 defines it
        #expect(warnings.contains { $0.contains("hostname same is used by") })
        // Every label of a selector must match, in the Service's namespace: `both`'s pod lives in
        // another namespace; `both-here`'s has both labels beside two pods with one of them.
        #expect(warnings.contains("services/default/both: selector {app=n,tier=db} matches no pod"))
        #expect(!warnings.contains { $0.hasPrefix("services/default/both-here:") })
    }

    @Test("lint warns about ExternalName chains in the cluster domain that loop, end at a missing name or run past 10 CNAMEs")
    func lintExternalNames() throws {
        func external(_ name: String, _ target: String) -> String {
            "apiVersion: v1\nkind: Service\nmetadata: {name: \(name), namespace: default}\nspec: {type: ExternalName, externalName: \(target)}\n---\n"
        }
        let yaml = external("self", "self.default.svc.cluster.local") + external("ping", "pong.default.svc.cluster.local")
            + external("pong", "ping.default.svc.cluster.local") + external("dangling", "nothere.default.svc.cluster.local")
            + external("outside", "www.example.com") + external("fine", "web.default.svc.cluster.local")
            + external("literal", "192.0.2.44")
            + "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\nspec: {clusterIP: 10.0.0.8}\n---\n"
            + (0..<11).map { external("hop\($0)", "hop\($0 + 1).default.svc.cluster.local") }.joined()
            + "apiVersion: v1\nkind: Service\nmetadata: {name: hop11, namespace: default}\nspec: {clusterIP: 10.0.0.9}\n"
        let warnings = ClusterLint.warnings(in: try snapshot(yaml)).map(\.description)
        #expect(warnings.contains("services/default/self: externalName leads to a CNAME loop: self.default.svc.cluster.local. → self.default.svc.cluster.local."))
        #expect(warnings.contains { $0.hasPrefix("services/default/ping: externalName leads to a CNAME loop") })
        #expect(warnings.contains { $0.hasPrefix("services/default/pong: externalName leads to a CNAME loop") })
        #expect(warnings.contains { $0.hasPrefix("services/default/dangling: externalName leads to nothere.default.svc.cluster.local., which does not exist") })
        #expect(!warnings.contains { $0.hasPrefix("services/default/outside") || $0.hasPrefix("services/default/fine") })
        #expect(warnings.contains { $0.hasPrefix("services/default/literal: externalName 192.0.2.44 is an IP address") })
        // hop0 → … → hop11 is 11 CNAMEs: the answer stops after 10; hop1's chain (10) is whole.
        #expect(warnings.contains { $0.hasPrefix("services/default/hop0: externalName leads through more than 10 CNAMEs") })
        #expect(!warnings.contains { $0.hasPrefix("services/default/hop1:") })
        #expect(!warnings.contains { $0.contains("loop") && $0.contains("hop") })
    }
}
