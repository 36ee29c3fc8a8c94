import Foundation
import TestSupport
import Testing
import DNSModel
import DNSServer
import ClusterDNSRuntime
import ClusterModel

/// The real server, queried with dig and drill over UDP and TCP.
@Suite("Server answers real clients", .serialized)
struct DigTests {
    @Test("StatefulSet pod names, headless sets, ClusterIP, SRV, PTR, ExternalName over UDP and TCP")
    func demoCluster() async throws {
        try await withServer { server in
            let port = server.port
            for transport in ["+notcp", "+tcp"] {
                #expect(try await digShort(port, transport, "web-0.web.default.svc.cluster.local") == ["10.244.1.10"])
                #expect(try await digShort(port, transport, "web.default.svc.cluster.local") == ["10.244.1.10", "10.244.1.11"])
                #expect(try await digShort(port, transport, "api.shop.svc.cluster.local") == ["10.96.0.10"])
                #expect(try await digShort(port, transport, "frontend.shop.svc.cluster.local", "AAAA") == ["fd00:96::20"])
                #expect(try await digShort(port, transport, "_http._tcp.web.default.svc.cluster.local", "SRV")
                        == ["0 50 8080 web-0.web.default.svc.cluster.local.", "0 50 8080 web-1.web.default.svc.cluster.local."])
                #expect(try await digShort(port, transport, "-x", "10.96.0.10") == ["api.shop.svc.cluster.local."])
                #expect(try await digShort(port, transport, "dns-version.cluster.local", "TXT") == ["\"1.1.0\""])
                #expect(try await digShort(port, transport, "10-244-2-20.workers.shop.svc.cluster.local") == ["10.244.2.20"])
                #expect(try await digShort(port, transport, "api-alias.default.svc.cluster.local")
                        == ["10.96.0.10", "api.shop.svc.cluster.local."])
            }
            let nx = try await dig(port, "web-2.web.default.svc.cluster.local")
            #expect(digStatus(nx) == "NXDOMAIN")
            #expect(digFlags(nx).contains("aa"))
            #expect(nx.contains("AUTHORITY: 1"))
            let nodata = try await dig(port, "api.shop.svc.cluster.local", "MX")
            #expect(digStatus(nodata) == "NOERROR")
            #expect(nodata.contains("ANSWER: 0"))
            let mixed = try await dig(port, "WeB-0.wEb.DeFault.SVC.cluster.LOCAL")
            #expect(digAnswers(mixed) == ["WeB-0.wEb.DeFault.SVC.cluster.LOCAL. A 10.244.1.10"])
            #expect(digStatus(try await dig(port, "www.example.org")) == "REFUSED")
            #expect(try await digShort(port, "www.example.test") == ["192.0.2.10"])
            #expect(try await digShort(port, "registry.cluster.local") == ["10.96.100.1"])
            // An ExternalName whose target is in a static zone we serve gets the target's records.
            #expect(try await digShort(port, "search.default.svc.cluster.local") == ["192.0.2.10", "www.example.test."])
            // The reverse tree, label by label as a QNAME-minimising resolver asks (RFC 9156): the
            // apex has its SOA, the empty non-terminals above a cluster IP are NODATA (not NXDOMAIN,
            // RFC 8020), the address itself has its PTR.
            #expect(try await digShort(port, "in-addr.arpa", "SOA").first?.hasPrefix("ns.dns.cluster.local. hostmaster.cluster.local.") == true)
            for name in ["10.in-addr.arpa", "96.10.in-addr.arpa", "0.96.10.in-addr.arpa"] {
                let out = try await dig(port, name, "A")
                #expect(digStatus(out) == "NOERROR", "\(name)")
                #expect(out.contains("ANSWER: 0") && out.contains("AUTHORITY: 1"), "\(name)")
            }
            #expect(try await digShort(port, "10.0.96.10.in-addr.arpa", "PTR") == ["api.shop.svc.cluster.local."])
        }
    }

    @Test("ExternalName loops and dangling targets, asked with dig: answered, never a crash")
    func externalNameChains() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
        apiVersion: v1
        kind: Service
        metadata: {name: self, namespace: default}
        spec: {type: ExternalName, externalName: self.default.svc.cluster.local}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: dangling, namespace: default}
        spec: {type: ExternalName, externalName: nothere.default.svc.cluster.local}
        """.write(toFile: dir + "/loops.yaml", atomically: true, encoding: .utf8)
        try await withServer(manifests: [dir + "/loops.yaml", repositoryRoot + "/examples"]) { server in
            let port = server.port
            for transport in ["+notcp", "+tcp"] {
                for type in ["A", "TXT"] {
                    let loop = try await dig(port, transport, "self.default.svc.cluster.local", type)
                    #expect(digStatus(loop) == "NOERROR", "\(type)")
                    #expect(digAnswers(loop) == ["self.default.svc.cluster.local. CNAME self.default.svc.cluster.local."])
                }
                // RFC 6604 §2.1: the rcode of the chain's last name, with its zone's SOA.
                let dangling = try await dig(port, transport, "dangling.default.svc.cluster.local")
                #expect(digStatus(dangling) == "NXDOMAIN")
                #expect(digAnswers(dangling) == ["dangling.default.svc.cluster.local. CNAME nothere.default.svc.cluster.local."])
                #expect(dangling.contains("AUTHORITY: 1"))
            }
            #expect(try await digShort(port, "web-0.web.default.svc.cluster.local") == ["10.244.1.10"])
        }
    }

    @Test("drill over UDP and TCP")
    func drill() async throws {
        try await withServer { server in
            for flag in ["-u", "-t"] {
                let out = try await run("drill", [flag, "-p", "\(server.port)", "@127.0.0.1", "web-1.web.default.svc.cluster.local", "A"]).stdout
                #expect(out.contains("rcode: NOERROR"))
                #expect(out.contains("10.244.1.11"))
                let srv = try await run("drill", [flag, "-p", "\(server.port)", "@127.0.0.1", "_metrics._tcp.workers.shop.svc.cluster.local", "SRV"]).stdout
                #expect(srv.contains("9100 10-244-2-20.workers.shop.svc.cluster.local."))
            }
        }
    }

    @Test("--nsid: a query with an NSID option gets the identifier back (RFC 5001, dig +nsid); others and a server without one get none")
    func nameServerIdentifier() async throws {
        try await withServer(configure: { $0.nsid = "replica-7" }) { server in
            for transport in ["+notcp", "+tcp"] {
                let asked = try await digAsync(server.port, [transport, "+nsid", "kubernetes.default.svc.cluster.local"])
                #expect(asked.contains("NSID:") && asked.contains("(\"replica-7\")"), "\(asked)")
                #expect(digAnswers(asked) == ["kubernetes.default.svc.cluster.local. A 10.96.0.1"])
                let negative = try await digAsync(server.port, [transport, "+nsid", "nothing.default.svc.cluster.local"])
                #expect(digStatus(negative) == "NXDOMAIN" && negative.contains("(\"replica-7\")"), "\(negative)")
            }
            let plain = try await digAsync(server.port, ["kubernetes.default.svc.cluster.local"])
            #expect(!plain.contains("NSID"), "\(plain)")
        }
        try await withServer { server in
            let asked = try await digAsync(server.port, ["+nsid", "kubernetes.default.svc.cluster.local"])
            #expect(!asked.contains("NSID") && digStatus(asked) == "NOERROR", "\(asked)")
        }
    }

    @Test("Extended DNS Errors (RFC 8914) say why: a headless Service without ready endpoints, an endpoint not ready, a name outside our zones, a class not served, a transfer not allowed; none without EDNS")
    func extendedErrors() async throws {
        let dir = try writeTemporaryFiles(["db.yaml": TestManifests.documents(
            TestManifests.headlessService("db", namespace: "default", app: "db", port: "pg", number: 5432),
            TestManifests.pod("db-0", namespace: "default", app: "db", ip: "10.244.9.1", ready: false, hostname: "db-0", subdomain: "db"))])
        try await withServer(manifests: [repositoryRoot + "/examples", dir],
                             configure: { $0.transferAllow = [CIDR("192.0.2.0/24")!] }) { server in
            /// The EDE line dig prints, if any.
            func ede(_ args: [String]) async throws -> String? {
                try await digAsync(server.port, args).split(separator: "\n").first { $0.contains("; EDE:") }.map(String.init)
            }
            for _ in 0..<2 {                                         // the second from the answer cache
                let db = try await ede(["+nocookie", "db.default.svc.cluster.local"])
                #expect(db?.contains("service default/db has no ready endpoints (1 not ready)") == true, "\(String(describing: db))")
                let srv = try await ede(["+nocookie", "_pg._tcp.db.default.svc.cluster.local", "SRV"])
                #expect(srv?.contains("has no ready endpoints") == true, "\(String(describing: srv))")
                let web2 = try await ede(["+nocookie", "web-2.web.default.svc.cluster.local"])
                #expect(web2?.contains("endpoint web-2 of service default/web is not ready") == true, "\(String(describing: web2))")
            }
            // A name that does not exist needs no reason; a client without EDNS gets none.
            #expect(try await ede(["nothing.default.svc.cluster.local"]) == nil)
            #expect(try await ede(["web-9.web.default.svc.cluster.local"]) == nil)
            #expect(try await ede(["+noedns", "db.default.svc.cluster.local"]) == nil)
            #expect(try await ede(["example.org"])?.contains("EDE: 20") == true)
            #expect(try await ede(["-c", "CH", "version.bind", "TXT"])?.contains("EDE: 21") == true)
            // dig prints no reply to a refused AXFR: our client reads the option.
            let port = server.port
            let refused = try await offPool { try DNSClient(port: port).exchange(.query("cluster.local.", .axfr), tcp: true) }
            #expect(refused.rcode == .refused)
            let option = refused.edns?.options.first { $0.code == EDNSOption.extendedErrorCode }
            #expect(option.map { Array($0.data.prefix(2)) } == [0, 18], "\(String(describing: refused.edns))")
        }
    }

    @Test("--endpoint-pod-names: an endpoint without a hostname is named by its pod (A, SRV target, PTR), a hostname still wins, a pod name that is not a DNS label keeps the dashed IP")
    func endpointPodNames() async throws {
        // A valid pod name (a DNS subdomain) that is not a DNS label: a dot, 71 characters.
        let long = String(repeating: "p", count: 40) + "." + String(repeating: "q", count: 30)
        let dir = try writeTemporaryFiles(["long.yaml": TestManifests.pod(long, namespace: "shop", app: "worker", ip: "10.244.2.22")])
        try await withServer(manifests: [repositoryRoot + "/examples", dir], configure: { $0.endpointNaming = .podName }) { server in
            #expect(try await digShort(server.port, "worker-a.workers.shop.svc.cluster.local") == ["10.244.2.20"])
            #expect(digStatus(try await digAsync(server.port, ["10-244-2-20.workers.shop.svc.cluster.local"])) == "NXDOMAIN")
            #expect(try await digShort(server.port, "-x", "10.244.2.20").contains("worker-a.workers.shop.svc.cluster.local."))
            let srv = try await digShort(server.port, "workers.shop.svc.cluster.local", "SRV")
            #expect(srv.contains { $0.hasSuffix("worker-a.workers.shop.svc.cluster.local.") }, "\(srv)")
            #expect(try await digShort(server.port, "10-244-2-22.workers.shop.svc.cluster.local") == ["10.244.2.22"])
            #expect(try await digShort(server.port, "web-0.web.default.svc.cluster.local") == ["10.244.1.10"])
        }
        try await withServer { server async throws in
            #expect(try await digShort(server.port, "10-244-2-20.workers.shop.svc.cluster.local") == ["10.244.2.20"])
            #expect(digStatus(try await digAsync(server.port, ["worker-a.workers.shop.svc.cluster.local"])) == "NXDOMAIN")
        }
    }

    @Test("--ignore-empty-services: a ClusterIP Service without ready endpoints is NXDOMAIN (with its reason) until one turns ready; the reply cached before is not served after")
    func ignoreEmptyServices() async throws {
        try await withServer(configure: { $0.ignoreEmptyServices = true }) { server in
            // `kubernetes` has no endpoints in the demo cluster; `api` has two ready pods.
            for _ in 0..<2 {
                let out = try await digAsync(server.port, ["+nocookie", "kubernetes.default.svc.cluster.local"])
                #expect(digStatus(out) == "NXDOMAIN")
                #expect(out.contains("service default/kubernetes has no ready endpoints"), "\(out)")
            }
            #expect(digStatus(try await digAsync(server.port, ["+nocookie", "_https._tcp.kubernetes.default.svc.cluster.local", "SRV"])) == "NXDOMAIN")
            #expect(try await digShort(server.port, "api.shop.svc.cluster.local") == ["10.96.0.10"])
            let endpoints = try ManifestDecoder.decode("""
                apiVersion: v1
                kind: Endpoints
                metadata: {name: kubernetes, namespace: default}
                subsets: [{addresses: [{ip: 192.168.0.10}], ports: [{name: https, port: 6443}]}]
                """, source: "test").objects
            server.store.apply(endpoints.map { .upsert($0) })
            #expect(try await digShort(server.port, "+nocookie", "kubernetes.default.svc.cluster.local") == ["10.96.0.1"])
        }
        try await withServer { server async throws in
            #expect(try await digShort(server.port, "kubernetes.default.svc.cluster.local") == ["10.96.0.1"])
        }
    }

    @Test("our own client, several queries pipelined on one TCP connection")
    func ownClient() async throws {
        try await withServer { server in
            let client = DNSClient(port: server.port)
            let reply = try await offPool { try client.exchange(.query("web-0.web.default.svc.cluster.local.", .a, id: 42)) }
            #expect(reply.id == 42)
            #expect(reply.authoritative)
            #expect(reply.answers.map(\.data) == [.a(IPv4Address(10, 244, 1, 10))])
            let tcp = try await offPool { try client.exchange(.query("kubernetes.default.svc.cluster.local.", .a, id: 7), tcp: true) }
            #expect(tcp.answers.map(\.data) == [.a(IPv4Address(10, 96, 0, 1))])
            #expect(tcp.edns?.udpPayloadSize == 1232)
        }
    }

    @Test("a static zone's delegation is answered with a referral (RFC 1034 §4.3.2 step 3b); a wildcard answers below its parent; outside owners are warned about")
    func delegation() async throws {
        let dir = try writeTemporaryFiles(["deleg.test.zone": """
            $ORIGIN deleg.test.
            @        300 IN SOA ns1 hostmaster 1 7200 1800 86400 60
            @        300 IN NS  ns1
            ns1      300 IN A   192.0.2.1
            www      300 IN A   192.0.2.2
            sub      300 IN NS  ns.sub
            ns.sub   300 IN A   192.0.2.53
            *.wild   300 IN A   192.0.2.9
            elsewhere.example.org. 300 IN A 192.0.2.7

            """])
        try await withServer(zones: dir) { server async throws in
            for name in ["x.sub.deleg.test", "sub.deleg.test", "ns.sub.deleg.test"] {
                let out = try await digAsync(server.port, ["+norec", name, "A"])
                #expect(digStatus(out) == "NOERROR", "\(name)")
                #expect(!digFlags(out).contains("aa"), "a referral is not authoritative: \(name)")
                #expect(digAnswers(out).isEmpty, "\(name)")
                let flat = out.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                #expect(flat.contains("AUTHORITY: 1") && flat.contains("sub.deleg.test. 300 IN NS ns.sub.deleg.test."), "\(name)")
                #expect(flat.contains("ns.sub.deleg.test. 300 IN A 192.0.2.53"), "glue: \(name)")
            }
            let www = try await digAsync(server.port, ["www.deleg.test"])
            #expect(digFlags(www).contains("aa") && digAnswers(www) == ["www.deleg.test. A 192.0.2.2"])
            // The wildcard answers for names below `wild` that do not exist (RFC 4592), not for `wild` itself.
            #expect(try await digShort(server.port, "a.wild.deleg.test") == ["192.0.2.9"])
            #expect(try await digShort(server.port, "*.wild.deleg.test") == ["192.0.2.9"])
            #expect(digStatus(try await digAsync(server.port, ["wild.deleg.test"])) == "NOERROR")
            #expect(try await digShort(server.port, "wild.deleg.test").isEmpty)
            #expect(server.authority.staticZones.values.flatMap(\.warnings) == [
                "elsewhere.example.org. A is outside the zone deleg.test.: not served"])
        }
    }

    @Test("a zone file that does not load is left out, named, and the rest is served: syntax error, no SOA, another class, CNAME beside data, a second file for one zone")
    func brokenZoneFilesAreLeftOut() async throws {
        let soa = "@ 300 IN SOA ns1 hostmaster 1 7200 1800 86400 60\n@ 300 IN NS ns1\nns1 300 IN A 192.0.2.1\n"
        let dir = try writeTemporaryFiles([
            "good.test.zone": "$ORIGIN good.test.\n" + soa + "www 300 IN A 192.0.2.2\n",
            "badline.test.zone": "$ORIGIN badline.test.\n" + soa + "bad 300 IN A 192.0.2.999\n",
            "nosoa.test.zone": "$ORIGIN nosoa.test.\nwww 300 IN A 192.0.2.3\n",
            "ch.test.zone": "$ORIGIN ch.test.\n" + soa + "txt 300 CH TXT \"chaos\"\n",
            "cname.test.zone": "$ORIGIN cname.test.\n" + soa + "x 300 IN CNAME ns1\nx 300 IN A 192.0.2.4\n",
            "zz-again.zone": "$ORIGIN good.test.\n" + soa + "www 300 IN A 192.0.2.99\n",
        ])
        let (zones, failures) = ZoneLoader.loadEach(directory: dir)
        #expect(zones.map(\.origin) == ["good.test."])
        let reasons = Dictionary(uniqueKeysWithValues: failures.map { (($0.file as NSString).lastPathComponent, $0.reason) })
        #expect(reasons["badline.test.zone"]?.contains("line 5") == true, "\(reasons)")
        #expect(reasons["nosoa.test.zone"]?.contains("no SOA") == true, "\(reasons)")
        #expect(reasons["ch.test.zone"]?.contains("not of class IN") == true, "\(reasons)")
        #expect(reasons["cname.test.zone"]?.contains("CNAME and other data") == true, "\(reasons)")
        #expect(reasons["zz-again.zone"]?.contains("already loaded from") == true, "\(reasons)")
        #expect(throws: ZoneLoader.Failure.self) { try ZoneLoader.load(directory: dir) }
        // The server starts, serves the good zone and the cluster, and leaves the others out.
        try await withServer(zones: dir) { server async throws in
            #expect(try await digShort(server.port, "www.good.test") == ["192.0.2.2"])
            #expect(try await digShort(server.port, "web-0.web.default.svc.cluster.local") == ["10.244.1.10"])
            #expect(digStatus(try await digAsync(server.port, ["www.nosoa.test"])) == "REFUSED")
        }
    }

    @Test("DS at the apex of a child zone we also serve is answered by the parent zone (RFC 4035 §3.1.4.1); other types by the child")
    func dsFromTheParentSide() async throws {
        let dir = try writeTemporaryFiles([
            "parent.test.zone": """
                $ORIGIN parent.test.
                @      300 IN SOA ns1 hostmaster 1 7200 1800 86400 60
                @      300 IN NS  ns1
                ns1    300 IN A   192.0.2.1
                child  300 IN NS  ns.child
                child  300 IN DS  12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
                ns.child 300 IN A 192.0.2.53

                """,
            "child.parent.test.zone": """
                $ORIGIN child.parent.test.
                @      300 IN SOA ns hostmaster 1 7200 1800 86400 60
                @      300 IN NS  ns
                ns     300 IN A   192.0.2.53
                www    300 IN A   192.0.2.80

                """])
        try await withServer(zones: dir) { server async throws in
            let ds = try await digAsync(server.port, ["+norec", "child.parent.test", "DS"])
            #expect(digStatus(ds) == "NOERROR" && digFlags(ds).contains("aa"))
            #expect(digAnswers(ds).count == 1 && digAnswers(ds).first?.contains(" DS 12345 13 2 ") == true, "\(ds)")
            let soa = try await digAsync(server.port, ["+norec", "child.parent.test", "SOA"])
            #expect(digAnswers(soa).first?.hasPrefix("child.parent.test. SOA") == true, "\(soa)")
            #expect(try await digShort(server.port, "www.child.parent.test") == ["192.0.2.80"])
        }
    }
}
