import Synchronization
import Metrics
import DNSModel

/// What an upstream said about one question, without the header bits that belong to the client.
public struct ForwardedAnswer: Sendable, Equatable {
    public var rcode: ResponseCode
    public var answers: [ResourceRecord]
    public var authority: [ResourceRecord]
    public var additional: [ResourceRecord]
    /// The AD bit of the upstream reply.
    public var authenticData: Bool

    public init(rcode: ResponseCode, answers: [ResourceRecord] = [], authority: [ResourceRecord] = [],
                additional: [ResourceRecord] = [], authenticData: Bool = false) {
        self.rcode = rcode; self.answers = answers; self.authority = authority
        self.additional = additional; self.authenticData = authenticData
    }

    /// The upstream reply's sections. A TTL with its top bit set counts as 0 (RFC 2181 §8), so
    /// it is neither passed on nor cached.
    public init(_ reply: Message) {
        func sane(_ records: [ResourceRecord]) -> [ResourceRecord] {
            guard records.contains(where: { $0.ttl > Int32.max.magnitude }) else { return records }
            return records.map { rr in
                var rr = rr
                if rr.ttl > Int32.max.magnitude, rr.type != .opt { rr.ttl = 0 }
                return rr
            }
        }
        self.init(rcode: reply.rcode, answers: sane(reply.answers), authority: sane(reply.authority),
                  additional: sane(reply.additional), authenticData: reply.authenticData)
    }

    /// How long this answer may be cached (nil: not at all). Positive answers: the smallest TTL
    /// of their records; NXDOMAIN and NODATA: min(SOA TTL, SOA minimum) of the authority SOA
    /// (RFC 2308 §5); a negative answer without SOA is not cached. Capped at `maxTTL`.
    public func cacheTTL(maxTTL: UInt32 = 3600, maxNegativeTTL: UInt32 = 1800) -> UInt32? {
        switch rcode {
        case .noError where !answers.isEmpty:
            let ttl = answers.map(\.ttl).min() ?? 0
            return ttl > 0 ? min(ttl, maxTTL) : nil
        case .noError, .nxDomain:
            guard let soa = authority.first(where: { $0.type == .soa }), case .soa(let data) = soa.data else { return nil }
            let ttl = min(soa.ttl, data.minimum)
            return ttl > 0 ? min(ttl, maxNegativeTTL) : nil
        default:
            return nil
        }
    }

    /// The answer with every TTL lowered by `elapsed` seconds and none above `ceiling`.
    func aged(by elapsed: UInt32, ceiling: UInt32) -> ForwardedAnswer {
        func age(_ rrs: [ResourceRecord]) -> [ResourceRecord] {
            rrs.map { rr in
                var rr = rr
                rr.ttl = min(rr.ttl > elapsed ? rr.ttl - elapsed : 0, ceiling)
                return rr
            }
        }
        var out = self
        out.answers = age(answers); out.authority = age(authority); out.additional = age(additional)
        return out
    }
}

/// A bounded cache of forwarded answers, keyed by (lower-cased name, type, class, DO, CD).
/// Entries expire with their TTL; remaining TTLs are served decremented. When full, the entry
/// inserted longest ago is evicted. Only forwarded answers go here: the cluster and static zones
/// are always answered from current data.
public final class ResponseCache: Sendable {
    public struct Key: Hashable, Sendable {
        public var name: DomainName
        public var type: RecordType
        public var `class`: RecordClass
        public var dnssecOK: Bool
        public var checkingDisabled: Bool
        public init(_ question: Question, dnssecOK: Bool, checkingDisabled: Bool) {
            name = question.name.lowercased(); type = question.type; `class` = question.class
            self.dnssecOK = dnssecOK; self.checkingDisabled = checkingDisabled
        }
    }

    struct Entry {
        var answer: ForwardedAnswer
        var stored: ContinuousClock.Instant
        var ttl: UInt32
        var sequence: UInt64
    }

    struct State {
        var entries: [Key: Entry] = [:]
        /// Insertion order as (key, sequence); stale pairs are skipped when evicting.
        var order: [(Key, UInt64)] = []
        var head = 0
        var sequence: UInt64 = 0
    }

    /// Most entries held.
    public let capacity: Int
    /// How long an entry is kept past its TTL, to be served stale when no upstream answers
    /// (RFC 8767); zero: dropped when it expires.
    public let staleWindow: UInt32
    /// The TTL of a stale answer (RFC 8767 §4 recommends 30 s).
    public static let staleTTL: UInt32 = 30
    private let state = Locked(State())
    private let hitCount = Atomic<Int>(0)
    private let missCount = Atomic<Int>(0)
    private let hitsCounter = Counter(label: "clusterdns_forward_cache_hits_total")
    private let missesCounter = Counter(label: "clusterdns_forward_cache_misses_total")

    public init(capacity: Int = 10_000, staleWindow: UInt32 = 0) {
        self.capacity = max(0, capacity); self.staleWindow = staleWindow
    }

    /// Lookups answered from the cache, and lookups that were not, since start.
    public var hits: Int { hitCount.load(ordering: .relaxed) }
    public var misses: Int { missCount.load(ordering: .relaxed) }
    /// Entries currently held (expired ones included until evicted or looked up).
    public var count: Int { state.withLock { $0.entries.count } }

    /// The cached answer with TTLs decremented by its age, or nil (counted as a miss).
    public func lookup(_ key: Key, now: ContinuousClock.Instant = .now) -> ForwardedAnswer? {
        let found: ForwardedAnswer? = state.withLock { s in
            guard let e = s.entries[key] else { return nil }
            let age = now - e.stored
            let elapsed = UInt32(clamping: age.components.seconds)
            guard elapsed < e.ttl else {
                // Kept while it may still be served stale.
                if elapsed >= e.ttl &+ staleWindow || staleWindow == 0 { s.entries[key] = nil }
                return nil
            }
            return e.answer.aged(by: elapsed, ceiling: e.ttl - elapsed)
        }
        if found != nil {
            hitCount.add(1, ordering: .relaxed); hitsCounter.increment()
        } else {
            missCount.add(1, ordering: .relaxed); missesCounter.increment()
        }
        return found
    }

    /// An expired answer still within `staleWindow` past its TTL, every TTL set to `staleTTL`
    /// (RFC 8767 §4), for when no upstream answers; nil when there is none (not counted as a
    /// lookup). A positive answer only: an old NXDOMAIN is not worth repeating.
    public func lookupStale(_ key: Key, now: ContinuousClock.Instant = .now) -> ForwardedAnswer? {
        guard staleWindow > 0 else { return nil }
        return state.withLock { s -> ForwardedAnswer? in
            guard let e = s.entries[key], e.answer.rcode == .noError, !e.answer.answers.isEmpty else { return nil }
            let elapsed = UInt32(clamping: (now - e.stored).components.seconds)
            guard elapsed < e.ttl &+ staleWindow else { return nil }
            return e.answer.aged(by: 0, ceiling: Self.staleTTL)
        }
    }

    /// Stores an answer when it is cacheable; returns whether it was stored.
    @discardableResult
    public func store(_ key: Key, _ answer: ForwardedAnswer, now: ContinuousClock.Instant = .now) -> Bool {
        guard capacity > 0, let ttl = answer.cacheTTL() else { return false }
        state.withLock { s in
            s.sequence += 1
            if s.entries[key] == nil {
                while s.entries.count >= capacity, s.head < s.order.count {
                    let (old, seq) = s.order[s.head]
                    s.head += 1
                    if s.entries[old]?.sequence == seq { s.entries[old] = nil }
                }
            }
            s.entries[key] = Entry(answer: answer, stored: now, ttl: ttl, sequence: s.sequence)
            s.order.append((key, s.sequence))
            if s.order.count - s.head > 2 * max(capacity, 64) {
                // Replaced and expired entries leave stale pairs behind: rebuild from the live ones.
                s.order = s.entries.map { ($0.key, $0.value.sequence) }.sorted { $0.1 < $1.1 }
                s.head = 0
            } else if s.head > 1024, s.head * 2 > s.order.count {
                s.order.removeFirst(s.head); s.head = 0
            }
        }
        return true
    }

    /// Drops every entry.
    public func removeAll() { state.withLock { $0 = State() } }
}
