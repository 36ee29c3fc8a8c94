import Testing
import DNSModel
import DNSWire
import ClusterModel
@testable import ClusterDNS

/// Endpoints computed from pods keep only the Service's address families, as the EndpointSlice
/// controller's `getAddressTypesForService` (kubernetes `pkg/controller/endpointslice`) does.
@Suite("IP families of endpoints computed from pods")
struct IPFamilyTests {
    /// Two dual-stack pods (one with hostname and subdomain `f4`, one without) selected by a
    /// headless service limited to IPv4, a headless service without `ipFamilies`, and a
    /// ClusterIP service whose only cluster IP is IPv4.
    static let yaml = """
    apiVersion: v1
    kind: Namespace
    metadata: {name: ns}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: f4, namespace: ns}
    spec:
      clusterIP: None
      clusterIPs: [None]
      ipFamilies: [IPv4]
      selector: {app: f}
      ports: [{name: http, port: 80}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: both, namespace: ns}
    spec:
      clusterIP: None
      selector: {app: f}
      ports: [{name: http, port: 80}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: c4, namespace: ns}
    spec:
      clusterIP: 10.96.4.4
      selector: {app: f}
      ports: [{name: http, port: 80}]
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: f4-0, namespace: ns, labels: {app: f}}
    spec: {hostname: f4-0, subdomain: f4, containers: [{name: c, image: i}]}
    status:
      podIP: 10.1.4.1
      podIPs: [{ip: 10.1.4.1}, {ip: "fd00::4:1"}]
      conditions: [{type: Ready, status: "True"}]
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: f4-1, namespace: ns, labels: {app: f}}
    spec: {containers: [{name: c, image: i}]}
    status:
      podIP: 10.1.4.2
      podIPs: [{ip: 10.1.4.2}, {ip: "fd00::4:2"}]
      conditions: [{type: Ready, status: "True"}]
    """

    func ptr(_ address: String, in snap: ClusterSnapshot) -> Answer {
        zone.reverseAnswer(Question(name: IPAddress(address)!.reverseName, type: .ptr), in: snap)
    }

    /// NOERROR with no answer and the SOA in the authority section (RFC 2308).
    func isNoData(_ a: Answer) -> Bool { a.rcode == .noError && a.answer.isEmpty && a.authority.first?.type == .soa }

    @Test("headless ipFamilies [IPv4]: A only; AAAA NODATA, no IPv6 endpoint name, no IPv6 PTR")
    func headlessIPv4Only() throws {
        let snap = try snapshot(Self.yaml)
        #expect(Set(ask("f4.ns.svc.cluster.local.", .a, in: snap).answer) == (try rrs(
            "f4.ns.svc.cluster.local. 5 IN A 10.1.4.1", "f4.ns.svc.cluster.local. 5 IN A 10.1.4.2")))
        #expect(isNoData(ask("f4.ns.svc.cluster.local.", .aaaa, in: snap)))
        // The pod's hostname name: A, and no AAAA.
        #expect(Set(ask("f4-0.f4.ns.svc.cluster.local.", .a, in: snap).answer) == (try rrs("f4-0.f4.ns.svc.cluster.local. 5 IN A 10.1.4.1")))
        #expect(isNoData(ask("f4-0.f4.ns.svc.cluster.local.", .aaaa, in: snap)))
        // Dashed names: the IPv4 one exists, the IPv6 one does not.
        #expect(Set(ask("10-1-4-2.f4.ns.svc.cluster.local.", .a, in: snap).answer) == (try rrs("10-1-4-2.f4.ns.svc.cluster.local. 5 IN A 10.1.4.2")))
        #expect(ask("fd00--4-2.f4.ns.svc.cluster.local.", .aaaa, in: snap).rcode == .nxDomain)
        // SRV: one target per pod, both by their IPv4 endpoint.
        #expect(Set(ask("_http._tcp.f4.ns.svc.cluster.local.", .srv, in: snap).answer) == (try rrs(
            "_http._tcp.f4.ns.svc.cluster.local. 5 IN SRV 0 50 80 f4-0.f4.ns.svc.cluster.local.",
            "_http._tcp.f4.ns.svc.cluster.local. 5 IN SRV 0 50 80 10-1-4-2.f4.ns.svc.cluster.local.")))
        // PTR: the IPv4 addresses name f4's endpoints; the IPv6 addresses name only `both`'s.
        #expect(ptr("10.1.4.1", in: snap).answer.contains { $0.data == .ptr("f4-0.f4.ns.svc.cluster.local.") })
        for v6 in ["fd00::4:1", "fd00::4:2"] {
            let answer = ptr(v6, in: snap)
            #expect(!answer.answer.isEmpty, "served for `both`")
            #expect(!answer.answer.contains { rr in
                if case .ptr(let target) = rr.data { return target.description.hasSuffix(".f4.ns.svc.cluster.local.") }
                return false
            }, "\(v6)")
        }
        // Nothing in the zone (nor its reverse records) holds an IPv6 address under f4.
        let forward = zone.records(in: snap).filter { $0.name.description.hasSuffix("f4.ns.svc.cluster.local.") }
        #expect(!forward.isEmpty && !forward.contains { $0.type == .aaaa })
    }

    @Test("headless without ipFamilies: both families, as before")
    func headlessBothFamilies() throws {
        let snap = try snapshot(Self.yaml)
        #expect(Set(ask("both.ns.svc.cluster.local.", .aaaa, in: snap).answer) == (try rrs(
            "both.ns.svc.cluster.local. 5 IN AAAA fd00::4:1", "both.ns.svc.cluster.local. 5 IN AAAA fd00::4:2")))
        #expect(Set(ask("fd00--4-2.both.ns.svc.cluster.local.", .aaaa, in: snap).answer) == (try rrs(
            "fd00--4-2.both.ns.svc.cluster.local. 5 IN AAAA fd00::4:2")))
        #expect(Set(ptr("fd00::4:2", in: snap).answer) == (try rrs(
            "\(IPAddress("fd00::4:2")!.reverseName) 5 IN PTR fd00--4-2.both.ns.svc.cluster.local.")))
        // Without the pod's subdomain matching, f4-0's endpoints under `both` are dashed.
        #expect(ask("fd00--4-1.both.ns.svc.cluster.local.", .aaaa, in: snap).answer.count == 1)
        // And the IPv4-only f4 does not have them.
        #expect(ask("fd00--4-2.f4.ns.svc.cluster.local.", .aaaa, in: snap).rcode == .nxDomain)
    }

    @Test("explain names a pod with no IP of the service's families as left out")
    func explainFamilies() throws {
        let yaml = Self.yaml + """

        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: f4-6, namespace: ns, labels: {app: f}}
        spec: {hostname: f4-6, subdomain: f4, containers: [{name: c, image: i}]}
        status: {podIP: "fd00::4:6", conditions: [{type: Ready, status: "True"}]}
        """
        let snap = try snapshot(yaml)
        let e = Authority(cluster: ClusterZone()).explain("f4-6.f4.ns.svc.cluster.local.", type: .aaaa, in: snap)
        #expect(e.rcode == "NXDOMAIN")
        #expect(e.excluded.contains { $0.object == "pod ns/f4-6" && $0.reason == "no IP of the service's IP families (IPv4)" }, "\(e.excluded)")
    }

    @Test("ClusterIP service with an IPv4 cluster IP only: no IPv6 endpoint")
    func clusterIPv4Only() throws {
        let snap = try snapshot(Self.yaml)
        guard let entry = snap.service(namespace: "ns", name: "c4") else { Issue.record("no c4"); return }
        #expect(entry.readyEndpoints.map(\.address) == [IPAddress("10.1.4.1")!, IPAddress("10.1.4.2")!])
        #expect(ask("c4.ns.svc.cluster.local.", .a, in: snap).answer.count == 1)
        #expect(isNoData(ask("c4.ns.svc.cluster.local.", .aaaa, in: snap)))
        #expect(ask("fd00--4-2.c4.ns.svc.cluster.local.", .aaaa, in: snap).rcode == .nxDomain)
        let names = Set(zone.records(in: snap).map(\.name.description).filter { $0.hasSuffix("c4.ns.svc.cluster.local.") })
        #expect(!names.contains { $0.contains("fd00") }, "\(names)")
        #expect(!zone.records(in: snap).contains { rr in
            guard rr.name.description.hasSuffix("c4.ns.svc.cluster.local.") else { return false }
            if case .srv(let s) = rr.data { return s.target.description.contains("fd00") }
            return rr.type == .aaaa
        })
        for records in zone.reverseRecords(in: snap).values {
            #expect(!records.contains { rr in
                if case .ptr(let target) = rr.data { return target.description.hasSuffix("c4.ns.svc.cluster.local.") && rr.name.description.hasSuffix("ip6.arpa.") }
                return false
            })
        }
    }
}
