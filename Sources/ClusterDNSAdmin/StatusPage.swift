import Foundation
import Synchronization
import Mustache
import DNSModel
import ClusterDNS
import ClusterModel

/// The last store generations the admin server saw, with what changed between them.
///
/// The store has no change feed, so the history is sampled: every admin request (and the status
/// page refreshes itself every 2 s while open) compares the published generation with the last
/// one seen and, when it moved, records the new generation, the time it was first seen and a
/// summary of the difference (object counts, and the services and pods added, changed or
/// removed). Generations published between two requests are folded into one entry.
public final class StoreHistory: Sendable {
    /// One observed generation.
    public struct Entry: Sendable, Equatable {
        /// The generation.
        public var generation: UInt64
        /// When the admin server first saw it.
        public var seen: Date
        /// What changed since the previous entry.
        public var summary: String
    }

    private struct State {
        var last: ClusterSnapshot?
        var entries: [Entry] = []
    }

    /// How many entries are kept.
    public let limit: Int
    private let state = Locked(State())

    /// Keeps the last `limit` generations.
    public init(limit: Int = 20) { self.limit = max(1, limit) }

    /// Records `snapshot` when its generation differs from the last one seen.
    public func observe(_ snapshot: ClusterSnapshot, at now: Date = Date()) {
        state.withLock { s in
            guard s.last?.generation != snapshot.generation else { return }
            let summary = s.last.map { Self.describe(from: $0, to: snapshot) } ?? Self.describeFirst(snapshot)
            s.entries.append(Entry(generation: snapshot.generation, seen: now, summary: summary))
            if s.entries.count > limit { s.entries.removeFirst(s.entries.count - limit) }
            s.last = snapshot
        }
    }

    /// The entries, newest first.
    public var entries: [Entry] { state.withLock { $0.entries.reversed() } }

    static func describeFirst(_ snapshot: ClusterSnapshot) -> String {
        "first seen: " + ObjectKind.allCases.map { "\(snapshot.objectCount(of: $0)) \($0.resource)" }.joined(separator: ", ")
    }

    /// Differences in counts, then the names of the services and pods that changed (at most 8).
    static func describe(from old: ClusterSnapshot, to new: ClusterSnapshot) -> String {
        var parts: [String] = []
        for kind in ObjectKind.allCases {
            let a = old.objectCount(of: kind), b = new.objectCount(of: kind)
            if a != b { parts.append("\(kind.resource) \(a)→\(b)") }
        }
        // Shards untouched between the two snapshots are skipped: O(shards + what changed).
        let services = diff(old.services, new.services, prefix: "service")
        let pods = diff(old.pods, new.pods, prefix: "pod")
        let names = services.names + pods.names, total = services.total + pods.total
        parts += names.prefix(8)
        if total > 8 { parts.append("and \(total - 8) more") }
        return parts.isEmpty ? "\(new.generation - min(new.generation, old.generation)) generation(s), no service or pod changed" : parts.joined(separator: ", ")
    }

    static func diff<V: Equatable>(_ old: ShardedDictionary<NamespacedName, V>, _ new: ShardedDictionary<NamespacedName, V>,
                                   prefix: String) -> (names: [String], total: Int) {
        var out: [(NamespacedName, String)] = []
        var total = 0
        new.forEachDifference(from: old) { key, before, after in
            total += 1
            guard out.count < 1_000 else { return }       // a relist can change everything: name a sample
            switch (before, after) {
            case (nil, _): out.append((key, "+\(prefix) \(key)"))
            case (_, nil): out.append((key, "−\(prefix) \(key)"))
            default: out.append((key, "~\(prefix) \(key)"))
            }
        }
        return (out.sorted { $0.0 < $1.0 }.map(\.1), total)
    }
}

// MARK: - The page

/// What the status page template renders (plain values; the template escapes all text).
struct StatusPageModel {
    struct Count { var kind: String; var count: Int }
    struct EndpointRow {
        var address: String
        var pod: String
        var dnsName: String
        var ready: Bool
        var reason: String
        // Mustache reads stored properties only (Mirror), and treats any String as true.
        var hasPod: Bool
        var hasDNSName: Bool
        init(address: String, pod: String, dnsName: String, ready: Bool, reason: String) {
            self.address = address; self.pod = pod; self.dnsName = dnsName; self.ready = ready; self.reason = reason
            hasPod = !pod.isEmpty; hasDNSName = !dnsName.isEmpty
        }
    }
    struct ServiceRow {
        var serviceName: String
        var dnsName: String
        var type: String
        var clusterIPs: String
        var ports: [String]
        var selector: String
        var hasSelector: Bool
        var source: String
        var readyCount: Int
        var endpointCount: Int
        var endpoints: [EndpointRow]
        var hasEndpoints: Bool
    }
    struct NamespaceRow {
        var namespace: String
        var hasObject: Bool
        var serviceCount: Int
        var podCount: Int
        var services: [ServiceRow]
        var hasServices: Bool
    }
    struct Change { var generation: UInt64; var seen: String; var summary: String }

    var domain: String
    var generation: UInt64
    var now: String
    var ready: Bool
    var waiting: String
    var refreshSeconds: Int
    var counts: [Count]
    var namespaceNames: [NamespaceRow]
    var namespaces: [NamespaceRow]
    var changes: [Change]
    var notes: [String]
}

extension AdminAPI {
    /// Seconds between the page's own refreshes.
    static let statusRefreshSeconds = 2
    /// Services shown at most (the rest are counted in a note).
    static let statusServiceLimit = 1000

    /// `GET /`: the HTML status page.
    func statusPage() -> AdminResponse {
        let model = Self.statusModel(snapshot: store.snapshot, authority: status.authority,
                                     waiting: waitingFor(), history: status.history.entries, now: Date())
        return AdminResponse(status: 200, contentType: "text/html; charset=utf-8",
                             headers: [("Cache-Control", "no-store")],
                             body: Array(StatusPageTemplate.template.render(model).utf8))
    }

    static func statusModel(snapshot: ClusterSnapshot, authority: Authority?, waiting: [String],
                            history: [StoreHistory.Entry], now: Date) -> StatusPageModel {
        let apex = authority?.cluster.apex.description ?? "cluster.local."
        let domain = apex.hasSuffix(".") ? String(apex.dropLast()) : apex
        var notes: [String] = []
        if authority == nil { notes.append("The zones are still loading; reasons for left-out pods appear once they are loaded.") }

        var podsByNamespace: [String: Int] = [:]
        for pod in snapshot.pods.values { podsByNamespace[pod.namespace, default: 0] += 1 }
        let entries = snapshot.services.values.sorted { $0.key < $1.key }
        var byNamespace: [String: [StatusPageModel.ServiceRow]] = [:]
        // `explain` visits every pod for selector-derived services: skip it on big clusters.
        let explainPods = authority != nil && snapshot.pods.count * max(1, entries.count) <= 2_000_000
        if authority != nil, !explainPods {
            notes.append("Large cluster: pods left out for label, IP or phase reasons are not listed; use GET /v1/explain?name=SERVICE-NAME.")
        }
        if entries.count > statusServiceLimit {
            notes.append("Showing the first \(statusServiceLimit) of \(entries.count) services.")
        }
        for entry in entries.prefix(statusServiceLimit) {
            let row = serviceRow(entry, domain: domain, snapshot: snapshot, authority: explainPods ? authority : nil)
            byNamespace[entry.service.namespace, default: []].append(row)
        }
        let namespaces = snapshot.namespaces.sorted().map { ns in
            let services = byNamespace[ns] ?? []
            return StatusPageModel.NamespaceRow(
                namespace: ns, hasObject: snapshot.namespaceObjects[ns] != nil,
                serviceCount: services.count, podCount: podsByNamespace[ns] ?? 0,
                services: services, hasServices: !services.isEmpty)
        }
        return StatusPageModel(
            domain: domain, generation: snapshot.generation, now: timeText(now, relativeTo: now),
            ready: waiting.isEmpty, waiting: waiting.sorted().joined(separator: ", "),
            refreshSeconds: statusRefreshSeconds,
            counts: ObjectKind.allCases.map { .init(kind: $0.kindName + ($0 == .endpoints ? "" : "s"), count: snapshot.objectCount(of: $0)) },
            namespaceNames: namespaces, namespaces: namespaces.filter(\.hasServices),
            changes: history.map { .init(generation: $0.generation, seen: timeText($0.seen, relativeTo: now), summary: $0.summary) },
            notes: notes)
    }

    static func serviceRow(_ entry: ServiceEntry, domain: String, snapshot: ClusterSnapshot,
                           authority: Authority?) -> StatusPageModel.ServiceRow {
        let s = entry.service
        let ns = s.namespace
        let serviceName = "\(s.name).\(ns).svc.\(domain)"
        let type: String
        switch s.type {
        case .externalName: type = "ExternalName"
        case _ where s.isHeadless: type = "\(s.type.rawValue), headless"
        default: type = s.type.rawValue
        }
        let clusterIPs = s.type == .externalName ? "CNAME \(s.externalName ?? "")"
            : s.isHeadless ? "None" : s.clusterAddresses.map(\.description).joined(separator: ", ")
        let ports = s.ports.map { p in
            (p.name.map { "\($0) " } ?? "") + "\(p.port)/\(p.protocol.rawValue)"
                + (p.targetPort.map { " → \($0)" } ?? "")
        }
        let selector = s.selector.map { $0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") } ?? ""
        let source: String
        switch entry.source {
        case .endpointSlices: source = "EndpointSlices"
        case .endpoints: source = "Endpoints"
        case .pods: source = "pods (selector)"
        case .none: source = s.type == .externalName ? "ExternalName: a CNAME, no endpoints"
            : (s.selector ?? [:]).isEmpty ? "no selector and no Endpoints or EndpointSlices" : "pods (selector)"
        }
        func endpointName(_ ep: Endpoint) -> String {
            s.isHeadless ? "\(ep.hostname ?? ep.address.dashed).\(serviceName)" : ""
        }
        var rows: [StatusPageModel.EndpointRow] = []
        var listed: Set<String> = []
        for ep in entry.readyEndpoints {
            let name = endpointName(ep)
            rows.append(.init(address: ep.address.description, pod: ep.targetPod ?? "", dnsName: name, ready: true, reason: ""))
            if let pod = ep.targetPod { listed.insert(pod) }
        }
        for ep in entry.notReadyEndpoints {
            let pod = ep.targetPod.flatMap { snapshot.pods[NamespacedName(namespace: ns, name: $0)] }
            let name = endpointName(ep)
            rows.append(.init(address: ep.address.description, pod: ep.targetPod ?? "", dnsName: name, ready: false, reason: notReadyReason(pod)))
            if let pod = ep.targetPod { listed.insert(pod) }
        }
        if let authority, let name = DomainName(serviceName) {
            // Pods left out for other reasons (labels, no IP, phase, subdomain), from the explainer.
            for x in authority.explain(name, type: .a, in: snapshot).excluded {
                let pod = x.object.hasPrefix("pod ") ? String(x.object.split(separator: "/").last ?? "") : ""
                if !pod.isEmpty, listed.contains(pod) { continue }
                if pod.isEmpty, rows.contains(where: { $0.address == x.address }) { continue }
                rows.append(.init(address: x.address ?? "no IP", pod: pod, dnsName: "", ready: false, reason: x.reason))
            }
        }
        return .init(serviceName: s.name, dnsName: serviceName, type: type, clusterIPs: clusterIPs, ports: ports,
                     selector: selector, hasSelector: !selector.isEmpty, source: source, readyCount: entry.readyEndpoints.count,
                     endpointCount: rows.count, endpoints: rows, hasEndpoints: !rows.isEmpty)
    }

    /// Why a not-ready endpoint is not ready, from its pod when the store has it.
    static func notReadyReason(_ pod: KubePod?) -> String {
        guard let pod else { return "not ready (the endpoint's ready condition is false)" }
        if pod.isTerminating { return "terminating (deletionTimestamp set)" }
        if let phase = pod.phase, phase != .running { return "not ready (phase \(phase.rawValue))" }
        if !pod.ready { return "not ready (pod Ready condition is not True)" }
        return "not ready (the endpoint's ready condition is false)"
    }

    /// `HH:MM:SS UTC (N s ago)`.
    static func timeText(_ date: Date, relativeTo now: Date) -> String {
        let t = Int(date.timeIntervalSince1970)
        let day = ((t % 86_400) + 86_400) % 86_400
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let clock = "\(two(day / 3600)):\(two(day / 60 % 60)):\(two(day % 60)) UTC"
        let ago = Int(now.timeIntervalSince(date).rounded())
        return ago <= 0 ? clock : ago < 120 ? "\(clock) (\(ago) s ago)" : "\(clock) (\(ago / 60) min ago)"
    }
}
