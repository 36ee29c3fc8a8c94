import Foundation
import TestSupport
import Testing
import ClusterModel
import DNSModel
import DNSServer
import DNSWire
@testable import ClusterDNSRuntime
import ClusterDNS
import NIOCore

/// `AnswerCache` across snapshots: an answer about one Service (positive or negative) is kept while
/// only other objects change, and dropped as soon as its Service or endpoints change; a negative
/// answer for a name no object can create is kept for good; negative answers are served with the
/// SOA serial of the current generation; every other reply lives for one generation. Checked
/// against the core's own answer each time (never stale).
@Suite("Answer cache scopes")
struct AnswerCacheScopeTests {
    static func pod(_ name: String, app: String, ip: String, ready: Bool = true) -> String {
        TestManifests.pod(name, namespace: "default", app: app, ip: ip, ready: ready, hostname: name, subdomain: app)
    }

    static let services = """
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: default}
        spec: {clusterIP: None, selector: {app: web}, ports: [{name: http, port: 80, targetPort: http}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: api, namespace: default}
        spec: {clusterIP: None, selector: {app: api}, ports: [{name: http, port: 80, targetPort: http}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: ext, namespace: default}
        spec: {type: ExternalName, externalName: web.default.svc.cluster.local}
        """

    func objects(_ yaml: String) throws -> [KubeObject] {
        try ManifestDecoder.decode(Array(yaml.utf8), source: "t").objects
    }

    let authority = Authority(cluster: ClusterZone(apex: "cluster.local."))

    /// The core's reply and scope for `name`/`type` under `snapshot`.
    func compute(_ name: DomainName, _ type: RecordType, _ snapshot: ClusterSnapshot) -> ([UInt8], ReplyScope) {
        var scope = ReplyScope.snapshot
        guard case .reply(let bytes) = authority.process(Message.query(name, type, id: 1).wire(), context: QueryContext(),
                                                         snapshot: snapshot, scope: &scope) else { return ([], scope) }
        return (bytes, scope)
    }

    @Test("scopes: service, endpoint and SRV names of one Service; the rest per snapshot")
    func scopes() throws {
        let store = ClusterStore()
        let snap = store.replace(source: "t", with: try objects(Self.services + "\n---\n" + Self.pod("web-0", app: "web", ip: "10.1.0.1")))
        let web = ServiceKey(namespace: "default", name: "web")
        #expect(compute("web.default.svc.cluster.local.", .a, snap).1 == .service(web))
        #expect(compute("web-0.web.default.svc.cluster.local.", .a, snap).1 == .endpoint(web, label: "web-0"))
        #expect(compute("WEB-0.web.default.svc.cluster.local.", .a, snap).1 == .endpoint(web, label: "web-0"))
        #expect(compute("web-9.web.default.svc.cluster.local.", .a, snap).1 == .endpoint(web, label: "web-9"))  // NXDOMAIN
        #expect(compute("_tcp.web.default.svc.cluster.local.", .a, snap).1 == .service(web))  // empty non-terminal
        #expect(compute("_http._tcp.web.default.svc.cluster.local.", .srv, snap).1 == .service(web))
        #expect(compute("web.default.svc.cluster.local.", .aaaa, snap).1 == .service(web)) // NODATA
        #expect(compute("api.default.svc.cluster.local.", .a, snap).1 == .service(ServiceKey(namespace: "default", name: "api")))  // no endpoints
        #expect(compute("nope.default.svc.cluster.local.", .a, snap).1 == .serviceObject(ServiceKey(namespace: "default", name: "nope")))  // NXDOMAIN, until created
        #expect(compute("x.nope.default.svc.cluster.local.", .a, snap).1 == .endpoint(ServiceKey(namespace: "default", name: "nope"), label: "x"))
        #expect(compute("www.example.com.cluster.local.", .a, snap).1 == .zone)             // no cluster shape
        #expect(compute("a.b.c.default.svc.cluster.local.", .a, snap).1 == .zone)
        #expect(compute("nope.svc.cluster.local.", .a, snap).1 == .snapshot)                // namespace: NXDOMAIN
        #expect(compute("default.svc.cluster.local.", .a, snap).1 == .snapshot)             // namespace: NODATA
        #expect(compute("ext.default.svc.cluster.local.", .a, snap).1 == .snapshot)        // CNAME
        #expect(compute("10-1-0-1.default.pod.cluster.local.", .a, snap).1 == .snapshot)
        #expect(compute("1.0.1.10.in-addr.arpa.", .ptr, snap).1 == .snapshot)
    }

    /// True when no two of `subjects` share a `ChangeMarks` slot. A test that expects an answer to
    /// survive other subjects' changes requires it: sharing a slot would drop the answer too (a
    /// harmless needless recomputation, but not what the test checks). Slots are a fixed hash, so
    /// this holds or fails the same way in every run.
    static func distinctSlots(_ subjects: [ChangeMarks.Subject]) -> Bool {
        Set(subjects.map(\.slot)).count == subjects.count
    }

    static func apiChanges(_ count: Int) -> [ChangeMarks.Subject] {
        let api = ServiceKey(namespace: "default", name: "api")
        return [.service(api), .serviceObject(api)] + (1...count).map { .endpoint(api, label: "api-\($0)") }
    }

    @Test("an answer about web survives changes to api and is dropped when web's endpoints change")
    func survivesOtherServicesChurn() throws {
        try #require(Self.distinctSlots([.service(ServiceKey(namespace: "default", name: "web"))] + Self.apiChanges(5)))
        let store = ClusterStore()
        let cache = AnswerCache(marks: store.changeMarks)
        var snap = store.replace(source: "t", with: try objects(Self.services + "\n---\n" + Self.pod("web-0", app: "web", ip: "10.1.0.1")))
        let name: DomainName = "web.default.svc.cluster.local."
        let query = Message.query(name, .a, id: 1).wire()
        let key = AnswerCache.Key(query: ByteBuffer(bytes: query), tcp: false, transferAllowed: false)
        func fill() {
            let (reply, scope) = compute(name, .a, snap)
            cache.store(reply, query: query, tcp: false, transferAllowed: false, snapshot: snap, scope: scope, epoch: cache.epoch)
        }
        fill()
        // Churn in another Service: many new generations, the cached answer stays and is exact.
        for i in 1...5 {
            snap = store.apply([.upsert(try objects(Self.pod("api-\(i)", app: "api", ip: "10.2.0.\(i)"))[0])])
            let hit = try #require(cache.reply(for: key, in: snap), "dropped after an api change (\(i))")
            #expect(Array(hit.readableBytesView) == compute(name, .a, snap).0)
        }
        // web's own endpoints change: the cached answer is not served; the new one is different.
        snap = store.apply([.upsert(try objects(Self.pod("web-1", app: "web", ip: "10.1.0.2"))[0])])
        #expect(cache.reply(for: key, in: snap) == nil)
        fill()
        #expect(try Message(wire: Array(try #require(cache.reply(for: key, in: snap)).readableBytesView)).answers.count == 2)
        // Readiness flip of a web pod: dropped again.
        snap = store.apply([.upsert(try objects(Self.pod("web-1", app: "web", ip: "10.1.0.2", ready: false))[0])])
        #expect(cache.reply(for: key, in: snap) == nil)
        // The Service itself deleted and re-created with the same content: a new revision, dropped.
        fill()
        let webService = try objects(Self.services)[0]
        _ = store.apply([.delete(webService.key)])
        snap = store.apply([.upsert(webService)])
        #expect(cache.reply(for: key, in: snap) == nil)
    }

    @Test("a ClusterIP Service's answers survive its own endpoints' churn and are dropped when its object changes")
    func clusterIPAnswersIgnoreEndpoints() throws {
        let db = ServiceKey(namespace: "default", name: "db")
        let service = """
            apiVersion: v1
            kind: Service
            metadata: {name: db, namespace: default}
            spec: {clusterIP: 10.96.0.5, selector: {app: db}, ports: [{name: http, port: 80, targetPort: http}]}
            """
        let store = ClusterStore()
        let cache = AnswerCache(marks: store.changeMarks)
        var snap = store.replace(source: "t", with: try objects(service + "\n---\n" + Self.pod("db-0", app: "db", ip: "10.3.0.1")))
        // The cluster IP (§2.3.1), the port's SRV (§2.3.2), NODATA for AAAA, NXDOMAIN for an unknown port.
        let questions: [(DomainName, RecordType)] = [("db.default.svc.cluster.local.", .a), ("_http._tcp.db.default.svc.cluster.local.", .srv),
                                                     ("db.default.svc.cluster.local.", .aaaa), ("_x._tcp.db.default.svc.cluster.local.", .srv)]
        func key(_ q: (DomainName, RecordType)) -> AnswerCache.Key {
            AnswerCache.Key(query: ByteBuffer(bytes: Message.query(q.0, q.1, id: 1).wire()), tcp: false, transferAllowed: false)
        }
        func fill() {
            for q in questions {
                let (reply, scope) = compute(q.0, q.1, snap)
                #expect(scope == .serviceObject(db), "\(q.0) \(q.1)")
                cache.store(reply, query: Message.query(q.0, q.1, id: 1).wire(), tcp: false, transferAllowed: false,
                            snapshot: snap, scope: scope, epoch: cache.epoch)
            }
        }
        fill()
        // Its endpoints change (a pod flips, another joins, the first leaves): every answer is kept, exact.
        let changes: [ClusterChange] = [.upsert(try objects(Self.pod("db-0", app: "db", ip: "10.3.0.1", ready: false))[0]),
                                        .upsert(try objects(Self.pod("db-1", app: "db", ip: "10.3.0.2"))[0]),
                                        .delete(ObjectKey(kind: .pod, namespace: "default", name: "db-0"))]
        for (i, change) in changes.enumerated() {
            let before = snap.services[db]
            snap = store.apply([change])
            #expect(snap.services[db] != before, "change \(i) changed the endpoints")
            for q in questions {
                let hit = try #require(cache.reply(for: key(q), in: snap), "\(q.0) \(q.1) dropped after endpoint change \(i)")
                #expect(Array(hit.readableBytesView) == compute(q.0, q.1, snap).0, "\(q.0) \(q.1) after change \(i)")
            }
        }
        // The Service object changes (its cluster IP): every answer is dropped.
        snap = store.apply([.upsert(try objects(service.replacingOccurrences(of: "10.96.0.5", with: "10.96.0.6"))[0])])
        for q in questions { #expect(cache.reply(for: key(q), in: snap) == nil, "\(q.0) \(q.1)") }
        #expect(try Message(wire: compute(questions[0].0, .a, snap).0).answers.map(\.data) == [.a(IPv4Address(10, 96, 0, 6))])
    }

    @Test("a pod's own name survives its siblings' changes and is dropped by its own, or by its Service's")
    func endpointNamesSurviveSiblingsChurn() throws {
        let store = ClusterStore()
        let cache = AnswerCache(marks: store.changeMarks)
        var snap = store.replace(source: "t", with: try objects(Self.services + "\n---\n" + Self.pod("web-0", app: "web", ip: "10.1.0.1")
                                                                + "\n---\n" + Self.pod("web-1", app: "web", ip: "10.1.0.2")))
        let names: [DomainName] = ["web-0.web.default.svc.cluster.local.", "web-7.web.default.svc.cluster.local."]
        func key(_ name: DomainName) -> AnswerCache.Key {
            AnswerCache.Key(query: ByteBuffer(bytes: Message.query(name, .a, id: 1).wire()), tcp: false, transferAllowed: false)
        }
        func fill() {
            for name in names {
                let (reply, scope) = compute(name, .a, snap)
                cache.store(reply, query: Message.query(name, .a, id: 1).wire(), tcp: false, transferAllowed: false,
                            snapshot: snap, scope: scope, epoch: cache.epoch)
            }
        }
        let web = ServiceKey(namespace: "default", name: "web")
        try #require(Self.distinctSlots([.service(web), .serviceObject(web)] + ["web-0", "web-1", "web-2", "web-7"].map {
            ChangeMarks.Subject.endpoint(web, label: $0)
        }))
        fill()
        // web-1 flips, another pod joins: web-0's answer and web-7's NXDOMAIN stay, byte for byte.
        for (i, change) in [Self.pod("web-1", app: "web", ip: "10.1.0.2", ready: false), Self.pod("web-2", app: "web", ip: "10.1.0.3"),
                            Self.pod("web-1", app: "web", ip: "10.1.0.2")].enumerated() {
            snap = store.apply([.upsert(try objects(change)[0])])
            for name in names {
                let hit = try #require(cache.reply(for: key(name), in: snap), "\(name) dropped after sibling change \(i)")
                #expect(Array(hit.readableBytesView) == compute(name, .a, snap).0, "\(name) after sibling change \(i)")
            }
        }
        // web-0 itself turns not ready: its answer is dropped, web-7's is not.
        snap = store.apply([.upsert(try objects(Self.pod("web-0", app: "web", ip: "10.1.0.1", ready: false))[0])])
        #expect(cache.reply(for: key(names[0]), in: snap) == nil)
        #expect(cache.reply(for: key(names[1]), in: snap) != nil)
        #expect(try Message(wire: compute(names[0], .a, snap).0).rcode == .nxDomain)
        // web-7 appears: its NXDOMAIN is dropped.
        fill()
        snap = store.apply([.upsert(try objects(Self.pod("web-7", app: "web", ip: "10.1.0.7"))[0])])
        #expect(cache.reply(for: key(names[1]), in: snap) == nil)
        #expect(cache.reply(for: key(names[0]), in: snap) != nil)
        // The Service object changes (its ports): every name under it is dropped.
        fill()
        snap = store.apply([.upsert(try objects(Self.services.replacingOccurrences(of: "port: 80,", with: "port: 81,"))[0])])
        for name in names { #expect(cache.reply(for: key(name), in: snap) == nil, "\(name)") }
    }

    @Test("bounded: a full cache drops stale replies first, then random ones")
    func bounded() throws {
        let store = ClusterStore()
        let snap = store.replace(source: "t", with: try objects(Self.services))
        let cache = AnswerCache(marks: store.changeMarks, capacity: 160, byteCapacity: 1 << 30, shardCount: 16)   // 10 per shard
        for i in 0..<1_000 { storeNegative(i, cache, snap) }
        #expect(cache.usage.entries <= 160 && cache.usage.entries >= 16)
        #expect(cache.reply(for: negativeKey(999), in: snap) != nil)     // the latest is always kept
    }

    @Test("every 64 generations a shard drops the replies no snapshot will serve again")
    func sweeps() throws {
        let store = ClusterStore()
        var snap = store.replace(source: "t", with: try objects(Self.services))
        let cache = AnswerCache(marks: store.changeMarks, shardCount: 16, sweepInterval: .zero)
        for i in 0..<100 { storeNegative(i, cache, snap) }
        #expect(cache.usage.entries == 100)
        for i in 0..<AnswerCache.sweepEvery {
            snap = store.apply([.upsert(try objects(Self.pod("api-\(i)", app: "api", ip: "10.2.0.\(i + 1)"))[0])])
        }
        for i in 0..<400 { storeNegative(10_000 + i, cache, snap) }    // touches every shard
        #expect(cache.usage.entries == 400)                              // the 100 of the old generation are gone
        // And their bytes with them: the swept cache accounts for what a fresh one holding the
        // same 400 replies does.
        let fresh = AnswerCache(marks: store.changeMarks, shardCount: 16, sweepInterval: .zero)
        for i in 0..<400 { storeNegative(10_000 + i, fresh, snap) }
        #expect(cache.usage.bytes == fresh.usage.bytes)
    }

    func negativeKey(_ i: Int) -> AnswerCache.Key {
        AnswerCache.Key(query: ByteBuffer(bytes: Message.query(DomainName("n\(i).svc.cluster.local.")!, .a, id: 1).wire()),
                        tcp: false, transferAllowed: false)
    }

    func storeNegative(_ i: Int, _ cache: AnswerCache, _ snap: ClusterSnapshot) {
        let name = DomainName("n\(i).svc.cluster.local.")!        // a namespace: one generation
        let (reply, scope) = compute(name, .a, snap)
        cache.store(reply, query: Message.query(name, .a, id: 1).wire(), tcp: false, transferAllowed: false,
                    snapshot: snap, scope: scope, epoch: cache.epoch)
    }

    @Test("a negative answer is served, its SOA serial advanced, until its name can exist; a namespace's for one generation")
    func negativeAnswersAcrossGenerations() throws {
        let nope = ServiceKey(namespace: "default", name: "nope")
        try #require(Self.distinctSlots([.service(nope), .serviceObject(nope), .endpoint(nope, label: "x")] + Self.apiChanges(3)))
        let store = ClusterStore()
        let cache = AnswerCache(marks: store.changeMarks)
        var snap = store.replace(source: "t", with: try objects(Self.services))
        func key(_ query: [UInt8]) -> AnswerCache.Key { AnswerCache.Key(query: ByteBuffer(bytes: query), tcp: false, transferAllowed: false) }
        let names: [DomainName] = ["nope.default.svc.cluster.local.", "x.nope.default.svc.cluster.local.",
                                   "www.example.com.cluster.local.", "nope.svc.cluster.local."]
        for name in names {
            let (reply, scope) = compute(name, .a, snap)
            cache.store(reply, query: Message.query(name, .a, id: 1).wire(), tcp: false, transferAllowed: false, snapshot: snap, scope: scope, epoch: cache.epoch)
        }
        let soaSerial = { (bytes: [UInt8]) -> UInt32? in
            guard case .soa(let soa)? = try? Message(wire: bytes).authority.first?.data else { return nil }
            return soa.serial
        }
        let first = try #require(soaSerial(compute(names[0], .a, snap).0))
        for i in 1...3 {
            snap = store.apply([.upsert(try objects(Self.pod("api-\(i)", app: "api", ip: "10.2.0.\(i)"))[0])])
            for name in names.prefix(3) {
                let query = Message.query(name, .a, id: 1).wire()
                let hit = try #require(cache.reply(for: key(query), in: snap), "\(name) dropped after an api change (\(i))")
                #expect(Array(hit.readableBytesView) == compute(name, .a, snap).0, "\(name) after \(i) changes")
                #expect(soaSerial(Array(hit.readableBytesView)) == first &+ UInt32(i))
            }
            #expect(cache.reply(for: key(Message.query(names[3], .a, id: 1).wire()), in: snap) == nil)
        }
        // The Service appears: the negative answers about its names are not served any more.
        snap = store.apply([.upsert(try objects("""
            apiVersion: v1
            kind: Service
            metadata: {name: nope, namespace: default}
            spec: {clusterIP: 10.96.0.9, ports: [{port: 80}]}
            """)[0])])
        for name in names.prefix(2) {
            #expect(cache.reply(for: key(Message.query(name, .a, id: 1).wire()), in: snap) == nil, "\(name)")
        }
        let zoneWide = try #require(cache.reply(for: key(Message.query(names[2], .a, id: 1).wire()), in: snap))
        #expect(Array(zoneWide.readableBytesView) == compute(names[2], .a, snap).0)
    }

    @Test("the serial of a negative reply is found behind compressed names, and only in a negative reply")
    func serialOffsets() throws {
        let snap = ClusterStore().replace(source: "t", with: try objects(Self.services))
        let (negative, _) = compute("nope.default.svc.cluster.local.", .a, snap)
        let at = try #require(AnswerCache.Stored.serialOffset(negative))
        guard case .soa(let soa)? = try Message(wire: negative).authority.first?.data else { Issue.record("no SOA"); return }
        #expect(negative[at..<(at + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } == soa.serial)
        let (positive, _) = compute("ext.default.svc.cluster.local.", .a, snap)          // a CNAME
        #expect(AnswerCache.Stored.serialOffset(positive) == nil)
        #expect(AnswerCache.Stored.serialOffset(Array(negative.prefix(at + 2))) == nil)   // cut short
    }

    @Test("an entry keeps the question once (the reply's copy) and matches its own query only")
    func storedEntryMatchesItsQueryOnly() throws {
        let snap = ClusterStore().replace(source: "t", with: try objects(Self.services))
        let name: DomainName = "Web.default.svc.cluster.local."        // the client's spelling is kept
        let query = Message.query(name, .a, id: 7).wire()
        let (reply, _) = compute(name, .a, snap)
        let stored = AnswerCache.Stored.make(query: query, reply: reply, tcp: false, transferAllowed: false,
                                             generation: snap.generation, validity: .generation)
        let question = AnswerCache.Stored.questionLength(query)
        #expect(question == name.labelBytes.reduce(1) { $0 + $1.count + 1 } + 4)
        #expect(Int(stored.header.sharedLength) == question, "the reply repeats the question byte for byte")
        func matches(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { stored.matches($0) } }
        var other = query; other[0] = 0x55; other[1] = 0xAA
        #expect(matches(other), "the ID does not count")
        for i in 2..<query.count {                                      // any other byte does
            var changed = query
            changed[i] ^= 0x20
            #expect(!matches(changed), "byte \(i)")
        }
        #expect(!matches(Array(query.dropLast())))
        // A reply without the question (shared nothing) still matches by the stored bytes alone.
        let bare = AnswerCache.Stored.make(query: query, reply: Array(reply.prefix(12)), tcp: false, transferAllowed: false,
                                           generation: snap.generation, validity: .generation)
        #expect(bare.header.sharedLength == 0)
        #expect(query.withUnsafeBytes { bare.matches($0) })
        #expect(!Array(query.prefix(query.count - 1) + [query.last! ^ 1]).withUnsafeBytes { bare.matches($0) })
    }

    @Test("removeAll empties the cache, and a reply computed before it (from the zones it replaced) is not stored after it")
    func removeAllEndsAnEpoch() throws {
        let store = ClusterStore()
        let cache = AnswerCache(marks: store.changeMarks)
        let snap = store.replace(source: "t", with: try objects(Self.services))
        let name: DomainName = "web.default.svc.cluster.local."
        let query = Message.query(name, .a, id: 1).wire()
        let key = AnswerCache.Key(query: ByteBuffer(bytes: query), tcp: false, transferAllowed: false)
        let (reply, scope) = compute(name, .a, snap)
        let before = cache.epoch
        cache.store(reply, query: query, tcp: false, transferAllowed: false, snapshot: snap, scope: scope, epoch: before)
        #expect(cache.reply(for: key, in: snap) != nil)
        cache.removeAll()
        #expect(cache.reply(for: key, in: snap) == nil && cache.usage.entries == 0)
        cache.store(reply, query: query, tcp: false, transferAllowed: false, snapshot: snap, scope: scope, epoch: before)
        #expect(cache.reply(for: key, in: snap) == nil, "a reply of the ended epoch was stored")
        cache.store(reply, query: query, tcp: false, transferAllowed: false, snapshot: snap, scope: scope, epoch: cache.epoch)
        #expect(cache.reply(for: key, in: snap) != nil)
    }
}
