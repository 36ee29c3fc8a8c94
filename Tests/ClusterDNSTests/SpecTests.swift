import Testing
import DNSModel
import DNSWire
import ClusterModel
@testable import ClusterDNS

/// One row of a table test: a question and the expected rcode and record sets, in zone-file text.
struct Case: CustomTestStringConvertible, Sendable {
    var name: String
    var type: RecordType
    var rcode: ResponseCode = .noError
    var answer: [String] = []
    var additional: [String]? = nil
    var testDescription: String { "\(name) \(type)" }
}

@Suite("Kubernetes DNS specification 1.1.0")
struct SpecTests {
    static let cases: [Case] = [
        // §2.1 schema version
        Case(name: "dns-version.cluster.local.", type: .txt, answer: ["dns-version.cluster.local. 28800 IN TXT \"1.1.0\""]),
        Case(name: "dns-version.cluster.local.", type: .a),
        // §2.3.1 ClusterIP A/AAAA; dual stack; NodePort answers like ClusterIP
        Case(name: "svc1.testns.svc.cluster.local.", type: .a, answer: ["svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"]),
        Case(name: "svc1.testns.svc.cluster.local.", type: .aaaa),
        Case(name: "svc-dual-stack.testns.svc.cluster.local.", type: .a, answer: ["svc-dual-stack.testns.svc.cluster.local. 5 IN A 10.0.0.3"]),
        Case(name: "svc-dual-stack.testns.svc.cluster.local.", type: .aaaa, answer: ["svc-dual-stack.testns.svc.cluster.local. 5 IN AAAA 10::3"]),
        // §2.3.2 SRV for a named port, target the service, address in additional
        Case(name: "_http._tcp.svc1.testns.svc.cluster.local.", type: .srv,
             answer: ["_http._tcp.svc1.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc1.testns.svc.cluster.local."],
             additional: ["svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"]),
        // Dual stack: one target per port, weighted as one of the (port, cluster IP) pairs, as
        // CoreDNS counts them (`findServices` yields one per pair); both addresses in additional
        Case(name: "_http._tcp.svc-dual-stack.testns.svc.cluster.local.", type: .srv,
             answer: ["_http._tcp.svc-dual-stack.testns.svc.cluster.local. 5 IN SRV 0 50 80 svc-dual-stack.testns.svc.cluster.local."],
             additional: ["svc-dual-stack.testns.svc.cluster.local. 5 IN A 10.0.0.3",
                          "svc-dual-stack.testns.svc.cluster.local. 5 IN AAAA 10::3"]),
        Case(name: "_http._udp.svc1.testns.svc.cluster.local.", type: .srv, rcode: .nxDomain),
        Case(name: "_nope._tcp.svc1.testns.svc.cluster.local.", type: .srv, rcode: .nxDomain),
        Case(name: "_http._tcp.svc1.testns.svc.cluster.local.", type: .a),
        Case(name: "_tcp.svc1.testns.svc.cluster.local.", type: .a),          // empty non-terminal
        // §2.4.1 headless A/AAAA: every ready endpoint; not-ready left out
        Case(name: "hdls1.testns.svc.cluster.local.", type: .a, answer: [
            "hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2", "hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.3",
            "hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.4", "hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.5"]),
        Case(name: "hdls1.testns.svc.cluster.local.", type: .aaaa, answer: [
            "hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::1", "hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::2"]),
        Case(name: "empty-headless.testns.svc.cluster.local.", type: .a, rcode: .nxDomain),
        // per-endpoint names: hostname, or dashed address
        Case(name: "dup-name.hdls1.testns.svc.cluster.local.", type: .a, answer: [
            "dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.4", "dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.5"]),
        Case(name: "172-0-0-2.hdls1.testns.svc.cluster.local.", type: .a, answer: ["172-0-0-2.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2"]),
        Case(name: "5678-abcd--1.hdls1.testns.svc.cluster.local.", type: .aaaa, answer: ["5678-abcd--1.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::1"]),
        Case(name: "172-0-0-9.hdls1.testns.svc.cluster.local.", type: .a, rcode: .nxDomain),
        Case(name: "web-0.web.testns.svc.cluster.local.", type: .a, answer: ["web-0.web.testns.svc.cluster.local. 5 IN A 10.1.0.10"]),
        Case(name: "web-1.web.testns.svc.cluster.local.", type: .a, rcode: .nxDomain),     // not ready
        Case(name: "web-0.web.testns.svc.cluster.local.", type: .aaaa),
        // §2.4.2 headless SRV: one per ready endpoint × named port, target the endpoint name
        Case(name: "_http._tcp.web.testns.svc.cluster.local.", type: .srv,
             answer: ["_http._tcp.web.testns.svc.cluster.local. 5 IN SRV 0 100 8080 web-0.web.testns.svc.cluster.local."],
             additional: ["web-0.web.testns.svc.cluster.local. 5 IN A 10.1.0.10"]),
        Case(name: "_http._tcp.hdls1.testns.svc.cluster.local.", type: .srv, answer: [
            "_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 172-0-0-2.hdls1.testns.svc.cluster.local.",
            "_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 172-0-0-3.hdls1.testns.svc.cluster.local.",
            "_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 dup-name.hdls1.testns.svc.cluster.local.",
            "_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 5678-abcd--1.hdls1.testns.svc.cluster.local.",
            "_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 5678-abcd--2.hdls1.testns.svc.cluster.local."]),
        Case(name: "hdlsprtls.testns.svc.cluster.local.", type: .a, answer: ["hdlsprtls.testns.svc.cluster.local. 5 IN A 172.0.0.20"]),
        Case(name: "hdlsprtls.testns.svc.cluster.local.", type: .srv),
        // §2.5 ExternalName: CNAME; in-zone target chased
        Case(name: "external.testns.svc.cluster.local.", type: .cname, answer: ["external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test."]),
        Case(name: "external.testns.svc.cluster.local.", type: .a, answer: ["external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test."]),
        Case(name: "external-to-service.testns.svc.cluster.local.", type: .a, answer: [
            "external-to-service.testns.svc.cluster.local. 5 IN CNAME svc1.testns.svc.cluster.local.",
            "svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"]),
        Case(name: "external.testns.svc.cluster.local.", type: .srv, answer: ["external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test."]),
        // NXDOMAIN vs NODATA (RFC 2308), empty non-terminals
        Case(name: "nope.testns.svc.cluster.local.", type: .a, rcode: .nxDomain),
        Case(name: "svc1.nons.svc.cluster.local.", type: .a, rcode: .nxDomain),
        Case(name: "testns.svc.cluster.local.", type: .a),
        Case(name: "nons.svc.cluster.local.", type: .a, rcode: .nxDomain),
        Case(name: "svc.cluster.local.", type: .a),
        Case(name: "cluster.local.", type: .a),
        Case(name: "a.b.svc1.testns.svc.cluster.local.", type: .a, rcode: .nxDomain),
        Case(name: "*.testns.svc.cluster.local.", type: .srv, rcode: .nxDomain),           // no wildcards
        Case(name: "whatever.cluster.local.", type: .a, rcode: .nxDomain),
        // pod records, insecure mode
        Case(name: "10-1-2-3.testns.pod.cluster.local.", type: .a, answer: ["10-1-2-3.testns.pod.cluster.local. 5 IN A 10.1.2.3"]),
        Case(name: "fd00--1.testns.pod.cluster.local.", type: .aaaa, answer: ["fd00--1.testns.pod.cluster.local. 5 IN AAAA fd00::1"]),
        Case(name: "blah.testns.pod.cluster.local.", type: .a, rcode: .nxDomain),
        Case(name: "10-1-2-3.nons.pod.cluster.local.", type: .a, rcode: .nxDomain),
        Case(name: "testns.pod.cluster.local.", type: .a),
    ]

    @Test(arguments: cases)
    func answers(_ c: Case) throws {
        let snap = try snapshot()
        let got = ask(c.name, c.type, in: snap)
        #expect(got.rcode == c.rcode)
        #expect(Set(got.answer) == Set(try c.answer.map { try ResourceRecord(presentation: $0) }))
        if let additional = c.additional {
            #expect(Set(got.additional) == Set(try additional.map { try ResourceRecord(presentation: $0) }))
        }
        if got.answer.isEmpty {
            #expect(got.authority.map(\.type) == [.soa], "negative answers carry the SOA (RFC 2308 §3)")
            if case .soa(let soa)? = got.authority.first?.data { #expect(soa.minimum == 5) }
        }
    }

    @Test("question case is echoed in owner names (A0.2)")
    func caseInsensitive() throws {
        let got = ask("SvC1.TeStNs.SvC.cLuStEr.LoCaL.", .a, in: try snapshot())
        #expect(got.answer.map(\.name.description) == ["SvC1.TeStNs.SvC.cLuStEr.LoCaL."])
        #expect(got.answer.first?.data == .a(IPv4Address(10, 0, 0, 1)))
    }

    @Test("a cluster IP listed twice is answered and indexed once")
    func repeatedClusterIP() {
        let store = ClusterStore()
        let service = KubeService(name: "twice", clusterIPs: ["10.96.0.7", "fd00::7", "10.96.0.7"])
        #expect(service.clusterAddresses == [IPAddress("10.96.0.7")!, IPAddress("fd00::7")!])
        let snap = store.apply([.upsert(.service(service))])
        #expect(ask("twice.default.svc.cluster.local.", .a, in: snap).answer.count == 1)
        #expect(ask("twice.default.svc.cluster.local.", .any, in: snap).answer.count == 2)
        #expect(snap.services(withClusterIP: IPAddress("10.96.0.7")!) == [ServiceKey(namespace: "default", name: "twice")])
    }

    @Test("PTR for cluster IPs and every ready endpoint (§2.3.3, §2.4.3)")
    func reverse() throws {
        let snap = try snapshot()
        func ptr(_ name: String) -> Answer { zone.reverseAnswer(Question(name: DomainName(name)!, type: .ptr), in: snap) }
        #expect(Set(ptr("1.0.0.10.in-addr.arpa.").answer) == (try rrs("1.0.0.10.in-addr.arpa. 5 IN PTR svc1.testns.svc.cluster.local.")))
        #expect(Set(ptr("2.0.0.172.in-addr.arpa.").answer) == (try rrs("2.0.0.172.in-addr.arpa. 5 IN PTR 172-0-0-2.hdls1.testns.svc.cluster.local.")))
        #expect(Set(ptr("10.0.1.10.in-addr.arpa.").answer) == (try rrs("10.0.1.10.in-addr.arpa. 5 IN PTR web-0.web.testns.svc.cluster.local.")))
        let v6 = IPv6Address("10::3")!.reverseName.description
        #expect(Set(ptr(v6).answer) == (try rrs("\(v6) 5 IN PTR svc-dual-stack.testns.svc.cluster.local.")))
        #expect(ptr("11.0.1.10.in-addr.arpa.").rcode == .nxDomain)       // not-ready pod
        #expect(ptr("9.9.9.9.in-addr.arpa.").rcode == .nxDomain)
    }

    @Test("reverse apex owns SOA and NS; partial reverse names above a known address are NODATA (RFC 8020), the rest NXDOMAIN")
    func reverseTree() throws {
        let snap = try snapshot()
        func ask(_ name: String, _ type: RecordType) -> Answer {
            zone.reverseAnswer(Question(name: DomainName(name)!, type: type), in: snap)
        }
        let soa = ask("in-addr.arpa.", .soa)
        #expect(soa.rcode == .noError && soa.answer.count == 1 && soa.answer.first?.type == .soa)
        #expect(soa.answer.first?.name == DomainName("in-addr.arpa."))
        #expect(ask("IN-ADDR.arpa.", .ns).answer.map(\.data) == [.ns(DomainName("ns.dns.cluster.local."))])
        #expect(ask("ip6.arpa.", .soa).answer.first?.name == DomainName("ip6.arpa."))
        #expect(ask("in-addr.arpa.", .a).rcode == .noError && ask("in-addr.arpa.", .a).answer.isEmpty)
        // Empty non-terminals above 10.1.0.10 (a pod's endpoint), 10.0.0.1 (a cluster IP) and
        // 172.0.0.2 (a slice's endpoint): NODATA with the zone's SOA, so that a resolver walking
        // down label by label goes on.
        for name in ["10.in-addr.arpa.", "0.10.in-addr.arpa.", "1.10.in-addr.arpa.", "0.1.10.in-addr.arpa.",
                     "0.0.10.in-addr.arpa.", "0.0.172.in-addr.arpa."] {
            let a = ask(name, .ptr)
            #expect(a.rcode == .noError && a.answer.isEmpty, "\(name)")
            #expect(a.authority.first?.type == .soa, "\(name)")
        }
        let v6 = IPv6Address("10::3")!.reverseName.labels
        let partial6 = DomainName(labels: v6.dropFirst(20))!.description
        #expect(ask(partial6, .ptr).rcode == .noError && ask(partial6, .ptr).answer.isEmpty)
        // Partial names with no address below: NXDOMAIN (RFC 8020), as a server loaded with the
        // exported zone answers.
        let other6 = DomainName(labels: IPv6Address("fd00::1")!.reverseName.labels.dropFirst(20))!.description
        for name in ["1.0.10.in-addr.arpa.", "11.in-addr.arpa.", "1.0.0.172.in-addr.arpa.", other6] {
            let a = ask(name, .ptr)
            #expect(a.rcode == .nxDomain && a.authority.first?.type == .soa, "\(name)")
        }
        // Not the shape of any address: nothing can lie below.
        for name in ["www.in-addr.arpa.", "256.in-addr.arpa.", "01.10.in-addr.arpa.", "+1.10.in-addr.arpa.", "1.2.3.4.5.in-addr.arpa.",
                     "x.ip6.arpa.", "10.ip6.arpa."] {
            #expect(ask(name, .ptr).rcode == .nxDomain, "\(name)")
        }
        // The zone transfer and `clusterdns zone --reverse` carry the NS too.
        let records = zone.reverseRecords(in: snap)["in-addr.arpa."] ?? []
        #expect(records.first?.type == .soa && records.dropFirst().first?.type == .ns)
    }

    @Test("pods verified answers only existing pods; disabled answers none (C8)")
    func podModes() throws {
        let snap = try snapshot()
        let verified = ClusterZone(podMode: .verified)
        #expect(ask("10-1-0-10.testns.pod.cluster.local.", .a, zone: verified, in: snap).answer.count == 1)
        #expect(ask("10-1-2-3.testns.pod.cluster.local.", .a, zone: verified, in: snap).rcode == .nxDomain)
        let disabled = ClusterZone(podMode: .disabled)
        #expect(ask("10-1-0-10.testns.pod.cluster.local.", .a, zone: disabled, in: snap).rcode == .nxDomain)
    }

    @Test("apex SOA and NS")
    func apex() throws {
        let snap = try snapshot()
        #expect(ask("cluster.local.", .soa, in: snap).answer.map(\.type) == [.soa])
        #expect(ask("cluster.local.", .ns, in: snap).answer == [ResourceRecord(name: "cluster.local.", ttl: 5, data: .ns("ns.dns.cluster.local."))])
    }

    @Test("zone export orders an RRset by canonical RDATA (RFC 4034 §6.3), names in RDATA folded")
    func canonicalRDATAOrder() {
        let owner: DomainName = "web.testns.svc.cluster.local."
        func a(_ text: String) -> ResourceRecord { ResourceRecord(name: owner, ttl: 5, data: .a(IPv4Address(text)!)) }
        func srv(_ port: UInt16, _ target: DomainName) -> ResourceRecord {
            ResourceRecord(name: owner, ttl: 5, data: .srv(SRVData(priority: 0, weight: 50, port: port, target: target)))
        }
        // Octet order, not the order of any text form: 1.0.0.1 < 9.0.0.0 < 10.0.0.1.
        let sorted = ClusterZone.canonicalOrder([a("10.0.0.1"), a("9.0.0.0"), a("1.0.0.1"), a("9.0.0.0")])
        #expect(sorted == [a("1.0.0.1"), a("9.0.0.0"), a("10.0.0.1")])
        // SRV: priority, weight, port, then the target lower-cased ("B" sorts as "b", after "a").
        let targets = ClusterZone.canonicalOrder([srv(80, "B.web.testns.svc.cluster.local."), srv(80, "a.web.testns.svc.cluster.local."),
                                                  srv(8, "z.web.testns.svc.cluster.local.")])
        #expect(targets.map { rr -> String in guard case .srv(let s) = rr.data else { return "" }; return "\(s.port) \(s.target)" }
                == ["8 z.web.testns.svc.cluster.local.", "80 a.web.testns.svc.cluster.local.", "80 B.web.testns.svc.cluster.local."])
        #expect(RData.srv(SRVData(priority: 1, weight: 2, port: 3, target: "A.b.")).canonicalWire
                == [0, 1, 0, 2, 0, 3, 1, UInt8(ascii: "a"), 1, UInt8(ascii: "b"), 0])
    }

    @Test("every record of the zone is answered exactly by a query for its name and type")
    func enumerationMatchesAnswers() throws {
        let snap = try snapshot()
        let all = zone.records(in: snap)
        #expect(all.first?.type == .soa)
        var grouped: [Question: Set<ResourceRecord>] = [:]
        for rr in all { grouped[Question(name: rr.name, type: rr.type), default: []].insert(rr) }
        #expect(grouped.count > 20)
        for (q, expected) in grouped {
            let got = zone.answer(q, in: snap)
            #expect(got.rcode == .noError, "\(q.name) \(q.type)")
            #expect(Set(got.answer.filter { $0.type == q.type && $0.name == q.name }) == expected, "\(q.name) \(q.type)")
        }
    }

    @Test("an endpoint whose name would pass 255 octets has no name, SRV target or PTR (RFC 1035 §2.3.4)")
    func overlongEndpointName() throws {
        let svc = String(repeating: "s", count: 63), ns = String(repeating: "n", count: 63), host = String(repeating: "h", count: 63)
        let long = ClusterZone(apex: DomainName("\(String(repeating: "a", count: 40)).\(String(repeating: "b", count: 40)).local.")!, ttl: 5)
        let snap = try snapshot("""
            apiVersion: v1
            kind: Service
            metadata: {name: \(svc), namespace: \(ns)}
            spec: {clusterIP: None, ports: [{name: http, port: 80}]}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: e1, namespace: \(ns), labels: {kubernetes.io/service-name: \(svc)}}
            addressType: IPv4
            ports: [{name: http, port: 80}]
            endpoints:
            - {addresses: [10.9.0.1], hostname: \(host)}
            - {addresses: [10.9.0.2], hostname: short}
            """)
        let service = "\(svc).\(ns).svc.\(long.apex)"
        let srv = ask(service, .srv, zone: long, in: snap)
        #expect(srv.answer.count == 1)
        #expect(srv.answer.first?.data == .srv(SRVData(priority: 0, weight: 100, port: 80, target: DomainName("short.\(service)")!)))
        #expect(srv.additional.map(\.name) == [DomainName("short.\(service)")!])
        #expect(ask(service, .a, zone: long, in: snap).answer.count == 2, "both addresses still answer the service name")
        let exported = long.records(in: snap)
        #expect(exported.filter { $0.name == DomainName(service)! && $0.type == .a }.count == 2)
        #expect(exported.filter { $0.type == .srv }.count == 2, "bare-name and _http._tcp SRV, one record each")
        #expect(long.reverseRecords(in: snap).values.joined().filter { $0.type == .ptr }.count == 1)
        // `clusterdns check` says so.
        #expect(ClusterLint.warnings(in: snap, domain: long.apex).map(\.message) == [
            "\(host).\(service) is longer than a DNS name can be (255 octets): that endpoint has no name, SRV target or PTR"])
    }
}
