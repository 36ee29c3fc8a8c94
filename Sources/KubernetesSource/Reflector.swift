import DNSModel
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import Synchronization
import ClusterModel

/// One list/watch target: a resource, optionally in one namespace, optionally label-filtered.
public struct WatchedResource: Sendable, Hashable, CustomStringConvertible {
    public let kind: ObjectKind
    /// nil means every namespace (or a cluster-scoped kind).
    public let namespace: String?
    public let labelSelector: String?

    public init(kind: ObjectKind, namespace: String? = nil, labelSelector: String? = nil) {
        self.kind = kind; self.namespace = kind.isNamespaced ? namespace : nil; self.labelSelector = labelSelector
    }

    /// The REST collection path, e.g. `/api/v1/namespaces/a/services`.
    public var path: String {
        let group = kind == .endpointSlice ? "/apis/discovery.k8s.io/v1" : "/api/v1"
        if let namespace { return "\(group)/namespaces/\(namespace)/\(kind.resource)" }
        return "\(group)/\(kind.resource)"
    }

    /// The `ClusterStore` source whose full contribution a relist replaces.
    public var sourceName: String {
        "kubernetes:" + kind.resource + (namespace.map { "/\($0)" } ?? "")
    }

    public var description: String { kind.resource + (namespace.map { " in \($0)" } ?? "") }
}

/// Exponential backoff with jitter: each delay is drawn from [d/2, d], d doubling from `initial` to `maximum`.
struct Backoff {
    let initial: Duration
    let maximum: Duration
    private var current: Duration

    init(initial: Duration, maximum: Duration) { self.initial = initial; self.maximum = maximum; current = initial }

    mutating func next() -> Duration {
        let d = current * Double.random(in: 0.5...1.0)
        current = min(current * 2, maximum)
        return d
    }

    mutating func reset() { current = initial }
}

/// The client-go reflector loop for one `WatchedResource`: list (paginated) and swap the whole
/// result into the store as one change; then watch from the list's resourceVersion, applying each
/// received chunk of events as one change and remembering the last resourceVersion (bookmarks
/// included); a watch the server ends is resumed from there. As client-go's `ListAndWatch`, a
/// watch that fails with an API error (`410 Gone`, a watch `ERROR` event, an HTTP error status)
/// or an event that cannot be decoded means list again, with backoff; a network error retries
/// the watch. Relists that follow failures back off (0.2 s doubling to 30 s) until a watch
/// works again, and meanwhile the store keeps the last known state. An object whose fields
/// cannot be used keeps its last good version (a conforming API server never sends one; a newer
/// one might).
final class Reflector: Sendable {
    struct State {
        var resourceVersion = ""
        var lists = 0
        var watches = 0
        var listed = false
        var lastProgress: ContinuousClock.Instant?
        var lastError: String?
        /// A watch stream is open: the store is current for this resource.
        var connected = false
    }

    let resource: WatchedResource
    /// Keeps only objects that pass (namespace filtering of Namespace objects).
    let keep: @Sendable (KubeObject) -> Bool
    let state = Locked(State())

    init(resource: WatchedResource, keep: @escaping @Sendable (KubeObject) -> Bool) {
        self.resource = resource; self.keep = keep
    }

    func run(client: APIClient, store: ClusterStore, options: KubernetesSourceOptions, logger: Logger,
             onListed: @Sendable () -> Void) async {
        var logger = logger
        logger[metadataKey: "resource"] = "\(resource)"
        var backoff = Backoff(initial: options.initialBackoff, maximum: options.maximumBackoff)
        var needList = true
        var failures = 0                             // watch failures since a watch last worked
        while !Task.isCancelled {
            do {
                if needList {
                    try await relist(client: client, store: store, options: options, logger: logger)
                    needList = false
                    if failures == 0 { backoff.reset() }
                    onListed()
                }
                let started = ContinuousClock.now
                let events = try await watch(client: client, store: store, options: options, logger: logger)
                failures = 0
                logger.debug("watch ended by the server; resuming", metadata: ["events": "\(events)"])
                if events == 0 && ContinuousClock.now - started < .seconds(1) {
                    try await Task.sleep(for: backoff.next())
                } else {
                    backoff.reset()
                }
            } catch let error as APIError where !needList {
                if Task.isCancelled { break }
                logger.info(error.isGone ? "resource version expired; relisting" : "watch failed; relisting",
                            metadata: ["error": "\(error)"])
                needList = true
                failures += 1
                state.withLock { $0.lastError = "\(error)" }
                if failures > 1 || !error.isGone { try? await Task.sleep(for: backoff.next()) }
            } catch {
                if Task.isCancelled { break }
                logger.warning("kubernetes \(needList ? "list" : "watch") failed; retrying with backoff, serving the last known state",
                               metadata: ["error": "\(error)"])
                state.withLock { $0.lastError = "\(error)" }
                try? await Task.sleep(for: backoff.next())
            }
        }
    }

    /// A decoder for this resource's objects; `interning` (for one list, all its pages) shares
    /// equal labels and ports between the objects it decodes. A watch decodes one event at a
    /// time for as long as the stream lasts, so it does not intern: its interner would only grow.
    func decoder(interning: Bool) -> JSONDecoder {
        let d = JSONDecoder()
        let info: [CodingUserInfoKey: any Sendable] = [.kubeKind: resource.kind.rawValue]
        d.userInfo = interning ? ValueInterner.userInfo(info) : info
        return d
    }

    /// Lists every page, then replaces the source's objects with the complete set in one store change.
    func relist(client: APIClient, store: ClusterStore, options: KubernetesSourceOptions, logger: Logger) async throws {
        let started = ContinuousClock.now
        let decoder = decoder(interning: true)
        var objects: [KubeObject] = []
        var invalid = 0
        var continueToken: String?
        var resourceVersion = ""
        var paginate = true
        let current = store.snapshot
        while true {
            var query: [(String, String)] = paginate ? [("limit", String(options.pageSize))] : []
            if let s = resource.labelSelector { query.append(("labelSelector", s)) }
            if let c = continueToken { query.append(("continue", c)) }
            let body: ByteBuffer
            do {
                let response = try await client.get(resource.path, query: query, timeout: .seconds(options.listTimeoutSeconds))
                body = try await response.body.collect(upTo: options.maxListPageBytes * (paginate ? 1 : 16))
            } catch let error as APIError where error.isGone && continueToken != nil && paginate {
                // The continue token expired between pages: list it all in one request instead
                // (client-go's pager does the same).
                logger.info("continue token expired; listing without pages", metadata: ["error": "\(error)"])
                paginate = false; continueToken = nil; objects = []; invalid = 0
                continue
            }
            let page: ListPage
            do { page = try decoder.decode(ListPage.self, from: body) } catch { throw APIError.decoding("\(error)") }
            for item in page.items {
                if let o = item.object {
                    if keep(o) { objects.append(o) }
                } else {
                    invalid += 1
                    // The last good version stays served (none: the object is not served).
                    if let old = current.object(item.key) { objects.append(old) }
                    if invalid <= 10 { logger.warning("object skipped", metadata: ["object": "\(item.key)", "error": "\(item.error ?? "")"]) }
                }
            }
            resourceVersion = page.resourceVersion
            continueToken = page.continueToken
            if continueToken == nil { break }
        }
        store.replace(source: resource.sourceName, with: objects)
        state.withLock {
            $0.resourceVersion = resourceVersion; $0.lists += 1; $0.listed = true
            $0.lastProgress = .now; $0.lastError = nil
        }
        logger.info("listed", metadata: ["objects": "\(objects.count)", "invalid": "\(invalid)",
                                         "resourceVersion": "\(resourceVersion)", "duration": "\(ContinuousClock.now - started)"])
    }

    /// Watches from the last resourceVersion until the server ends the stream; returns how many events came.
    func watch(client: APIClient, store: ClusterStore, options: KubernetesSourceOptions, logger: Logger) async throws -> Int {
        let decoder = decoder(interning: false)
        let timeout = Int.random(in: options.watchTimeoutSeconds)
        var query = [("watch", "1"), ("resourceVersion", state.withLock { $0.resourceVersion }),
                     ("allowWatchBookmarks", "true"), ("timeoutSeconds", String(timeout))]
        if let s = resource.labelSelector { query.append(("labelSelector", s)) }
        let response = try await client.get(resource.path, query: query, timeout: .seconds(Int64(timeout) + 60))
        let opened = ContinuousClock.now
        state.withLock { $0.watches += 1; $0.lastError = nil; $0.connected = true }
        // Up to the moment the stream ends the store was current, unless it failed at once: a
        // watch that keeps failing must let the staleness grow.
        defer {
            state.withLock { s in
                s.connected = false
                if ContinuousClock.now - opened >= .seconds(1) { s.lastProgress = .now }
            }
        }
        var splitter = LineSplitter(maxLineBytes: options.maxEventBytes)
        var count = 0
        for try await chunk in response.body {
            let lines = try splitter.feed(chunk.readableBytesView)
            guard !lines.isEmpty else { continue }
            var changes: [ClusterChange] = []
            var rv: String?
            // Apply what came before a failure, so the resume point and the store agree.
            func flush() {
                guard !changes.isEmpty || rv != nil else { return }
                if !changes.isEmpty { store.apply(changes, source: resource.sourceName); changes = [] }
                state.withLock { s in
                    if let rv { s.resourceVersion = rv }
                    s.lastProgress = .now
                }
            }
            for line in lines {
                let event: WatchEvent
                do { event = try decoder.decode(WatchEvent.self, from: Data(line)) } catch {
                    flush()
                    throw APIError.decoding("watch event: \(error)")
                }
                count += 1
                switch event {
                case .added(let o), .modified(let o):
                    if let object = o.object {
                        changes.append(keep(object) ? .upsert(object) : .delete(o.key))
                    } else {
                        // As a relist would: the last good version stays (none: not served).
                        logger.warning("object skipped; its last good version stays served",
                                       metadata: ["object": "\(o.key)", "error": "\(o.error ?? "")"])
                    }
                    rv = o.resourceVersion ?? rv
                case .deleted(let o):
                    changes.append(.delete(o.key))
                    rv = o.resourceVersion ?? rv
                case .bookmark(let v):
                    rv = v ?? rv
                case .error(let status):
                    flush()
                    throw APIError.status(status)
                }
            }
            flush()
        }
        return count
    }
}
