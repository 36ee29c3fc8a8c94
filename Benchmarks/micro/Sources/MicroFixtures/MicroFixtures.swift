import ClusterDNS
import ClusterModel
import DNSModel
import DNSWire
import Foundation

/// The clusters, queries and manifests the microbenchmarks share. Everything is built in memory.
public enum MicroFixtures {
    /// Namespaces the answer cluster spreads its services over.
    public static let namespaceCount = 10

    /// The answer cluster: 1,000 ClusterIP services (`svc-N`, cluster IP 10.96.N/256.N%256, port
    /// `http` 80) and 100 headless services (`hdl-N`) with 20 ready pods each (`hdl-N-K`,
    /// hostname `hdl-N-K`, subdomain `hdl-N`, IP 10.244.N.K+1, container port `http` 8080), spread
    /// over `ns-0` … `ns-9`.
    public static func answerClusterObjects() -> [KubeObject] {
        var objects: [KubeObject] = []
        for i in 0..<1_000 {
            objects.append(.service(KubeService(
                name: "svc-\(i)", namespace: "ns-\(i % namespaceCount)",
                clusterIP: "10.96.\(i / 256).\(i % 256)",
                ports: [.init(name: "http", port: 80, targetPort: .int(8080))],
                selector: ["app": "svc-\(i)"])))
        }
        for h in 0..<100 {
            let ns = "ns-\(h % namespaceCount)"
            objects.append(.service(KubeService(
                name: "hdl-\(h)", namespace: ns, clusterIP: "None",
                ports: [.init(name: "http", port: 80, targetPort: .string("http"))],
                selector: ["app": "hdl-\(h)"])))
            for k in 0..<20 {
                objects.append(.pod(KubePod(
                    name: "hdl-\(h)-\(k)", namespace: ns, labels: ["app": "hdl-\(h)"],
                    hostname: "hdl-\(h)-\(k)", subdomain: "hdl-\(h)",
                    ports: [.init(name: "http", containerPort: 8080)],
                    podIPs: [.v4(IPv4Address(10, 244, UInt8(h), UInt8(k + 1)))], ready: true)))
            }
        }
        return objects
    }

    /// The answer cluster in a store, and the authority that answers from it.
    public struct AnswerCluster: Sendable {
        public let store: ClusterStore
        public let snapshot: ClusterSnapshot
        public let authority: Authority

        public init() {
            store = ClusterStore()
            snapshot = store.replace(source: "bench", with: MicroFixtures.answerClusterObjects())
            authority = Authority(cluster: ClusterZone(apex: "cluster.local.", ttl: 5))
        }

        /// Answers `question` as the server does after parsing: find the zone, answer in it.
        @inline(never)
        public func answer(_ question: Question) -> Answer {
            let zone = authority.zone(for: question.name, in: snapshot, ownsAllReverse: true)
            return authority.answer(question, zone: zone, in: snapshot)
        }
    }

    /// The questions of the answer benchmarks, by name, with the rcode and answer count each must get.
    public static let questions: [(name: String, question: Question, rcode: ResponseCode, answers: Int)] = [
        ("ClusterIP A", Question(name: "svc-123.ns-3.svc.cluster.local.", type: .a), .noError, 1),
        ("headless A", Question(name: "hdl-42.ns-2.svc.cluster.local.", type: .a), .noError, 20),
        ("headless SRV", Question(name: "_http._tcp.hdl-42.ns-2.svc.cluster.local.", type: .srv), .noError, 20),
        ("per-pod A (hostname.subdomain)", Question(name: "hdl-42-7.hdl-42.ns-2.svc.cluster.local.", type: .a), .noError, 1),
        ("PTR of a pod IP", Question(name: "8.7.244.10.in-addr.arpa.", type: .ptr), .noError, 1),
        ("NXDOMAIN", Question(name: "no-such-svc.ns-2.svc.cluster.local.", type: .a), .nxDomain, 0),
    ]

    /// A query as a stub resolver sends it: RD set, EDNS with a 1232-octet UDP size.
    public static func queryWire(_ question: Question, id: UInt16 = 0x1234) -> [UInt8] {
        var m = Message(id: id, recursionDesired: true, questions: [question])
        m.edns = EDNS(udpPayloadSize: 1232)
        return m.wire()
    }

    /// The store cluster: `services` ClusterIP services over 100 namespaces, each selecting
    /// `podsPerService` ready pods (`p-S-K`, labels `app=aS`, `tier=tK`).
    public static func storeClusterChanges(services: Int = 10_000, podsPerService: Int = 10) -> [ClusterChange] {
        var batch: [ClusterChange] = []
        batch.reserveCapacity(services * (podsPerService + 1))
        for s in 0..<services {
            let ns = "ns-\(s % 100)"
            batch.append(.upsert(.service(KubeService(
                name: "svc-\(s)", namespace: ns, clusterIP: "10.96.\(s / 250 % 256).\(s % 250)",
                ports: [.init(name: "http", port: 80)], selector: ["app": "a\(s)"]))))
            for k in 0..<podsPerService {
                batch.append(.upsert(.pod(storePod(service: s, index: k, ready: true))))
            }
        }
        return batch
    }

    /// Pod `index` of service `s` in the store cluster.
    public static func storePod(service s: Int, index k: Int, ready: Bool) -> KubePod {
        let n = s * 16 + k
        return KubePod(name: "p-\(s)-\(k)", namespace: "ns-\(s % 100)", labels: ["app": "a\(s)", "tier": "t\(k)"],
                       ports: [.init(name: "http", containerPort: 80)],
                       podIPs: [.v4(IPv4Address(10, UInt8(n >> 16 & 255), UInt8(n >> 8 & 255), UInt8(n & 255)))],
                       ready: ready)
    }

    /// A multi-document YAML stream of `count` Services (half ClusterIP, half headless, named ports).
    public static func servicesYAML(count: Int = 100) -> String {
        var out = ""
        for i in 0..<count {
            let clusterIP = i % 2 == 0 ? "10.96.\(i / 256).\(i % 256)" : "None"
            out += """
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: svc-\(i)
              namespace: ns-\(i % 10)
              labels: {app: svc-\(i), team: bench}
            spec:
              type: ClusterIP
              clusterIP: \(clusterIP)
              selector:
                app: svc-\(i)
              ports:
                - name: http
                  protocol: TCP
                  port: 80
                  targetPort: http
                - name: metrics
                  protocol: TCP
                  port: 9090
                  targetPort: 9090

            """
        }
        return out
    }

    /// A JSON `List` of `count` ready Pods, shaped like `kubectl get pods -o json` (trimmed).
    public static func podsJSON(count: Int = 100) -> Data {
        var items: [String] = []
        for i in 0..<count {
            items.append(#"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-\#(i)","namespace":"ns-\#(i % 10)","labels":{"app":"svc-\#(i / 20)","pod-template-hash":"5d8f7c9b4"},"uid":"00000000-0000-0000-0000-\#(String(format: "%012d", i))"},"spec":{"hostname":"web-\#(i)","subdomain":"svc-\#(i / 20)","containers":[{"name":"main","image":"example/web:1.0","ports":[{"name":"http","containerPort":8080,"protocol":"TCP"},{"name":"metrics","containerPort":9090,"protocol":"TCP"}]}]},"status":{"phase":"Running","podIP":"10.244.\#(i / 256).\#(i % 256)","podIPs":[{"ip":"10.244.\#(i / 256).\#(i % 256)"}],"conditions":[{"type":"Initialized","status":"True"},{"type":"Ready","status":"True"},{"type":"ContainersReady","status":"True"}]}}
            """#)
        }
        let list = #"{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":["#
            + items.joined(separator: ",") + "]}"
        return Data(list.utf8)
    }
}
