import DNSModel
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A local HTTPS server speaking the Kubernetes API's list/watch wire format for Namespaces,
/// Services, EndpointSlices and Pods: paginated lists (`limit`/`continue`, `metadata.resourceVersion`),
/// chunked newline-delimited watch streams with ADDED/MODIFIED/DELETED/BOOKMARK/ERROR events,
/// resourceVersion compaction (410 Expired, as an ERROR event or an HTTP status), bearer-token and
/// client-certificate authentication, clean and abrupt ends of watches, and an outage switch.
final class FakeAPIServer: Sendable {
    struct StoredObject { var body: [String: Any]; var rv: Int; var labels: [String: String] }
    struct LogEntry { var resource: String; var namespace: String; var type: String; var event: [UInt8]; var rv: Int; var labels: [String: String] }
    struct Watch { var resource: String; var namespace: String?; var selector: [String: String]; var channel: any Channel }
    struct Request: Sendable { var path: String; var query: [String: String]; var authorization: String? }
    struct ListSnapshot { var items: [[UInt8]]; var rv: Int; var kind: String; var apiVersion: String }

    struct State: @unchecked Sendable {
        var rv = 1000
        var objects: [String: [String: StoredObject]] = [:]   // resource → "ns/name" → object
        var log: [LogEntry] = []
        var compactedRV = 0
        var watches: [ObjectIdentifier: Watch] = [:]
        var requests: [Request] = []
        var snapshots: [Int: ListSnapshot] = [:]
        var nextSnapshot = 1
        var connections = 0
        // Behaviour switches.
        var down = false
        var expireNextContinue = false
        var goneAsHTTPStatus = false
        /// Every watch answers an `ERROR` event with a 500 Status, as an overloaded server may.
        var failWatches = false
        var acceptedTokens: Set<String>? = nil
        var pageDelay: TimeAmount = .zero
        var holdLists = false
        var fragmentEvents = false
        var held: [any Channel] = []
        /// Keep request records (off for the memory benchmark).
        var recordRequests = true
    }

    let state = Locked(State())
    let group: MultiThreadedEventLoopGroup
    let channel: any Channel
    let port: Int
    let requireClientCertificate: Bool

    static func start(requireClientCertificate: Bool = false) async throws -> FakeAPIServer {
        let pki = TestPKI.shared
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(pki.serverCert).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: pki.serverKey, format: .pem)))
        if requireClientCertificate {
            tls.certificateVerification = .noHostnameVerification
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(pki.caPath))
        }
        let context = try NIOSSLContext(configuration: tls)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let box = ServerBox()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    guard let server = box.server else { throw ChannelError.ioOnClosedChannel }
                    if server.state.withLock({ s in s.connections += 1; return s.down }) {
                        _ = ch.close()
                        return
                    }
                    try ch.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try ch.pipeline.syncOperations.configureHTTPServerPipeline()
                    try ch.pipeline.syncOperations.addHandler(FakeAPIHandler(server: server))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = FakeAPIServer(group: group, channel: channel, requireClientCertificate: requireClientCertificate)
        box.server = server
        return server
    }

    private init(group: MultiThreadedEventLoopGroup, channel: any Channel, requireClientCertificate: Bool) {
        self.group = group; self.channel = channel; self.port = channel.localAddress?.port ?? 0
        self.requireClientCertificate = requireClientCertificate
    }

    var url: String { "https://127.0.0.1:\(port)" }

    func shutdown() async {
        dropWatches()
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    // MARK: Mutations (each one bumps the resourceVersion and is sent to matching watches)

    static func resource(of object: [String: Any]) -> String {
        switch object["kind"] as? String {
        case "Service": "services"
        case "EndpointSlice": "endpointslices"
        case "Namespace": "namespaces"
        case "Pod": "pods"
        default: fatalError("unknown kind")
        }
    }

    /// Creates or updates an object (ADDED or MODIFIED); returns its new resourceVersion.
    @discardableResult
    func upsert(_ object: [String: Any]) -> Int {
        let resource = Self.resource(of: object)
        let meta = object["metadata"] as! [String: Any]
        let ns = meta["namespace"] as? String ?? ""
        let key = "\(ns)/\(meta["name"] as! String)"
        return state.withLock { s in
            s.rv += 1
            var body = object
            var m = meta
            m["resourceVersion"] = String(s.rv)
            body["metadata"] = m
            let labels = m["labels"] as? [String: String] ?? [:]
            let type = s.objects[resource]?[key] == nil ? "ADDED" : "MODIFIED"
            s.objects[resource, default: [:]][key] = StoredObject(body: body, rv: s.rv, labels: labels)
            Self.emit(&s, resource: resource, namespace: ns, type: type, object: body, labels: labels)
            return s.rv
        }
    }

    /// Deletes an object (DELETED with its last state).
    func delete(_ resource: String, namespace: String = "", name: String) {
        state.withLock { s in
            guard let old = s.objects[resource]?.removeValue(forKey: "\(namespace)/\(name)") else { return }
            s.rv += 1
            var body = old.body
            var m = body["metadata"] as! [String: Any]
            m["resourceVersion"] = String(s.rv)
            body["metadata"] = m
            Self.emit(&s, resource: resource, namespace: namespace, type: "DELETED", object: body, labels: old.labels)
        }
    }

    private static func emit(_ s: inout State, resource: String, namespace: String, type: String, object: [String: Any], labels: [String: String]) {
        let event = line(["type": type, "object": object])
        s.log.append(LogEntry(resource: resource, namespace: namespace, type: type, event: event, rv: s.rv, labels: labels))
        for w in s.watches.values where w.resource == resource && (w.namespace == nil || w.namespace == namespace)
            && matches(labels, w.selector) {
            send(event, to: w.channel, fragment: s.fragmentEvents)
        }
    }

    static func line(_ json: [String: Any]) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])) + [0x0A]
    }

    static func send(_ bytes: [UInt8], to channel: any Channel, fragment: Bool) {
        let parts = fragment && bytes.count > 8 ? [Array(bytes[..<(bytes.count / 2)]), Array(bytes[(bytes.count / 2)...])] : [bytes]
        for p in parts {
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: p))), promise: nil)
        }
    }

    static func matches(_ labels: [String: String], _ selector: [String: String]) -> Bool {
        selector.allSatisfy { labels[$0.key] == $0.value }
    }

    /// Forgets history: watches and continue tokens from before now get 410.
    func compact() { state.withLock { s in s.compactedRV = s.rv; s.log.removeAll() } }

    /// Sends a BOOKMARK carrying the current resourceVersion to every watch; returns it.
    @discardableResult
    func bookmark() -> Int {
        state.withLock { s in
            for w in s.watches.values {
                var b = Fixture.json("bookmark.json")
                var o = b["object"] as! [String: Any]
                o["kind"] = Self.kindName(w.resource)
                o["metadata"] = ["resourceVersion": String(s.rv), "creationTimestamp": NSNull()]
                b["object"] = o
                Self.send(Self.line(b), to: w.channel, fragment: false)
            }
            return s.rv
        }
    }

    /// Ends every watch cleanly (the terminating chunk), as when `timeoutSeconds` runs out.
    func endWatches() {
        state.withLock { s in
            for w in s.watches.values { w.channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil) }
            s.watches.removeAll()
        }
    }

    /// Closes every watch connection mid-stream.
    func dropWatches() {
        state.withLock { s in
            for w in s.watches.values { w.channel.close(promise: nil) }
            s.watches.removeAll()
        }
    }

    /// Outage: new connections are closed at once, and open watches are dropped.
    func setDown(_ down: Bool) {
        state.withLock { $0.down = down }
        if down { dropWatches() }
    }

    var requests: [Request] { state.withLock { $0.requests } }
    var watchCount: Int { state.withLock { $0.watches.count } }
    var connections: Int { state.withLock { $0.connections } }
    var resourceVersion: Int { state.withLock { $0.rv } }

    static func kindName(_ resource: String) -> String {
        switch resource {
        case "services": "Service"
        case "endpointslices": "EndpointSlice"
        case "namespaces": "Namespace"
        default: "Pod"
        }
    }

    // MARK: Request handling

    /// Parses `/api/v1[/namespaces/NS]/RESOURCE` and `/apis/discovery.k8s.io/v1[/namespaces/NS]/endpointslices`.
    static func route(_ path: String) -> (resource: String, namespace: String?)? {
        var parts = path.split(separator: "/").map(String.init)
        if parts.starts(with: ["api", "v1"]) { parts.removeFirst(2) }
        else if parts.starts(with: ["apis", "discovery.k8s.io", "v1"]) { parts.removeFirst(3) }
        else { return nil }
        if parts.count == 1 { return (parts[0], nil) }
        if parts.count == 3, parts[0] == "namespaces" { return (parts[2], parts[1]) }
        return nil
    }

    enum Reply {
        case json(HTTPResponseStatus, [UInt8])
        case watch(replay: [[UInt8]], timeout: Int)
        case watchGone([UInt8])
        case hold
    }

    func handle(path: String, query: [String: String], authorization: String?, channel: any Channel) -> Reply {
        state.withLock { s -> Reply in
            if s.recordRequests { s.requests.append(Request(path: path, query: query, authorization: authorization)) }
            if let accepted = s.acceptedTokens {
                let token = authorization.flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
                if token.map({ !accepted.contains($0) }) ?? !requireClientCertificate {
                    return .json(.unauthorized, Array(Fixture.text("status-unauthorized.json").utf8))
                }
            }
            guard let (resource, namespace) = Self.route(path) else {
                return .json(.notFound, Self.line(["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
                                                   "message": "the server could not find the requested resource", "reason": "NotFound", "code": 404]))
            }
            let selector = Self.parseSelector(query["labelSelector"])
            if query["watch"] == "1" || query["watch"] == "true" {
                let from = Int(query["resourceVersion"] ?? "") ?? s.rv
                if s.failWatches {
                    return .watchGone(Self.line(["type": "ERROR", "object": ["kind": "Status", "apiVersion": "v1", "metadata": [:],
                                                                             "status": "Failure", "message": "internal error", "code": 500]]))
                }
                if from < s.compactedRV {
                    var status = Fixture.json("status-expired-watch.json")
                    status["message"] = "too old resource version: \(from) (\(s.compactedRV))"
                    if s.goneAsHTTPStatus { return .json(.gone, Self.line(status)) }
                    return .watchGone(Self.line(["type": "ERROR", "object": status]))
                }
                let replay = s.log.filter { $0.resource == resource && $0.rv > from && (namespace == nil || $0.namespace == namespace)
                    && Self.matches($0.labels, selector) }.map(\.event)
                s.watches[ObjectIdentifier(channel)] = Watch(resource: resource, namespace: namespace, selector: selector, channel: channel)
                return .watch(replay: replay, timeout: Int(query["timeoutSeconds"] ?? "") ?? 1800)
            }
            if s.holdLists { s.held.append(channel); return .hold }
            // List.
            let limit = Int(query["limit"] ?? "") ?? Int.max
            var snapshot: ListSnapshot
            var snapID: Int
            var offset = 0
            if let token = query["continue"], !token.isEmpty {
                let parts = String(decoding: Data(base64Encoded: token) ?? Data(), as: UTF8.self).split(separator: ":")
                guard parts.count == 2, let id = Int(parts[0]), let off = Int(parts[1]), let snap = s.snapshots[id] else {
                    return .json(.badRequest, Self.line(["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
                                                         "message": "continue key is not valid", "reason": "BadRequest", "code": 400]))
                }
                if s.expireNextContinue || snap.rv < s.compactedRV {
                    s.expireNextContinue = false
                    return .json(.gone, Array(Fixture.text("status-expired-continue.json").utf8))
                }
                snapshot = snap; snapID = id; offset = off
            } else {
                let objects = (s.objects[resource] ?? [:]).filter { key, o in
                    (namespace == nil || key.hasPrefix("\(namespace!)/")) && Self.matches(o.labels, selector)
                }.sorted { $0.key < $1.key }
                let kind = Self.kindName(resource)
                snapshot = ListSnapshot(
                    items: objects.map { _, o in
                        var body = o.body
                        body.removeValue(forKey: "kind"); body.removeValue(forKey: "apiVersion")
                        return Array(try! JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]))
                    },
                    rv: s.rv, kind: kind + "List", apiVersion: resource == "endpointslices" ? "discovery.k8s.io/v1" : "v1")
                snapID = s.nextSnapshot; s.nextSnapshot += 1
                s.snapshots[snapID] = snapshot
            }
            let end = min(snapshot.items.count, limit > 0 && limit < snapshot.items.count - offset ? offset + limit : snapshot.items.count)
            let more = end < snapshot.items.count
            var meta: [String: Any] = ["resourceVersion": String(snapshot.rv)]
            if more {
                meta["continue"] = Data("\(snapID):\(end)".utf8).base64EncodedString()
                meta["remainingItemCount"] = snapshot.items.count - end
            }
            // Built by hand so the items' bytes are copied, not re-serialized.
            var body = Array(#"{"kind":"\#(snapshot.kind)","apiVersion":"\#(snapshot.apiVersion)","metadata":"#.utf8)
            body += Array(try! JSONSerialization.data(withJSONObject: meta, options: [.sortedKeys]))
            body += Array(#","items":["#.utf8)
            for (i, item) in snapshot.items[offset..<end].enumerated() {
                if i > 0 { body.append(UInt8(ascii: ",")) }
                body += item
            }
            body += Array("]}".utf8)
            if !more { s.snapshots[snapID] = nil }
            return .json(.ok, body)
        }
    }

    func forget(_ channel: any Channel) {
        state.withLock { _ = $0.watches.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    static func parseSelector(_ text: String?) -> [String: String] {
        var out: [String: String] = [:]
        for part in (text ?? "").split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { out[String(kv[0])] = String(kv[1]) }
        }
        return out
    }

    /// Releases lists held by `holdLists` (their connections are closed; the client retries).
    func releaseLists() {
        state.withLock { s in
            s.holdLists = false
            for c in s.held { c.close(promise: nil) }
            s.held.removeAll()
        }
    }

    func set<T>(_ key: WritableKeyPath<State, T>, _ value: T) { state.withLock { $0[keyPath: key] = value } }
}
