import Foundation
import ClusterModel
import DNSModel
import Testing

func ip(_ s: String) -> IPAddress { IPAddress(s) ?? .v4(IPv4Address(0, 0, 0, 0)) }

func pod(_ name: String, ns: String = "default", ip addr: String? = "10.0.0.1", labels: [String: String] = ["app": "web"],
         ready: Bool = true, terminating: Bool = false, hostname: String? = nil, subdomain: String? = nil,
         ports: [KubePod.ContainerPort] = [], phase: KubePod.Phase = .running, extraIPs: [String] = []) -> KubeObject {
    .pod(KubePod(name: name, namespace: ns, labels: labels, deletionTimestamp: terminating ? "2026-01-01T00:00:00Z" : nil,
                 hostname: hostname, subdomain: subdomain, ports: ports,
                 podIPs: (addr.map { [$0] } ?? []).map(ip) + extraIPs.map(ip), phase: phase, ready: ready))
}

func service(_ name: String = "web", ns: String = "default", type: KubeService.ServiceType = .clusterIP,
             clusterIP: String? = "10.96.0.1", ports: [KubeService.Port] = [.init(name: "http", port: 80)],
             selector: [String: String]? = ["app": "web"], publishNotReady: Bool = false) -> KubeObject {
    .service(KubeService(name: name, namespace: ns, type: type, clusterIP: clusterIP,
                         ports: ports, selector: selector, publishNotReadyAddresses: publishNotReady,
                         externalName: type == .externalName ? "example.com" : nil))
}

/// Builds a store from objects and returns the entry of default/web.
func entry(_ objects: [KubeObject], _ name: String = "web") -> ServiceEntry? {
    let store = ClusterStore()
    store.apply(objects.map { .upsert($0) })
    return store.snapshot.service(namespace: "default", name: name)
}

@Suite struct EndpointComputationTests {
    @Test func selectorMatchesSameNamespaceOnly() {
        let e = entry([service(), pod("a", ip: "10.0.0.1"), pod("b", ip: "10.0.0.2", labels: ["app": "db"]),
                       pod("c", ns: "other", ip: "10.0.0.3"), pod("d", ip: "10.0.0.4", labels: ["app": "web", "x": "y"])])
        #expect(e?.readyEndpoints.map(\.address) == [ip("10.0.0.1"), ip("10.0.0.4")])
        #expect(e?.readyEndpoints.map(\.targetPod) == ["a", "d"])
        #expect(e?.source == .pods)
        #expect(e?.readyEndpoints.first?.ports == [EndpointPort(name: "http", port: 80)])
    }

    @Test func noOrEmptySelectorSelectsNothing() {
        #expect(entry([service(selector: nil), pod("a")])?.endpoints.isEmpty == true)
        #expect(entry([service(selector: [:]), pod("a")])?.endpoints.isEmpty == true)
    }

    @Test func readinessRules() {
        let objects = [pod("ready", ip: "10.0.0.1"), pod("notready", ip: "10.0.0.2", ready: false),
                       pod("term", ip: "10.0.0.3", terminating: true), pod("noip", ip: nil),
                       pod("done", ip: "10.0.0.5", phase: .succeeded)]
        let normal = entry([service()] + objects)
        #expect(normal?.readyEndpoints.map(\.targetPod) == ["ready"])
        #expect(normal?.notReadyEndpoints.map(\.targetPod) == ["notready", "term"])
        let publish = entry([service(publishNotReady: true)] + objects)
        #expect(publish?.readyEndpoints.map(\.targetPod) == ["ready", "notready", "term"])
        #expect(publish?.notReadyEndpoints.isEmpty == true)
    }

    @Test func dualStackPodGivesOneEndpointPerIP() {
        // Headless without ipFamilies: both families (`getAddressTypesForService`).
        let e = entry([service(clusterIP: "None"), pod("a", ip: "10.0.0.1", extraIPs: ["fd00::1"])])
        #expect(e?.readyEndpoints.map(\.address) == [ip("10.0.0.1"), ip("fd00::1")])
    }

    /// A Service of default/web selecting app=web, with the given IP fields.
    func familyService(clusterIP: String?, clusterIPs: [String] = [], ipFamilies: [KubeService.IPFamily] = []) -> KubeObject {
        .service(KubeService(name: "web", clusterIP: clusterIP, clusterIPs: clusterIPs, ports: [.init(name: "http", port: 80)],
                             selector: ["app": "web"], ipFamilies: ipFamilies))
    }

    @Test("endpoints from pods keep only the service's IP families (EndpointSlice controller)")
    func podIPsFollowServiceFamilies() {
        let pods = [pod("a", ip: "10.0.0.1", extraIPs: ["fd00::1"]), pod("b", ip: "fd00::2", extraIPs: ["10.0.0.2"]),
                    pod("c", ip: "10.0.0.3", ready: false, extraIPs: ["fd00::3"]), pod("d", ip: "fd00::4")]
        let v4 = [ip("10.0.0.1"), ip("10.0.0.2")], v6 = [ip("fd00::1"), ip("fd00::2")]
        let cases: [(KubeObject, [IPAddress], [IPAddress])] = [
            // ipFamilies wins, headless or not.
            (familyService(clusterIP: "None", ipFamilies: [.ipv4]), v4, [ip("10.0.0.3")]),
            (familyService(clusterIP: "None", ipFamilies: [.ipv6]), v6 + [ip("fd00::4")], [ip("fd00::3")]),
            (familyService(clusterIP: "None", ipFamilies: [.ipv6, .ipv4]), v4 + v6 + [ip("fd00::4")], [ip("10.0.0.3"), ip("fd00::3")]),
            (familyService(clusterIP: "10.96.0.1", ipFamilies: [.ipv6]), v6 + [ip("fd00::4")], [ip("fd00::3")]),
            // Else the cluster IPs' families.
            (familyService(clusterIP: "10.96.0.1"), v4, [ip("10.0.0.3")]),
            (familyService(clusterIP: "fd00::a"), v6 + [ip("fd00::4")], [ip("fd00::3")]),
            (familyService(clusterIP: "10.96.0.1", clusterIPs: ["10.96.0.1", "fd00::a"]), v4 + v6 + [ip("fd00::4")], [ip("10.0.0.3"), ip("fd00::3")]),
            // Else (headless, or no cluster IP) both.
            (familyService(clusterIP: "None"), v4 + v6 + [ip("fd00::4")], [ip("10.0.0.3"), ip("fd00::3")]),
            (familyService(clusterIP: nil), v4 + v6 + [ip("fd00::4")], [ip("10.0.0.3"), ip("fd00::3")]),
        ]
        for (svc, ready, notReady) in cases {
            let e = entry([svc] + pods)
            #expect(e?.readyEndpoints.map(\.address) == ready, "\(svc)")
            #expect(e?.notReadyEndpoints.map(\.address) == notReady, "\(svc)")
            // The same through the incremental path: the pods arrive after the service.
            let store = ClusterStore()
            store.apply([.upsert(svc)])
            store.apply(pods.map { .upsert($0) })
            let incremental = store.snapshot.service(namespace: "default", name: "web")
            #expect(incremental?.readyEndpoints.map(\.address) == ready, "\(svc)")
            #expect(incremental?.notReadyEndpoints.map(\.address) == notReady, "\(svc)")
        }
    }

    @Test func endpointFamiliesRule() {
        func families(_ o: KubeObject) -> Set<KubeService.IPFamily>? {
            if case .service(let s) = o { return s.endpointFamilies }
            return nil
        }
        #expect(families(familyService(clusterIP: "None", ipFamilies: [.ipv4])) == [.ipv4])
        #expect(families(familyService(clusterIP: "10.96.0.1")) == [.ipv4])
        #expect(families(familyService(clusterIP: "fd00::a", clusterIPs: ["fd00::a"])) == [.ipv6])
        #expect(families(familyService(clusterIP: "10.96.0.1", clusterIPs: ["10.96.0.1", "fd00::a"])) == [.ipv4, .ipv6])
        #expect(families(familyService(clusterIP: "None")) == [.ipv4, .ipv6])
        #expect(families(familyService(clusterIP: "")) == [.ipv4, .ipv6])
        // A dual-stack policy without ipFamilies: both, as a dual-stack cluster's apiserver sets.
        let prefer = KubeService(name: "web", clusterIP: "10.96.0.1", ipFamilyPolicy: .preferDualStack)
        #expect(prefer.endpointFamilies == [.ipv4, .ipv6])
        let single = KubeService(name: "web", clusterIP: "10.96.0.1", ipFamilyPolicy: .singleStack)
        #expect(single.endpointFamilies == [.ipv4])
    }

    @Test("EndpointSlices are taken as they are, whatever the service's families")
    func slicesAreNotFiltered() {
        let slice = KubeEndpointSlice(name: "web-v6", labels: [KubeEndpointSlice.serviceNameLabel: "web"], addressType: .ipv6,
                                      endpoints: [.init(addresses: [ip("fd00::9")])], ports: [EndpointPort(name: "http", port: 80)])
        let e = entry([familyService(clusterIP: "None", ipFamilies: [.ipv4]), .endpointSlice(slice), pod("a", ip: "10.0.0.1")])
        #expect(e?.source == .endpointSlices)
        #expect(e?.readyEndpoints.map(\.address) == [ip("fd00::9")])
    }

    @Test func hostnameOnlyWhenSubdomainMatches() {
        let e = entry([service(clusterIP: "None"),
                       pod("a", ip: "10.0.0.1", hostname: "a", subdomain: "web"),
                       pod("b", ip: "10.0.0.2", hostname: "b", subdomain: "other"),
                       pod("c", ip: "10.0.0.3", hostname: "c")])
        #expect(e?.readyEndpoints.map(\.hostname) == ["a", nil, nil])
    }

    @Test func namedTargetPortResolvedPerPodAndDroppedWhenMissing() {
        let ports: [KubeService.Port] = [.init(name: "http", port: 80, targetPort: .string("web")),
                                         .init(name: "metrics", port: 9000, targetPort: .int(9100)),
                                         .init(name: "dns", protocol: .udp, port: 53, targetPort: .string("dns"))]
        let e = entry([service(ports: ports),
                       pod("a", ip: "10.0.0.1", ports: [.init(name: "web", containerPort: 8080), .init(name: "dns", containerPort: 5353, protocol: .tcp)]),
                       pod("b", ip: "10.0.0.2", ports: [.init(name: "web", containerPort: 8081), .init(name: "dns", containerPort: 53, protocol: .udp)])])
        #expect(e?.readyEndpoints[0].ports == [EndpointPort(name: "http", port: 8080), EndpointPort(name: "metrics", port: 9100)])
        #expect(e?.readyEndpoints[1].ports == [EndpointPort(name: "dns", port: 53, protocol: .udp),
                                               EndpointPort(name: "http", port: 8081), EndpointPort(name: "metrics", port: 9100)])
    }

    static func slice(_ name: String, _ endpoints: [KubeEndpointSlice.Endpoint], service: String = "web") -> KubeObject {
        .endpointSlice(KubeEndpointSlice(name: name, labels: [KubeEndpointSlice.serviceNameLabel: service],
                                         endpoints: endpoints, ports: [EndpointPort(name: "http", port: 8080)]))
    }

    @Test func endpointSlicesOverridePodsAndMerge() {
        let e = entry([service(), pod("a", ip: "10.0.0.1"),
                       Self.slice("web-1", [.init(addresses: [ip("10.1.0.1")], ready: true, hostname: "h1", targetName: "p1"),
                                            .init(addresses: [ip("10.1.0.2")])]),           // ready absent = ready
                       Self.slice("web-2", [.init(addresses: [ip("10.1.0.2")], ready: true),   // duplicate, merged
                                            .init(addresses: [ip("10.1.0.3")], ready: false)]),
                       Self.slice("other-1", [.init(addresses: [ip("10.9.9.9")])], service: "other")])
        #expect(e?.source == .endpointSlices)
        #expect(e?.readyEndpoints.map(\.address) == [ip("10.1.0.1"), ip("10.1.0.2")])
        #expect(e?.readyEndpoints.first?.hostname == "h1")
        #expect(e?.notReadyEndpoints.map(\.address) == [ip("10.1.0.3")])
        #expect(e?.readyEndpoints.first?.ports == [EndpointPort(name: "http", port: 8080)])
    }

    @Test func v1EndpointsNotReadyAddresses() {
        let eps = KubeObject.endpoints(KubeEndpoints(name: "web", subsets: [
            .init(addresses: [.init(ip: ip("10.2.0.1"), hostname: "x")], notReadyAddresses: [.init(ip: ip("10.2.0.2"))],
                  ports: [EndpointPort(name: "http", port: 80)])]))
        let e = entry([service(selector: nil), eps])
        #expect(e?.source == .endpoints)
        #expect(e?.readyEndpoints.map(\.address) == [ip("10.2.0.1")])
        #expect(e?.notReadyEndpoints.map(\.address) == [ip("10.2.0.2")])
        let published = entry([service(selector: nil, publishNotReady: true), eps])
        #expect(published?.readyEndpoints.count == 2)
    }

    @Test func externalNameHasNoEndpoints() {
        let e = entry([service(type: .externalName, clusterIP: nil), pod("a")])
        #expect(e?.endpoints.isEmpty == true)
        #expect(e?.source == EndpointSource.none)
    }

    @Test func exposureChangeKeepsEndpoints() {
        let store = ClusterStore()
        store.apply([.upsert(service()), .upsert(pod("a")), .upsert(pod("b", ip: "10.0.0.2"))])
        let before = store.snapshot.service(namespace: "default", name: "web")?.endpoints
        for type in [KubeService.ServiceType.nodePort, .loadBalancer, .clusterIP] {
            store.apply([.upsert(service(type: type))])
            let now = store.snapshot.service(namespace: "default", name: "web")
            #expect(now?.service.type == type)
            #expect(now?.endpoints == before)
        }
    }

    /// Spec §2.1: an endpoint is ready "if it is in the addresses field of the Endpoints object, or
    /// if the corresponding service has the service.alpha.kubernetes.io/tolerate-unready-endpoints
    /// annotation set to true"; from every endpoint source alike.
    @Test func tolerateUnreadyEndpointsAnnotation() throws {
        func decoded(_ value: String) throws -> [KubeObject] {
            try ManifestDecoder.decode("""
                apiVersion: v1
                kind: Service
                metadata:
                  name: web
                  annotations: {service.alpha.kubernetes.io/tolerate-unready-endpoints: "\(value)", other: x}
                spec: {clusterIP: None, selector: {app: web}, ports: [{name: http, port: 80}]}
                """, source: "svc.yaml").objects
        }
        let tolerant = try decoded("true"), strict = try decoded("no")
        guard case .service(let s)? = tolerant.first, case .service(let plain)? = strict.first else {
            Issue.record("no Service decoded"); return
        }
        #expect(s.tolerateUnreadyEndpoints && s.publishesNotReadyEndpoints && !s.publishNotReadyAddresses)
        #expect(!plain.tolerateUnreadyEndpoints)
        // Encoded back with the annotation (a GET returns it), and read again the same.
        guard case .service(let again)? = try ManifestDecoder.decode(try JSONEncoder().encode(tolerant), source: "again").objects.first else {
            Issue.record("no Service decoded again"); return
        }
        #expect(again.tolerateUnreadyEndpoints)
        let pods = [pod("up", ip: "10.0.0.1"), pod("down", ip: "10.0.0.2", ready: false)]
        #expect(entry(tolerant + pods)?.readyEndpoints.map(\.targetPod) == ["up", "down"])
        #expect(entry(strict + pods)?.readyEndpoints.map(\.targetPod) == ["up"])
        let eps = KubeObject.endpoints(KubeEndpoints(name: "web", subsets: [
            .init(addresses: [.init(ip: ip("10.2.0.1"))], notReadyAddresses: [.init(ip: ip("10.2.0.2"), hostname: "t-1")],
                  ports: [EndpointPort(name: "http", port: 80)])]))
        #expect(entry(tolerant + [eps])?.readyEndpoints.map(\.address) == [ip("10.2.0.1"), ip("10.2.0.2")])
        #expect(entry(strict + [eps])?.readyEndpoints.map(\.address) == [ip("10.2.0.1")])
        let slice = Self.slice("web-1", [.init(addresses: [ip("10.1.0.3")], ready: false)])
        #expect(entry(tolerant + [slice])?.readyEndpoints.map(\.address) == [ip("10.1.0.3")])
        #expect(entry(strict + [slice])?.notReadyEndpoints.map(\.address) == [ip("10.1.0.3")])
    }
}
