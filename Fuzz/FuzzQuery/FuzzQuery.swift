// libFuzzer target: bytes → front door → answer → encode → re-parse.
// The reply, when there is one, must parse (with our decoder and with ldns), be a response,
// carry the query's ID, and echo the question when the query had exactly one.
import DNSModel
import DNSWire
import ClusterModel
import ClusterDNS

let fixture = """
apiVersion: v1
kind: Service
metadata: {name: svc1, namespace: testns}
spec: {clusterIP: 10.0.0.1, clusterIPs: [10.0.0.1, "fd00::1"], ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: hdls, namespace: testns}
spec: {clusterIP: None, selector: {app: web}, ports: [{name: http, port: 80, targetPort: web}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: testns, labels: {app: web}}
spec: {hostname: web-0, subdomain: hdls, containers: [{name: c, image: i, ports: [{name: web, containerPort: 8080}]}]}
status: {podIP: 10.1.0.10, conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: testns}
spec: {type: ExternalName, externalName: www.example.test}
"""

nonisolated(unsafe) let snapshot: ClusterSnapshot = {
    let store = ClusterStore()
    let objects = (try? ManifestDecoder.decode(fixture, source: "fuzz"))?.objects ?? []
    return store.replace(source: "fuzz", with: objects)
}()
nonisolated(unsafe) let authority: Authority = {
    let zone = StaticZone(origin: "example.test.", records: [
        ResourceRecord(name: "example.test.", ttl: 60, data: .soa(SOAData(mname: "ns.example.test.", rname: "h.example.test.",
                                                                       serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1))),
        ResourceRecord(name: "www.example.test.", ttl: 60, data: .a(IPv4Address(192, 0, 2, 1))),
    ])
    return Authority(cluster: ClusterZone(), staticZones: [zone])
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzQuery(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for tcp in [false, true] {
        let context = QueryContext(isTCP: tcp, transferAllowed: tcp, canForward: false, synced: true)
        var replies: [[UInt8]] = []
        switch authority.process(bytes, context: context, snapshot: snapshot) {
        case .drop, .forward: continue
        case .reply(let r): replies = [r]
        case .transfer(let rs): replies = rs
        }
        for reply in replies {
            precondition(tcp || reply.count <= 1232, "UDP reply over 1232 bytes")
            guard let parsed = try? Message(wire: reply) else { preconditionFailure("reply does not parse") }
            precondition(LDNSCheck.parseWithLDNS(reply) != nil, "ldns rejects our reply")
            precondition(parsed.isResponse, "reply without QR")
            precondition(Array(reply.prefix(2)) == Array(bytes.prefix(2)), "reply ID differs")
            if let query = try? Message(wire: bytes), query.questions.count == 1, parsed.rcode != .formErr,
               parsed.rcode != .notImp, reply == replies.first {
                precondition(parsed.questions.first?.name.wire == query.questions.first?.name.wire, "question not echoed")
            }
        }
    }
    return 0
}

#if !FUZZING
import FuzzSupport
/// Without libFuzzer: replays corpus files or directories given as arguments.
@main struct Replay {
    static func main() throws { try replayCorpus(Array(CommandLine.arguments.dropFirst()), into: fuzzQuery) }
}
#endif
