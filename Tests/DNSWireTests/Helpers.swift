import DNSModel
@testable import DNSWire

/// A 12-octet header with the given counts.
func header(id: UInt16 = 0x1234, flags: UInt16 = 0, qd: UInt16 = 0, an: UInt16 = 0,
            ns: UInt16 = 0, ar: UInt16 = 0) -> [UInt8] {
    [id, flags, qd, an, ns, ar].flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
}

/// Big-endian 16 bits.
func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }

/// The counts ldns prints on its `;; flags:` line: QUERY, ANSWER, AUTHORITY, ADDITIONAL.
func ldnsCounts(_ text: String) -> [Int]? {
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(";; flags:") }) else { return nil }
    // ";; flags: qr aa ; QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 0 "
    guard let counts = line.split(separator: ";").last else { return nil }
    var found: [String: Int] = [:]
    for part in counts.split(separator: ",") {
        let kv = part.split(separator: ":")
        guard kv.count == 2, let n = Int(kv[1].filter { $0 != " " }) else { return nil }
        found[String(kv[0].filter { $0 != " " })] = n
    }
    let keys = ["QUERY", "ANSWER", "AUTHORITY", "ADDITIONAL"]
    guard keys.allSatisfy({ found[$0] != nil }) else { return nil }
    return keys.map { found[$0]! }
}

/// Throws when `bytes` decode, so `#expect(throws:)` can check a reject.
func decode(_ bytes: [UInt8]) throws(WireError) -> Message { try Message(wire: bytes) }

var sampleSOA: SOAData { SOAData(mname: "ns.dns.cluster.local", rname: "hostmaster.cluster.local",
                        serial: 2024010101, refresh: 7200, retry: 1800, expire: 86400, minimum: 30) }

/// One record of every modelled type, plus an unknown one.
var sampleRecords: [ResourceRecord] { [
    ResourceRecord(name: "web.default.svc.cluster.local", ttl: 30, data: .a(IPv4Address(10, 96, 0, 10))),
    ResourceRecord(name: "web.default.svc.cluster.local", ttl: 30, data: .aaaa(IPv6Address("fd00::a")!)),
    ResourceRecord(name: "_http._tcp.web.default.svc.cluster.local", ttl: 30,
                   data: .srv(SRVData(priority: 0, weight: 100, port: 80, target: "web.default.svc.cluster.local"))),
    ResourceRecord(name: "10.0.96.10.in-addr.arpa", ttl: 30, data: .ptr("web.default.svc.cluster.local")),
    ResourceRecord(name: "alias.default.svc.cluster.local", ttl: 30, data: .cname("web.default.svc.cluster.local")),
    ResourceRecord(name: "dns-version.cluster.local", ttl: 30, data: .txt("v1", "hello world")),
    ResourceRecord(name: "cluster.local", ttl: 30, data: .soa(sampleSOA)),
    ResourceRecord(name: "cluster.local", ttl: 30, data: .mx(preference: 10, exchange: "mail.cluster.local")),
    ResourceRecord(name: "cluster.local", ttl: 30, data: .ns("ns.dns.cluster.local")),
    ResourceRecord(name: "x.cluster.local", ttl: 30, data: .unknown(type: RecordType(rawValue: 65280), data: [1, 2, 3])),
] }
