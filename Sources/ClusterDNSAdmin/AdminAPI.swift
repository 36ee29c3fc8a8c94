import DNSModel
import Foundation
import Synchronization
import ClusterModel
import ClusterDNS

/// The admin HTTP API: the object API in Kubernetes REST shape, `/apply`, probes and metrics.
///
/// Writes go to the store with source `api` and return only after the snapshot containing them
/// is published (read-your-writes). API writes are serialised among themselves so that
/// created/replaced and deleted/not-found answers are exact.
public final class AdminAPI: Sendable {
    let store: ClusterStore
    let options: AdminOptions
    let metrics: ClusterDNSMetrics?
    let waitingFor: @Sendable () -> [String]
    let draining: @Sendable () -> Bool
    private let writeLock = Locked<Void>(())
    /// The authority `/v1/explain` and the status page use, and the generations seen (StatusPage.swift).
    let status = StatusState()

    /// - Parameters:
    ///   - waitingFor: the sources that have not loaded once yet (empty when ready).
    ///   - draining: true once the server is shutting down (`/readyz` then fails).
    public init(store: ClusterStore, options: AdminOptions, metrics: ClusterDNSMetrics?,
                waitingFor: @escaping @Sendable () -> [String], draining: @escaping @Sendable () -> Bool = { false },
                authority: Authority? = nil) {
        self.store = store; self.options = options; self.metrics = metrics; self.waitingFor = waitingFor
        self.draining = draining
        if let authority { status.setAuthority(authority) }
    }

    /// Answers one request.
    public func handle(_ request: AdminRequest) async -> AdminResponse {
        let received = ContinuousClock.now
        status.history.observe(store.snapshot)
        defer { status.history.observe(store.snapshot) } // after writes
        guard let route = AdminRoute.parse(request.path) else {
            return .status(.notFound("the server could not find the requested resource: \(request.path)"))
        }
        let method = request.method.uppercased()
        guard route.methods.contains(method) else {
            var r = AdminResponse.status(.methodNotAllowed(method, request.path, allowed: route.methods))
            r.headers.append(("Allow", route.methods.joined(separator: ", ")))
            return r
        }
        let isWrite = method != "GET"
        if let token = options.token, isWrite || (options.authScope == .all && route != .healthz && route != .readyz) {
            guard Self.authorized(request.authorization, token: token) else { return .status(.unauthorized) }
        }
        if isWrite, options.readOnly { return .status(.readOnly) }
        do {
            // `?dryRun=All` (Kubernetes API conventions): validate and answer as the write would,
            // without storing anything; any other value is refused, as the API server does.
            let dryRunValues = Self.queryParameterValues(request.query, "dryRun")
            if let bad = dryRunValues.first(where: { $0 != "All" }) {
                throw KubeStatus.badRequest("dryRun: unsupported value \"\(bad)\" (the only value is All)")
            }
            let dryRun = isWrite && !dryRunValues.isEmpty
            switch route {
            case .healthz:
                return .text(200, "ok\n")
            case .readyz:
                if draining() { return .text(503, "not ready: shutting down\n") }
                let waiting = waitingFor()
                return waiting.isEmpty ? .text(200, "ok\n")
                    : .text(503, "not ready: waiting for \(waiting.sorted().joined(separator: ", ")) to load\n")
            case .metrics:
                guard let metrics else { return .text(200, "") }
                return AdminResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8",
                                     body: metrics.render(snapshot: store.snapshot))
            case .statusPage:
                return statusPage()
            case .explain:
                return try explain(query: request.query)
            case .collection(let kind, let namespace) where method == "GET":
                // A list is a snapshot: there is no watch, and only labels can be selected on.
                for unsupported in ["watch", "fieldSelector"] where !Self.queryParameterValues(request.query, unsupported).isEmpty {
                    throw KubeStatus.badRequest("\(unsupported) is not supported by this API (lists only, with labelSelector)")
                }
                let selector = try Self.queryParameterValues(request.query, "labelSelector").first.map { try LabelSelector($0) }
                return list(kind, namespace: namespace, selector: selector)
            case .object(let kind, let namespace, let name) where method == "GET":
                let key = ObjectKey(kind: kind, namespace: namespace, name: name)
                guard let object = store.snapshot.object(key) else { throw Self.missing(key) }
                return AdminResponse(status: 200, body: try Self.encode(object))
            case .object(let kind, let namespace, let name) where method == "DELETE":
                return try delete(ObjectKey(kind: kind, namespace: namespace, name: name), received: received, dryRun: dryRun)
            case .object(let kind, let namespace, let name):
                let objects = try await decodeBody(request)
                return try put(objects, kind: kind, namespace: namespace, name: name, create: false, received: received, dryRun: dryRun)
            case .collection(let kind, let namespace):
                let objects = try await decodeBody(request)
                return try put(objects, kind: kind, namespace: namespace ?? "", name: nil, create: true, received: received, dryRun: dryRun)
            case .apply:
                let objects = try await decodeBody(request)
                return try apply(objects, received: received, dryRun: dryRun)
            }
        } catch let status as KubeStatus {
            return .status(status)
        } catch {
            return .status(KubeStatus(code: 500, reason: "InternalError", message: "\(error)"))
        }
    }

    // MARK: Reads

    func list(_ kind: ObjectKind, namespace: String?, selector: LabelSelector? = nil) -> AdminResponse {
        let snapshot = store.snapshot
        let objects = snapshot.objects(of: kind, namespace: namespace?.lowercased()).filter { selector?.matches($0.labels) ?? true }
        var out = Array(#"{"apiVersion":"\#(kind.apiVersion)","kind":"\#(kind.kindName)List","metadata":{"resourceVersion":"\#(snapshot.generation)"},"items":["#.utf8)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for (i, object) in objects.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += (try? encoder.encode(object)).map { Array($0) } ?? Array("{}".utf8)
        }
        out += Array("]}".utf8)
        return AdminResponse(status: 200, body: out)
    }

    // MARK: Writes

    func put(_ decoded: DecodedBody, kind: ObjectKind, namespace: String, name: String?, create: Bool,
             received: ContinuousClock.Instant, dryRun: Bool = false) throws -> AdminResponse {
        let contents = decoded.contents
        guard contents.objects.count + contents.skippedKinds.count == 1 else {
            throw KubeStatus.badRequest("the body must hold exactly one \(kind.kindName), found \(contents.objects.count + contents.skippedKinds.count) objects")
        }
        guard var object = contents.objects.first else {
            throw KubeStatus.badRequest("kind: \"\(contents.skippedKinds[0])\" does not match the resource in the path (\(kind.apiVersion) \(kind.kindName))")
        }
        guard object.kind == kind else {
            throw KubeStatus.badRequest("kind: \"\(object.kind.kindName)\" does not match the resource in the path (\(kind.kindName))")
        }
        if let name, object.key.name != name.lowercased() {
            throw KubeStatus.badRequest("metadata.name: \"\(object.key.name)\" does not match the name in the path \"\(name)\"")
        }
        if kind.isNamespaced, object.namespace != namespace.lowercased() {
            // A body without metadata.namespace decodes as `default`: take the path's namespace.
            if object.namespace == "default", !decoded.namedDefaultNamespace {
                object = try Self.moving(object, to: namespace)
            } else {
                throw KubeStatus.badRequest("metadata.namespace: \"\(object.namespace)\" does not match the namespace in the path \"\(namespace)\"")
            }
        }
        let key = object.key
        let (existed, snapshot, changed) = writeLock.withLock { _ -> (Bool, ClusterSnapshot?, Bool) in
            let before = store.snapshot
            let existed = before.object(key) != nil
            if create, existed { return (true, nil, false) }
            if dryRun { return (existed, before, false) }
            let after = store.apply([.upsert(object)])
            return (existed, after, after.generation != before.generation)
        }
        guard let snapshot else {
            throw KubeStatus(code: 409, reason: "AlreadyExists", message: "\(kind.resource) \"\(key.name)\" already exists",
                             details: .init(name: key.name, kind: kind.resource))
        }
        if dryRun { return AdminResponse(status: existed ? 200 : 201, body: try Self.encode(object)) }
        // The programming latency is that of changes published; an unchanged write publishes nothing.
        if changed { metrics?.recordProgramming(ContinuousClock.now - received) }
        return AdminResponse(status: existed ? 200 : 201, body: try Self.encode(snapshot.object(key) ?? object))
    }

    /// Deletes one object. Deleting a Namespace deletes every object in it too, as the
    /// namespace controller does (its names then answer NXDOMAIN), in the same change.
    func delete(_ key: ObjectKey, received: ContinuousClock.Instant, dryRun: Bool = false) throws -> AdminResponse {
        let deleted = writeLock.withLock { _ -> KubeObject? in
            let snapshot = store.snapshot
            guard let existing = snapshot.object(key) else { return nil }
            var changes: [ClusterChange] = []
            if key.kind == .namespace {
                for kind in ObjectKind.allCases where kind.isNamespaced {
                    changes += snapshot.objects(of: kind, namespace: key.name).map { .delete($0.key) }
                }
            }
            changes.append(.delete(key))
            if !dryRun { store.apply(changes) }
            return existing
        }
        guard let deleted else { throw Self.missing(key) }
        metrics?.recordProgramming(ContinuousClock.now - received)
        return AdminResponse(status: 200, body: try Self.encode(deleted))
    }

    /// The `/apply` answer: what happened to each object, kubectl-style.
    struct ApplyResult: Encodable {
        struct Item: Encodable { var kind: String; var namespace: String?; var name: String; var action: String }
        struct Metadata: Encodable { var resourceVersion: String }
        var apiVersion = "clusterdns.io/v1"
        var kind = "ApplyResult"
        var metadata: Metadata
        var items: [Item]
        var skipped: [String]
    }

    func apply(_ decoded: DecodedBody, received: ContinuousClock.Instant, dryRun: Bool = false) throws -> AdminResponse {
        let contents = decoded.contents
        guard !contents.objects.isEmpty else {
            let skipped = contents.skippedKinds.isEmpty ? "" : " (skipped: \(contents.skippedKinds.joined(separator: ", ")))"
            throw KubeStatus.badRequest("no objects of a served kind (Service, Pod, Endpoints, EndpointSlice, Namespace) in the body\(skipped)")
        }
        let (items, snapshot) = writeLock.withLock { _ -> ([ApplyResult.Item], ClusterSnapshot) in
            let before = store.snapshot
            var pending: [ObjectKey: KubeObject] = [:]
            var items: [ApplyResult.Item] = []
            for object in contents.objects {
                let previous = pending[object.key] ?? before.object(object.key)
                let action = previous == nil ? "created" : previous == object ? "unchanged" : "configured"
                pending[object.key] = object
                items.append(.init(kind: object.kind.kindName, namespace: object.kind.isNamespaced ? object.namespace : nil,
                                   name: object.key.name, action: action))
            }
            return (items, dryRun ? before : store.apply(contents.objects.map { .upsert($0) }))
        }
        metrics?.recordProgramming(ContinuousClock.now - received)
        let result = ApplyResult(metadata: .init(resourceVersion: "\(snapshot.generation)"), items: items,
                                 skipped: contents.skippedKinds)
        return AdminResponse(status: 200, body: Array(try JSONEncoder().encode(result)))
    }

    // MARK: Bodies

    /// Reads and decodes the body: JSON or YAML by Content-Type, sniffed when absent.
    func decodeBody(_ request: AdminRequest) async throws -> DecodedBody {
        var json: Bool?
        if let raw = request.contentType, let type = raw.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased(), !type.isEmpty {
            switch type {
            case "application/json": json = true
            case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml": json = false
            default: throw KubeStatus.unsupportedMediaType(type)
            }
        }
        let body = try await request.readBody(options.maxBodyBytes)
        guard let first = body.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else {
            throw KubeStatus.badRequest("the request body is empty")
        }
        if json == true, first != UInt8(ascii: "{"), first != UInt8(ascii: "[") {
            throw KubeStatus.badRequest("the body is not JSON (Content-Type: application/json)")
        }
        do {
            let contents = try ManifestDecoder.decode(body, source: "body")
            return DecodedBody(contents: contents, namedDefaultNamespace: Self.namesDefaultNamespace(body))
        } catch {
            throw KubeStatus.badRequest(error.description)
        }
    }

    /// Whether the body says `namespace: default` itself (rather than leaving it out).
    static func namesDefaultNamespace(_ body: [UInt8]) -> Bool {
        let text = String(decoding: body, as: UTF8.self)
        return text.range(of: #"["']?namespace["']?\s*:\s*["']?default["']?\s*($|[,}\n\r#])"#, options: .regularExpression) != nil
    }

    /// The object with `metadata.namespace` set to `namespace`.
    static func moving(_ object: KubeObject, to namespace: String) throws -> KubeObject {
        let data = try JSONEncoder().encode(object)
        guard var top = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              var meta = top["metadata"] as? [String: Any] else { return object }
        meta["namespace"] = namespace
        top["metadata"] = meta
        do {
            return try JSONDecoder().decode(KubeObject.self, from: JSONSerialization.data(withJSONObject: top))
        } catch {
            throw KubeStatus.badRequest("metadata.namespace: \"\(namespace)\" is not a valid namespace")
        }
    }

    /// An object's JSON; keys sorted, which for Kubernetes objects reads apiVersion, kind, metadata, spec, status.
    static func encode(_ object: KubeObject) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(object))
    }

    static func missing(_ key: ObjectKey) -> KubeStatus {
        KubeStatus(code: 404, reason: "NotFound", message: "\(key.kind.resource) \"\(key.name)\" not found",
                   details: .init(name: key.name, kind: key.kind.resource))
    }

    /// `Authorization: Bearer <token>`, compared in constant time (for a given token length).
    static func authorized(_ header: String?, token: String) -> Bool {
        guard let header else { return false }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return false }
        let given = Array(parts[1].trimmingCharacters(in: .whitespaces).utf8)
        let expected = Array(token.utf8)
        var diff = UInt8(given.count == expected.count ? 0 : 1)
        for i in 0..<expected.count {
            diff |= expected[i] ^ (i < given.count ? given[i] : 0)
        }
        return diff == 0
    }
}

/// A decoded request body.
struct DecodedBody {
    var contents: ManifestContents
    /// The body spells out `namespace: default` (a missing namespace also decodes as `default`).
    var namedDefaultNamespace: Bool
}
