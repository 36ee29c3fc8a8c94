import Foundation
import TestSupport
import Testing
import DNSModel
import DNSServer
import ClusterDNSRuntime

/// The records of a `dig axfr` output as normalised `name ttl class type rdata` lines.
func axfrRecords(_ output: String) -> [String] {
    output.split(separator: "\n").filter { !$0.hasPrefix(";") && !$0.isEmpty }
        .map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") }
}

/// The `clusterdns` executable beside the test bundle, when built.
let clusterdnsExecutable: String? = {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [dir, dir.deletingLastPathComponent()] {
        let path = candidate.appendingPathComponent("clusterdns").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}()

@Suite("Zone transfers (AXFR)", .serialized)
struct TransferTests {
    @Test("a dual-stack [::] listener: an IPv4 client (seen as ::ffff:127.0.0.1) is the IPv4 client it is, so 127.0.0.0/8 may transfer")
    func mappedIPv4Client() async throws {
        #expect(DNSRequest(bytes: [], transport: .tcp, clientAddress: "::ffff:10.1.2.3", clientPort: 1).clientAddress == "10.1.2.3")
        #expect(DNSRequest(bytes: [], transport: .tcp, clientAddress: "::FFFF:10.1.2.3", clientPort: 1).clientAddress == "10.1.2.3")
        #expect(DNSRequest(bytes: [], transport: .tcp, clientAddress: "::ffff:a01:203", clientPort: 1).clientAddress == "::ffff:a01:203")
        #expect(DNSRequest(bytes: [], transport: .tcp, clientAddress: "fd00::1", clientPort: 1).clientAddress == "fd00::1")
        try await withServer(configure: { $0.listen = [("::", 0)] }) { server async throws in
            let records = axfrRecords(try await digAsync(server.port, ["axfr", "cluster.local"]))
            #expect(records.count > 10, "transfer refused to 127.0.0.1 through [::]")
        }
    }

    @Test("dig axfr cluster.local: SOA first and last, every record of `clusterdns zone` (both with zones/)")
    func clusterZone() async throws {
        try await withServer { server async throws in
            let out = try await digAsync(server.port, ["axfr", "cluster.local"])
            let records = axfrRecords(out)
            #expect(records.count > 10)
            #expect(records.first?.split(separator: " ")[3] == "SOA")
            #expect(records.last?.split(separator: " ")[3] == "SOA")
            #expect(records.first == records.last)
            #expect(records.contains("web-0.web.default.svc.cluster.local. 5 IN A 10.244.1.10"))
            let exe = try #require(clusterdnsExecutable, "clusterdns executable not found beside the tests")
            let zone = try await run(exe, ["zone", "--manifests", repositoryRoot + "/examples", "--zones", repositoryRoot + "/zones"])
            #expect(zone.status == 0)
            let expected = axfrRecords(zone.stdout.split(separator: "\n").filter { !$0.hasPrefix("$") }.joined(separator: "\n"))
            // The SOA serial follows the store generation: compare everything else exactly.
            func body(_ rs: [String]) -> [String] { rs.filter { $0.split(separator: " ")[3] != "SOA" }.sorted() }
            #expect(body(records) == body(expected))
            #expect(!body(expected).isEmpty)
        }
    }

    @Test("AXFR of a static zone")
    func staticZone() async throws {
        try await withServer { server async throws in
            let records = axfrRecords(try await digAsync(server.port, ["axfr", "example.test"]))
            #expect(records.first?.hasPrefix("example.test. 300 IN SOA") == true)
            #expect(records.last == records.first)
            #expect(records.contains("www.example.test. 300 IN A 192.0.2.10"))
            #expect(records.contains("mail.example.test. 300 IN MX 10 mx.example.test."))
            #expect(records.contains("alias.example.test. 300 IN CNAME www.example.test."))
        }
    }

    @Test("AXFR refused over UDP and to clients outside --transfer-allow")
    func refused() async throws {
        try await withServer { server async throws in
            let client = DNSClient(port: server.port, timeoutMilliseconds: 3000)
            let udp = try await offPool { try client.exchange(.query("cluster.local.", .axfr, id: 5), retryTCP: false) }
            #expect(udp.rcode == .refused)
            #expect(udp.answers.isEmpty)
        }
        try await withServer(configure: { $0.transferAllow = [CIDR("10.0.0.0/8")!] }) { server async throws in
            let client = DNSClient(port: server.port, timeoutMilliseconds: 3000)
            let tcp = try await offPool { try client.exchange(.query("cluster.local.", .axfr, id: 6), tcp: true) }
            #expect(tcp.rcode == .refused)
            #expect(tcp.answers.isEmpty)
            let out = try await digAsync(server.port, ["axfr", "example.test"])
            #expect(axfrRecords(out).isEmpty)
            #expect(out.contains("Transfer failed"))
            // IXFR over UDP: the SOA alone (public, as a SOA query), whatever --transfer-allow says.
            let ixfr = try await offPool { try client.exchange(.query("cluster.local.", .ixfr, id: 7), retryTCP: false) }
            #expect(ixfr.rcode == .noError && ixfr.answers.map(\.type) == [.soa])
        }
    }

    @Test("IXFR (RFC 1995): our SOA alone to a client already current, else a full transfer; over UDP our SOA alone")
    func ixfr() async throws {
        try await withServer(zones: nil) { server async throws in
            let soa = try await digShort(server.port, "cluster.local", "SOA")
            let serial = try #require(soa.first.flatMap { UInt32($0.split(separator: " ")[2]) })
            for client in [serial, serial &+ 5] {
                let records = axfrRecords(try await digAsync(server.port, ["+tcp", "ixfr=\(client)", "cluster.local"]))
                #expect(records.count == 1, "ixfr=\(client)")
                #expect(records.first?.split(separator: " ")[3] == "SOA")
            }
            // Over UDP: our SOA alone, current client or not (RFC 1995 §2).
            for client in [serial, serial &- 1] {
                let udp = DNSClient(port: server.port, timeoutMilliseconds: 3000)
                var query = Message.query("cluster.local.", .ixfr, id: 6)
                query.authority = [try ResourceRecord(presentation: "cluster.local. 0 IN SOA a. b. \(client) 0 0 0 0")]
                let ixfr = query
                let reply = try await offPool { try udp.exchange(ixfr, retryTCP: false) }
                #expect(reply.rcode == .noError && reply.authoritative && !reply.truncated)
                #expect(reply.answers.map(\.type) == [.soa])
                if case .soa(let data)? = reply.answers.first?.data { #expect(data.serial == serial) }
            }
            let full = axfrRecords(try await digAsync(server.port, ["+tcp", "ixfr=\(serial &- 1)", "cluster.local"]))
            #expect(full.count > 10)
            #expect(full.first == full.last)
            #expect(full.contains("web-0.web.default.svc.cluster.local. 5 IN A 10.244.1.10"))
        }
    }

    @Test("the SOA serial starts from the time the server started: a restart does not move it back (RFC 1982)")
    func serialAcrossRestarts() async throws {
        let started = UInt32(Date().timeIntervalSince1970)
        func serial(_ port: Int) async throws -> UInt32 {
            let soa = try await digShort(port, "cluster.local", "SOA")
            return try #require(soa.first.flatMap { UInt32($0.split(separator: " ")[2]) })
        }
        let first = try await withServer { server async throws in try await serial(server.port) }
        let second = try await withServer { server async throws in try await serial(server.port) }
        #expect(first >= started)                    // the zone file's serial is 1
        #expect(second >= first)
    }

    @Test("a large zone comes in several messages")
    func largeZone() async throws {
        var yaml = ""
        for i in 0..<3000 {
            yaml += """
            apiVersion: v1
            kind: Service
            metadata:
              name: svc-\(i)
              namespace: bulk
            spec:
              clusterIP: 10.100.\(i / 250).\(i % 250 + 1)
              ports:
              - name: http
                port: 80
                protocol: TCP
            ---

            """
        }
        let dir = try writeTemporaryFiles(["bulk.yaml": yaml])
        try await withServer(manifests: [dir], zones: nil) { server async throws in
            let out = try await digAsync(server.port, ["+time=10", "axfr", "cluster.local"])
            let records = axfrRecords(out)
            #expect(records.contains("svc-2999.bulk.svc.cluster.local. 5 IN A 10.100.11.250"))
            #expect(records.filter { $0.hasSuffix("IN SOA") || $0.contains(" IN SOA ") }.count == 2)
            #expect(records.count > 3000 * 3)
            // ";; XFR size: N records (messages M, bytes B)"
            let messages = out.range(of: "(messages ").flatMap { r in Int(out[r.upperBound...].prefix { $0.isNumber }) }
            #expect((messages ?? 0) > 1, "\(out.suffix(200))")
        }
    }
}
