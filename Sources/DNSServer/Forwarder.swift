import NIOCore
import NIOPosix
import Logging
import Synchronization
import DNSModel
import DNSWire

/// How queries are forwarded.
public struct ForwarderConfiguration: Sendable {
    /// Upstream resolvers, tried in turn.
    public var upstreams: [SocketAddress]
    /// How long to wait for one upstream before the next (over UDP, and again over TCP after TC).
    public var timeout: Duration
    /// How long one forwarded query should take in all: each upstream gets its share of it (at
    /// least 500 ms), and those that did not answer are asked once more while it lasts; then the
    /// client gets SERVFAIL. Below the 5 s a stub resolver waits (glibc, dig), so the client
    /// hears SERVFAIL before it gives up.
    public var deadline: Duration
    /// Most forwards waiting for an upstream at once; past it the client gets SERVFAIL at once.
    public var maxInFlight: Int
    /// Most cached answers (0 disables the cache).
    public var cacheEntries: Int
    /// The EDNS payload size we offer upstreams and to clients of forwarded answers.
    public var maxUDPSize: Int
    /// How long past its TTL a cached answer may still be served, with a TTL of 30 s and EDE 3
    /// (Stale Answer), when no upstream answers (RFC 8767); zero: never.
    public var serveStale: Duration

    public init(upstreams: [SocketAddress], timeout: Duration = .seconds(2), deadline: Duration = .seconds(4),
                maxInFlight: Int = 1000, cacheEntries: Int = 10_000, maxUDPSize: Int = 1232, serveStale: Duration = .zero) {
        self.upstreams = upstreams; self.timeout = timeout; self.deadline = deadline; self.maxInFlight = maxInFlight
        self.cacheEntries = cacheEntries; self.maxUDPSize = maxUDPSize; self.serveStale = serveStale
    }
}

/// Forwards queries for names outside our zones to upstream resolvers (a stub forwarder, as
/// CoreDNS's `forward`): a random ID and a fresh source port per query, replies accepted only
/// when ID and question match, a timeout per upstream then the next, TCP after TC, a bound on
/// forwards in flight, a cache, and loop detection. Event-loop friendly: `respond` never blocks.
public final class Forwarder: Sendable {
    /// EDNS option code (local/experimental range, RFC 6891 §9) carrying this process's tag on
    /// every forwarded query, so a query that comes back to our own listener is recognised. The
    /// tags a query arrived with are forwarded too (up to `maxCarriedTags`), so a loop through
    /// other forwarders of this kind (A → B → A) is recognised as well.
    public static let loopTagOption: UInt16 = 65_001
    /// Most loop tags carried on from a query: longer forwarding chains are not followed.
    static let maxCarriedTags = 8

    public let configuration: ForwarderConfiguration
    /// The answer cache, when enabled.
    public let cache: ResponseCache?
    let group: any EventLoopGroup
    let logger: Logger
    let tag: [UInt8]
    private let inFlightCount = Atomic<Int>(0)
    /// The upstream that answered last: tried first next time, so a dead first upstream costs
    /// one timeout rather than one per query.
    private let preferred = Atomic<Int>(0)
    private let loopsSeen = Atomic<Int>(0)

    public init(configuration: ForwarderConfiguration, group: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration; self.group = group; self.logger = logger
        self.cache = configuration.cacheEntries > 0
            ? ResponseCache(capacity: configuration.cacheEntries,
                            staleWindow: UInt32(clamping: configuration.serveStale.components.seconds)) : nil
        var rng = SystemRandomNumberGenerator()
        self.tag = (0..<8).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// Forwards waiting for an upstream now.
    public var inFlight: Int { inFlightCount.load(ordering: .relaxed) }
    /// Looped queries seen (our own forwarded queries arriving at our listener).
    public var loopsDetected: Int { loopsSeen.load(ordering: .relaxed) }

    /// True when `query` is one this process forwarded, back at our own listener.
    public func isLooped(_ query: Message) -> Bool {
        query.edns?.options.contains { $0.code == Self.loopTagOption && $0.data == tag } ?? false
    }

    /// The transport reply for a query outside our zones: a cached answer or SERVFAIL at once,
    /// or a deferred forward. The reply keeps the client's ID and question spelling, sets RA,
    /// and fits `maxSize` (TC when cut).
    public func respond(to query: Message, maxSize: Int) -> DNSReply {
        guard let question = query.questions.first else { return .message(Self.failure(query, maxUDPSize: configuration.maxUDPSize).wire(maxSize: maxSize)) }
        if isLooped(query) {
            loopsSeen.add(1, ordering: .relaxed)
            logger.error("forwarding loop: our own forwarded query came back to us; answering SERVFAIL",
                         metadata: ["name": "\(question.name)", "type": "\(question.type)"])
            return .message(Self.failure(query, maxUDPSize: configuration.maxUDPSize,
                                         reason: ExtendedError(ExtendedError.other, "forwarding loop: this query came back to us")).wire(maxSize: maxSize))
        }
        let dnssecOK = query.edns?.dnssecOK ?? false
        let key = ResponseCache.Key(question, dnssecOK: dnssecOK, checkingDisabled: query.checkingDisabled)
        let carried = Self.loopTags(of: query)
        if let cache, let hit = cache.lookup(key) {
            return .message(clientReply(query, hit).wire(maxSize: maxSize))
        }
        guard admit() else {
            logger.warning("too many forwards in flight; answering SERVFAIL", metadata: ["limit": "\(configuration.maxInFlight)"])
            return .message(Self.failure(query, maxUDPSize: configuration.maxUDPSize,
                                         reason: ExtendedError(ExtendedError.other, "too many queries waiting for an upstream")).wire(maxSize: maxSize))
        }
        return .deferred { [self] in
            defer { release() }
            let answer = await forwardAndCache(question, key: key, dnssecOK: dnssecOK, checkingDisabled: query.checkingDisabled,
                                               carrying: carried)
            if answer == nil, let stale = cache?.lookupStale(key) {
                // RFC 8767: the last answer, marked stale (EDE 3, RFC 8914 §4.4) with a short TTL.
                logger.info("no upstream answered; serving a stale answer", metadata: ["name": "\(question.name)"])
                var reply = clientReply(query, stale)
                reply.edns?.options.append(ExtendedError(ExtendedError.staleAnswer, "stale answer: no upstream answered").option)
                return reply.wire(maxSize: maxSize)
            }
            guard let answer else {
                return Self.failure(query, maxUDPSize: configuration.maxUDPSize,
                                    reason: ExtendedError(ExtendedError.noReachableAuthority, "no upstream answered")).wire(maxSize: maxSize)
            }
            return clientReply(query, answer).wire(maxSize: maxSize)
        }
    }

    /// Resolves one question through the cache and the upstreams (for CNAME targets outside
    /// our zones). Nil when every upstream failed or too many forwards are in flight.
    public func resolve(_ question: Question, dnssecOK: Bool = false, checkingDisabled: Bool = false) async -> ForwardedAnswer? {
        let key = ResponseCache.Key(question, dnssecOK: dnssecOK, checkingDisabled: checkingDisabled)
        if let cache, let hit = cache.lookup(key) { return hit }
        guard admit() else { return nil }
        defer { release() }
        let answer = await forwardAndCache(question, key: key, dnssecOK: dnssecOK, checkingDisabled: checkingDisabled)
        return answer ?? cache?.lookupStale(key)                       // RFC 8767, as `respond`
    }

    private func admit() -> Bool {
        let now = inFlightCount.wrappingAdd(1, ordering: .relaxed).newValue
        if now > configuration.maxInFlight {
            inFlightCount.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    private func release() { inFlightCount.subtract(1, ordering: .relaxed) }

    /// The loop tags `query` arrived with (other forwarders' and ours), to be carried on.
    static func loopTags(of query: Message) -> [[UInt8]] {
        guard let options = query.edns?.options else { return [] }
        // The newest: a forwarder appends its tag, so tags a client put first cannot push a
        // forwarder's tag out of the list.
        return Array(options.filter { $0.code == loopTagOption && $0.data.count == 8 }.map(\.data).suffix(maxCarriedTags))
    }

    private func forwardAndCache(_ question: Question, key: ResponseCache.Key, dnssecOK: Bool,
                                 checkingDisabled: Bool, carrying carried: [[UInt8]] = []) async -> ForwardedAnswer? {
        guard let reply = await forward(question, dnssecOK: dnssecOK, checkingDisabled: checkingDisabled, carrying: carried) else { return nil }
        let answer = ForwardedAnswer(reply)
        if !reply.truncated { cache?.store(key, answer) }
        return answer
    }

    /// Asks the upstreams in turn, starting with the last one that answered. A reply with
    /// SERVFAIL, REFUSED or NOTIMP moves on to the next upstream; if none does better, the last
    /// such reply is returned. Every upstream is asked once, each waited for `timeout` or its
    /// share of what is left of `deadline` (at least 500 ms), so with three upstreams of which
    /// two are dead the third is still reached in time; an upstream that did not answer is then
    /// asked once more, while the deadline allows (so one lost datagram to a single upstream is
    /// retried, as CoreDNS's `forward` retries within its deadline, and a query to dead
    /// upstreams ends in SERVFAIL before the client's own timeout). FORMERR, or an
    /// extended RCODE (BADVERS, BADCOOKIE: about our hop, never the client's), to a query with
    /// EDNS is asked again without it (RFC 6891 §7, an upstream that does not speak EDNS); if
    /// that fails too, the upstream counts as failed, and the client gets SERVFAIL rather than
    /// an error that blames its own query (as BIND and Unbound do). Nil when no upstream gave a
    /// usable reply.
    func forward(_ question: Question, dnssecOK: Bool, checkingDisabled: Bool, carrying carried: [[UInt8]] = []) async -> Message? {
        let upstreams = configuration.upstreams
        guard !upstreams.isEmpty else { return nil }
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.deadline
        let start = preferred.load(ordering: .relaxed) % upstreams.count
        var turn = (0..<upstreams.count).map { (start + $0) % upstreams.count }
        var fallback: Message?
        var rounds = 0
        // At most two rounds: an upstream silent twice in a row is not asked a third time.
        while !turn.isEmpty, rounds < 2 {
            rounds += 1
            var silent: [Int] = []
            for (position, index) in turn.enumerated() {
                let remaining = deadline - clock.now
                let timeout: Duration
                if rounds == 1 {
                    // Each upstream not yet asked gets its share of the time left.
                    let share = remaining / (turn.count - position)
                    timeout = min(configuration.timeout, max(share, .milliseconds(500)))
                } else {
                    // A second try only while the deadline leaves an upstream time to answer.
                    guard remaining >= .milliseconds(100) else { return fallback }
                    timeout = min(configuration.timeout, remaining)
                }
                let upstream = upstreams[index]
                // Every leg of this attempt (UDP, TCP after TC, again without EDNS) ends by then.
                let until = clock.now + timeout
                do {
                    var reply = try await exchange(question, with: upstream, edns: true, dnssecOK: dnssecOK,
                                                   checkingDisabled: checkingDisabled, carrying: carried, until: until)
                    if Self.rejectsOurQuery(reply) {
                        logger.debug("upstream rejected an EDNS query; asking without EDNS", metadata: [
                            "upstream": "\(upstream)", "rcode": "\(reply.rcode)", "name": "\(question.name)"])
                        reply = try await exchange(question, with: upstream, edns: false, dnssecOK: dnssecOK,
                                                   checkingDisabled: checkingDisabled, carrying: carried, until: until)
                    }
                    switch reply.rcode {
                    case _ where Self.rejectsOurQuery(reply):
                        logger.warning("upstream rejected our query", metadata: [
                            "upstream": "\(upstream)", "rcode": "\(reply.rcode)", "name": "\(question.name)"])
                    case .servFail, .refused, .notImp:
                        logger.debug("upstream failed the query", metadata: [
                            "upstream": "\(upstream)", "rcode": "\(reply.rcode)", "name": "\(question.name)"])
                        fallback = reply
                    default:
                        if index != start { preferred.store(index, ordering: .relaxed) }
                        return reply
                    }
                } catch UpstreamError.timeout {
                    logger.warning("upstream did not answer", metadata: [
                        "upstream": "\(upstream)", "error": "timeout", "name": "\(question.name)"])
                    silent.append(index)
                } catch {
                    // Refused, unreachable: asking again would fail the same way.
                    logger.warning("upstream did not answer", metadata: [
                        "upstream": "\(upstream)", "error": "\(error)", "name": "\(question.name)"])
                }
            }
            turn = silent
        }
        return fallback
    }

    /// FORMERR or an extended RCODE: the upstream found fault with our query, not the client's.
    static func rejectsOurQuery(_ reply: Message) -> Bool {
        reply.rcode == .formErr || reply.rcode.rawValue > 15
    }

    /// One question to one upstream over UDP, again over TCP when the reply is truncated. With
    /// `edns`, the query carries OPT (our payload size, DO, the loop tags it arrived with and
    /// ours); without, it is a plain RFC 1035 query (512-byte replies). AD is always set: the
    /// upstream then says whether it validated the answer (RFC 6840 §5.7), which the client
    /// hears when it asked with AD or DO.
    private func exchange(_ question: Question, with upstream: SocketAddress, edns: Bool, dnssecOK: Bool,
                          checkingDisabled: Bool, carrying carried: [[UInt8]], until: ContinuousClock.Instant) async throws -> Message {
        func left() throws -> TimeAmount {
            let d = until - .now
            guard d > .zero else { throw UpstreamError.timeout }
            return TimeAmount(d)
        }
        let id = UInt16.random(in: 0...UInt16.max)
        let tags = carried.filter { $0 != tag } + [tag]
        let query = Message(id: id, recursionDesired: true, authenticData: true, checkingDisabled: checkingDisabled,
                            questions: [question],
                            edns: edns ? EDNS(udpPayloadSize: UInt16(configuration.maxUDPSize), dnssecOK: dnssecOK,
                                              options: tags.map { EDNSOption(code: Self.loopTagOption, data: $0) }) : nil)
        let matcher = ReplyMatcher(id: id, question: question)
        let loop = group.next()
        let reply = try await UpstreamExchange.exchange(query.wire(), matcher: matcher, to: upstream, tcp: false,
                                                        timeout: try left(), on: loop)
        guard reply.truncated else { return reply }
        return try await UpstreamExchange.exchange(query.wire(), matcher: matcher, to: upstream, tcp: true,
                                                   timeout: try left(), on: loop)
    }

    /// The client's reply from an upstream answer: the client's ID, question (spelling kept),
    /// RD and CD; RA set; AD as the upstream set it when the client asked with AD or DO (RFC
    /// 6840 §5.7: glibc's `trust-ad` sends AD without DO); an OPT only when the client sent one.
    func clientReply(_ query: Message, _ answer: ForwardedAnswer) -> Message {
        Message(id: query.id, isResponse: true, opcode: query.opcode, recursionDesired: query.recursionDesired,
                recursionAvailable: true,
                authenticData: answer.authenticData && (query.authenticData || (query.edns?.dnssecOK ?? false)),
                checkingDisabled: query.checkingDisabled, rcode: answer.rcode, questions: query.questions,
                answers: answer.answers, authority: answer.authority,
                additional: answer.additional.filter { $0.type != .opt },
                edns: query.edns.map { EDNS(udpPayloadSize: UInt16(configuration.maxUDPSize), dnssecOK: $0.dnssecOK) })
    }

    /// SERVFAIL for `query`, with RA set, and for an EDNS client the reason as an Extended DNS
    /// Error (RFC 8914: INFO-CODE, text) when given.
    public static func failure(_ query: Message, maxUDPSize: Int = 1232, reason: ExtendedError? = nil) -> Message {
        Message(id: query.id, isResponse: true, opcode: query.opcode, recursionDesired: query.recursionDesired,
                recursionAvailable: true, checkingDisabled: query.checkingDisabled, rcode: .servFail,
                questions: query.questions,
                edns: query.edns.map {
                    EDNS(udpPayloadSize: UInt16(maxUDPSize), dnssecOK: $0.dnssecOK,
                         options: reason.map { [$0.option] } ?? [])
                })
    }
}
