import Testing
import DNSModel
import ClusterModel
@testable import ClusterDNS

/// The synthesised name server `ns.dns.<zone>` (CoreDNS `ns.go`): the apex NS points at it, so it
/// exists, with the cluster IPs of `kube-system/kube-dns` as its addresses and the NS's glue.
@Suite("Synthesised name server")
struct NameServerTests {
    static let kubeDNS = """
    apiVersion: v1
    kind: Service
    metadata: {name: kube-dns, namespace: kube-system}
    spec: {clusterIP: 10.96.0.10, clusterIPs: [10.96.0.10, "fd00::a"], ipFamilies: [IPv4, IPv6], ports: [{name: dns, port: 53, protocol: UDP}]}
    """

    @Test("ns.dns.<zone> answers kube-dns's cluster IPs; the NS carries them as glue; the export has them")
    func withKubeDNS() throws {
        let snap = try snapshot(Self.kubeDNS)
        #expect(ask("ns.dns.cluster.local.", .a, in: snap).answer == [try ResourceRecord(presentation: "ns.dns.cluster.local. 5 IN A 10.96.0.10")])
        #expect(ask("NS.dns.cluster.local.", .aaaa, in: snap).answer == [try ResourceRecord(presentation: "NS.dns.cluster.local. 5 IN AAAA fd00::a")])
        let ns = ask("cluster.local.", .ns, in: snap)
        #expect(Set(ns.additional) == (try rrs("ns.dns.cluster.local. 5 IN A 10.96.0.10", "ns.dns.cluster.local. 5 IN AAAA fd00::a")))
        let exported = Set(zone.records(in: snap).filter { $0.name == "ns.dns.cluster.local." })
        #expect(exported == (try rrs("ns.dns.cluster.local. 5 IN A 10.96.0.10", "ns.dns.cluster.local. 5 IN AAAA fd00::a")))
        let parent = ask("dns.cluster.local.", .a, in: snap)
        #expect(parent.rcode == .noError && parent.answer.isEmpty && parent.authority.map(\.type) == [.soa])
    }

    @Test("without kube-dns, ns.dns.<zone> exists without addresses (NODATA, not NXDOMAIN)")
    func withoutKubeDNS() throws {
        let snap = try snapshot()
        let a = ask("ns.dns.cluster.local.", .a, in: snap)
        #expect(a.rcode == .noError && a.answer.isEmpty && a.authority.map(\.type) == [.soa])
        #expect(ask("x.ns.dns.cluster.local.", .a, in: snap).rcode == .nxDomain)
        #expect(ask("cluster.local.", .ns, in: snap).additional.isEmpty)
    }

    @Test("a zone file that names its own name servers answers for them; nothing is synthesised")
    func zoneFileNS() throws {
        let overlay = StaticZone(origin: "cluster.local.", records: [
            try ResourceRecord(presentation: "cluster.local. 5 IN SOA ns1.cluster.local. h.cluster.local. 1 2 3 4 5"),
            try ResourceRecord(presentation: "cluster.local. 5 IN NS ns1.cluster.local."),
            try ResourceRecord(presentation: "ns1.cluster.local. 5 IN A 192.0.2.53"),
        ])
        let z = ClusterZone(apex: "cluster.local.", ttl: 5, podMode: .insecure, overlay: overlay)
        let snap = try snapshot(Self.kubeDNS)
        #expect(ask("ns.dns.cluster.local.", .a, zone: z, in: snap).rcode == .nxDomain)
        #expect(ask("cluster.local.", .ns, zone: z, in: snap).additional == [try ResourceRecord(presentation: "ns1.cluster.local. 5 IN A 192.0.2.53")])
    }

    @Test("a negative answer's SOA lives min(file minimum, --ttl), its TTL included (RFC 2308 §3)")
    func negativeTTLFromZoneFile() throws {
        let overlay = StaticZone(origin: "cluster.local.", records: [
            try ResourceRecord(presentation: "cluster.local. 3600 IN SOA ns1.cluster.local. h.cluster.local. 1 2 3 4 5"),
        ])
        let snap = try snapshot(Self.kubeDNS)
        for (ttl, expected) in [(UInt32(30), UInt32(5)), (3, 3)] {
            let z = ClusterZone(apex: "cluster.local.", ttl: ttl, podMode: .insecure, overlay: overlay)
            let nx = ask("nope.cluster.local.", .a, zone: z, in: snap)
            #expect(nx.rcode == .nxDomain)
            guard let soa = nx.authority.first, case .soa(let data) = soa.data else { Issue.record("no SOA"); continue }
            #expect(soa.ttl == expected && data.minimum == expected, "--ttl \(ttl)")
        }
    }
}
