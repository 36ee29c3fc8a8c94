import Foundation
import TestSupport
import Synchronization
import Testing
import DNSModel
import ClusterDNSRuntime

@Suite("Read-your-writes and churn")
struct ChurnTests {
    @Test("200 random writes: a query sent right after each response sees it (UDP and TCP, no sleep)")
    func readYourWrites() async throws {
        try await withAdminServer { server, admin async throws in
            var rng = SystemRandomNumberGenerator()
            var ips: [String: String] = [:]   // service -> cluster IP
            for i in 0..<200 {
                let name = "s\(Int.random(in: 0..<10, using: &rng))"
                let path = "/api/v1/namespaces/rw/services/\(name)"
                if ips[name] != nil, Int.random(in: 0..<4, using: &rng) == 0 {
                    #expect(try await admin.delete(path).status == 200)
                    ips[name] = nil
                } else {
                    let ip = "10.96.\(i / 250).\(i % 250 + 1)"
                    let r = try await admin.put(path, serviceYAML(name, ns: "rw", clusterIP: ip))
                    #expect(r.status == (ips[name] == nil ? 201 : 200))
                    ips[name] = ip
                }
                let expected = ips[name].map { Answer(rcode: 0, addresses: [$0]) } ?? Answer(rcode: 3, addresses: [])
                let tcp = i % 2 == 1
                let got = try query(server.port, "\(name).rw.svc.cluster.local", tcp: tcp, id: UInt16(i))
                #expect(got == expected, "write \(i): \(name) over \(tcp ? "TCP" : "UDP")")
            }
        }
    }

    /// An independent model of the endpoints controller, only as much as DNS shows: a headless
    /// service's A records are the IPs of the existing, Ready pods with an IP whose labels match
    /// its selector (none: NXDOMAIN); a ClusterIP/NodePort/LoadBalancer service answers its cluster IP.
    struct Model: Sendable {
        struct Pod: Sendable { var app: String; var ready: Bool; var ip: String }
        struct Service: Sendable { var headless: Bool; var clusterIP: String; var type: String; var app: String }
        var pods: [String: Pod] = [:]
        var services: [String: Service] = [:]

        func expected(_ service: String) -> Answer {
            guard let s = services[service] else { return Answer(rcode: 3, addresses: []) }
            if !s.headless { return Answer(rcode: 0, addresses: [s.clusterIP]) }
            let ips = pods.values.filter { $0.app == s.app && $0.ready }.map(\.ip).sorted()
            return ips.isEmpty ? Answer(rcode: 3, addresses: []) : Answer(rcode: 0, addresses: ips)
        }
    }

    /// Every model state published so far, and how many writes have returned.
    final class History: Sendable {
        struct State: Sendable { var started: Int; var finished: Int; var answers: [[String: Answer]] }
        let state = Locked(State(started: 0, finished: 0, answers: []))
        let stop = Atomic<Bool>(false)
        let problems = Locked<[String]>([])
        let queries = Atomic<Int>(0)
    }

    @Test("2,000 random operations through the API while UDP queries run: answers match the model, no SERVFAIL, never torn")
    func churn() async throws {
        try await withAdminServer { server, admin async throws in
            let ns = "churn"
            let serviceNames = ["h0", "h1", "h2", "h3", "c0", "c1"]
            let podNames = (0..<30).map { "p\($0)" }
            let apps = ["a0", "a1", "a2", "a3"]
            var model = Model()
            var rng = SystemRandomNumberGenerator()
            var nextIP = 0
            func freshIP() -> String { nextIP += 1; return "10.2.\(nextIP / 250).\(nextIP % 250 + 1)" }
            func snapshot() -> [String: Answer] { Dictionary(uniqueKeysWithValues: serviceNames.map { ($0, model.expected($0)) }) }

            // Initial services, in one apply.
            var initial = ""
            for (i, name) in serviceNames.enumerated() {
                let headless = name.hasPrefix("h")
                let s = Model.Service(headless: headless, clusterIP: headless ? "None" : "10.97.0.\(i + 1)", type: "ClusterIP", app: apps[i % apps.count])
                model.services[name] = s
                initial += serviceYAML(name, ns: ns, clusterIP: s.clusterIP, type: s.type, selector: ["app": s.app]) + "---\n"
            }
            #expect(try await admin.apply(initial).status == 200)
            let history = History()
            history.state.withLock { $0.answers = [snapshot()]; $0.started = 0; $0.finished = 0 }

            // The querier: a dedicated thread asking UDP questions continuously. Each answer must
            // equal the model at some write between the last finished before sending and the last
            // started after the reply: anything else is stale or torn.
            let port = server.port
            let querier = Thread {
                var id: UInt16 = 0
                while !history.stop.load(ordering: .acquiring) {
                    let name = serviceNames[Int(id) % serviceNames.count]
                    id &+= 1
                    let low = history.state.withLock { $0.finished }
                    guard let got = try? query(port, "\(name).\(ns).svc.cluster.local", id: id) else {
                        history.problems.withLock { $0.append("query \(name) failed") }
                        continue
                    }
                    history.queries.add(1, ordering: .relaxed)
                    if got.rcode == 2 { history.problems.withLock { $0.append("SERVFAIL for \(name)") } }
                    let (high, candidates) = history.state.withLock { s in (s.started, s.answers[low...min(s.started, s.answers.count - 1)].map { $0[name]! }) }
                    if !candidates.contains(got) {
                        history.problems.withLock { $0.append("\(name): \(got) matches no state in writes \(low)...\(high): \(candidates)") }
                    }
                }
            }
            querier.start()

            let started = ContinuousClock.now
            for step in 1...2000 {
                // Pick and apply one operation to the model; build its request.
                var request: (method: String, path: String, body: String?)
                let existing = model.pods.keys.sorted()
                let op = Int.random(in: 0..<100, using: &rng)
                if op < 25 || existing.isEmpty {
                    let name = podNames.filter { model.pods[$0] == nil }.randomElement(using: &rng) ?? existing.randomElement(using: &rng)!
                    let pod = Model.Pod(app: apps.randomElement(using: &rng)!, ready: Bool.random(using: &rng), ip: freshIP())
                    model.pods[name] = pod
                    request = ("PUT", "/api/v1/namespaces/\(ns)/pods/\(name)", podYAML(name, ns: ns, ip: pod.ip, ready: pod.ready, labels: ["app": pod.app]))
                } else if op < 45 {
                    let name = existing.randomElement(using: &rng)!
                    model.pods[name]!.ready.toggle()
                    let pod = model.pods[name]!
                    request = ("PUT", "/api/v1/namespaces/\(ns)/pods/\(name)", podYAML(name, ns: ns, ip: pod.ip, ready: pod.ready, labels: ["app": pod.app]))
                } else if op < 60 {
                    let name = existing.randomElement(using: &rng)!
                    model.pods[name]!.ip = freshIP()
                    let pod = model.pods[name]!
                    request = ("PUT", "/api/v1/namespaces/\(ns)/pods/\(name)", podYAML(name, ns: ns, ip: pod.ip, ready: pod.ready, labels: ["app": pod.app]))
                } else if op < 80 {
                    let name = existing.randomElement(using: &rng)!
                    model.pods[name] = nil
                    request = ("DELETE", "/api/v1/namespaces/\(ns)/pods/\(name)", nil)
                } else if op < 90 {
                    let name = ["c0", "c1"].randomElement(using: &rng)!
                    let next = ["ClusterIP": "NodePort", "NodePort": "LoadBalancer", "LoadBalancer": "ClusterIP"]
                    model.services[name]!.type = next[model.services[name]!.type]!
                    let s = model.services[name]!
                    request = ("PUT", "/api/v1/namespaces/\(ns)/services/\(name)", serviceYAML(name, ns: ns, clusterIP: s.clusterIP, type: s.type, selector: ["app": s.app]))
                } else {
                    let name = serviceNames.randomElement(using: &rng)!
                    model.services[name]!.app = apps.randomElement(using: &rng)!
                    let s = model.services[name]!
                    request = ("PUT", "/api/v1/namespaces/\(ns)/services/\(name)", serviceYAML(name, ns: ns, clusterIP: s.clusterIP, type: s.type, selector: ["app": s.app]))
                }
                let expected = snapshot()
                history.state.withLock { $0.answers.append(expected); $0.started = step }
                let r = try await admin.request(request.method, request.path, request.body)
                #expect(r.status == 200 || r.status == 201, "step \(step): \(request.method) \(request.path): \(r.status) \(r.text)")
                history.state.withLock { $0.finished = step }
                // Read-your-writes: every service answers as the model says, right now.
                for name in serviceNames {
                    let got = try query(port, "\(name).\(ns).svc.cluster.local", id: UInt16(step % 60000))
                    #expect(got == expected[name]!, "step \(step) (\(request.method) \(request.path)): \(name)")
                    if got != expected[name]! { history.stop.store(true, ordering: .releasing); return }
                }
            }
            history.stop.store(true, ordering: .releasing)
            while !querier.isFinished { try await Task.sleep(for: .milliseconds(5)) }
            let elapsed = ContinuousClock.now - started
            let found = history.problems.withLock { $0 }
            #expect(found.isEmpty, "\(found.count) problems, first: \(found.prefix(5))")
            #expect(history.queries.load(ordering: .relaxed) > 1000)
            print("churn: 2000 writes in \(elapsed), \(history.queries.load(ordering: .relaxed)) concurrent queries, \(found.count) problems")
        }
    }
}
