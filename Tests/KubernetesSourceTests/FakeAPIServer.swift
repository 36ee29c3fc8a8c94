import DNSModel
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Fixtures, with their leading `//` provenance comments removed.
enum Fixture {
    static func text(_ name: String) -> String {
        let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)!
        let raw = try! String(contentsOf: url, encoding: .utf8)
        return raw.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("//") }.joined(separator: "\n")
    }

    static func json(_ name: String) -> [String: Any] {
        try! JSONSerialization.jsonObject(with: Data(text(name).utf8)) as! [String: Any]
    }

    static func service(_ name: String, namespace: String = "default", ip: String, labels: [String: String]? = nil) -> [String: Any] {
        var o = json("service.json")
        var meta = o["metadata"] as! [String: Any]
        meta["name"] = name; meta["namespace"] = namespace
        if let labels { meta["labels"] = labels }
        o["metadata"] = meta
        var spec = o["spec"] as! [String: Any]
        spec["clusterIP"] = ip; spec["clusterIPs"] = [ip]
        o["spec"] = spec
        return o
    }

    static func endpointSlice(_ name: String, namespace: String = "default", service: String, ips: [String]) -> [String: Any] {
        var o = json("endpointslice.json")
        var meta = o["metadata"] as! [String: Any]
        meta["name"] = name; meta["namespace"] = namespace
        meta["labels"] = ["kubernetes.io/service-name": service, "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"]
        o["metadata"] = meta
        let template = (o["endpoints"] as! [[String: Any]])[0]
        o["endpoints"] = ips.enumerated().map { i, ip in
            var e = template
            e["addresses"] = [ip]
            e["targetRef"] = ["kind": "Pod", "namespace": namespace, "name": "\(service)-\(i)"]
            return e
        }
        return o
    }

    static func namespace(_ name: String) -> [String: Any] {
        var o = json("namespace.json")
        var meta = o["metadata"] as! [String: Any]
        meta["name"] = name
        meta["labels"] = ["kubernetes.io/metadata.name": name]
        o["metadata"] = meta
        return o
    }

    static func pod() -> [String: Any] { json("pod.json") }
}

/// Test PKI made with openssl: a CA, a server certificate for 127.0.0.1/localhost and a client certificate.
struct TestPKI: Sendable {
    let directory: String
    var caPath: String { directory + "/ca.crt" }
    var serverCert: String { directory + "/server.crt" }
    var serverKey: String { directory + "/server.key" }
    var clientCert: String { directory + "/client.crt" }
    var clientKey: String { directory + "/client.key" }

    static let shared: TestPKI = {
        let dir = NSTemporaryDirectory() + "kube-pki-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let script = """
        set -e
        cd '\(dir)'
        EC="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        openssl req -x509 $EC -keyout ca.key -out ca.crt -days 2 -subj /CN=test-kubernetes-ca \
          -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
        openssl req $EC -keyout server.key -out server.csr -subj /CN=kube-apiserver 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\nbasicConstraints=CA:FALSE\\n' > server.ext
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile server.ext 2>/dev/null
        openssl req $EC -keyout client.key -out client.csr -subj '/O=system:masters/CN=clusterdns' 2>/dev/null
        printf 'extendedKeyUsage=clientAuth\\nbasicConstraints=CA:FALSE\\n' > client.ext
        openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2 -extfile client.ext 2>/dev/null
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", script]
        try! p.run()
        p.waitUntilExit()
        precondition(p.terminationStatus == 0, "openssl failed")
        return TestPKI(directory: dir)
    }()
}

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

final class ServerBox: @unchecked Sendable { var server: FakeAPIServer? }

final class FakeAPIHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let server: FakeAPIServer
    var head: HTTPRequestHead?

    init(server: FakeAPIServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head else { return }
            respond(context: context, head: head)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        server.forget(context.channel)
        context.fireChannelInactive()
    }

    func respond(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let comps = URLComponents(string: head.uri)
        var query: [String: String] = [:]
        for item in comps?.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let path = comps?.path ?? head.uri
        let channel = context.channel
        // Runs on the channel's event loop: live events written by other threads queue behind
        // the head and replay written here.
        let reply = server.handle(path: path, query: query, authorization: head.headers.first(name: "Authorization"), channel: channel)
        let delay = server.state.withLock { $0.pageDelay }
        switch reply {
        case .hold:
            break
        case .json(let status, let body):
            let version = head.version
            let write: @Sendable () -> Void = {
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: String(body.count))
                channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: version, status: status, headers: headers)), promise: nil)
                channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
                channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
            }
            if delay > .zero, query["watch"] == nil {
                context.eventLoop.scheduleTask(in: delay) { write() }
            } else {
                write()
            }
        case .watchGone(let event):
            writeWatchHead(channel, head.version)
            channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: event))), promise: nil)
            channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
        case .watch(let replay, let timeout):
            writeWatchHead(channel, head.version)
            for e in replay { channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: e))), promise: nil) }
            channel.flush()
            let server = self.server
            context.eventLoop.scheduleTask(in: .seconds(Int64(timeout))) {
                server.forget(channel)
                channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
            }
        }
    }

    func writeWatchHead(_ channel: any Channel, _ version: HTTPVersion) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Transfer-Encoding", value: "chunked")
        channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: version, status: .ok, headers: headers)), promise: nil)
    }
}
