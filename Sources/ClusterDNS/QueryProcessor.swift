import DNSModel
import DNSWire
import ClusterModel

/// What the transport should do with a query.
public enum QueryOutcome: Sendable {
    /// Send nothing.
    case drop
    /// Send this message.
    case reply([UInt8])
    /// Send these messages in order over the same TCP connection (AXFR).
    case transfer([[UInt8]])
    /// The name is outside our zones: forward `query` upstream (when an upstream is configured).
    case forward(Message)
}

/// Facts about the query's arrival that decide what it may get.
public struct QueryContext: Sendable {
    /// The query came over TCP (no truncation; AXFR allowed).
    public var isTCP: Bool
    /// The client may receive zone transfers (`--transfer-allow`).
    public var transferAllowed: Bool
    /// Names outside our zones go upstream rather than REFUSED.
    public var canForward: Bool
    /// The endpoint store has loaded every source at least once; until then, a name that would be
    /// NXDOMAIN in the cluster zone is SERVFAIL (CoreDNS does the same before its informers sync).
    public var synced: Bool
    /// Builds a context; the defaults are a synced UDP query with no transfer and no forwarding.
    public init(isTCP: Bool = false, transferAllowed: Bool = false, canForward: Bool = false, synced: Bool = true) {
        self.isTCP = isTCP; self.transferAllowed = transferAllowed; self.canForward = canForward; self.synced = synced
    }
}

extension Authority {
    /// The front door, in NSD's order: header length → QR → parse → opcode → question count →
    /// EDNS version → class → transfer → answer. Runts and responses are dropped (RFC 1035
    /// §4.1.1); unparsable messages get FORMERR; other opcodes NOTIMP; other classes REFUSED.
    public func process(_ bytes: [UInt8], context: QueryContext, snapshot: ClusterSnapshot) -> QueryOutcome {
        var scope = ReplyScope.snapshot
        return process(bytes, context: context, snapshot: snapshot, scope: &scope)
    }

    /// `process(_:context:snapshot:)`, also telling how long a reply stays exact (for answer
    /// caches): `.snapshot` unless it is a positive answer about one Service's names.
    package func process(_ bytes: [UInt8], context: QueryContext, snapshot: ClusterSnapshot,
                        scope: inout ReplyScope) -> QueryOutcome {
        scope = .snapshot
        guard bytes.count >= 12, bytes[2] & 0x80 == 0 else { return .drop }
        let query: Message
        do {
            // Octets after the last counted record make the query malformed, as Knot has it.
            query = try Message(wire: bytes, rejectingTrailingBytes: true)
        } catch {
            return .reply(formErrReply(bytes))
        }
        var reply = Message(id: query.id, isResponse: true, opcode: query.opcode,
                            recursionDesired: query.recursionDesired, checkingDisabled: query.checkingDisabled,
                            questions: query.questions)
        if let edns = query.edns {
            reply.edns = EDNS(udpPayloadSize: UInt16(maxUDPSize), dnssecOK: edns.dnssecOK)
            // RFC 5001 §2.1: an NSID option (empty) in the query asks for the server's identifier.
            if let nsid, edns.options.contains(where: { $0.code == EDNSOption.nsidCode }) {
                reply.edns?.options = [EDNSOption(code: EDNSOption.nsidCode, data: nsid)]
            }
        }
        let limit = context.isTCP ? 65535 : udpLimit(query)
        guard query.opcode == .query else {
            // The question (NOTIFY's and UPDATE's zone) is echoed when there is one, as RFC 1996
            // §4.7 and RFC 2136 §3.8 expect of a reply; not the sections we did not read.
            if reply.questions.count > 1 { reply.questions = [] }
            reply.rcode = .notImp
            return .reply(reply.wire(maxSize: limit))
        }
        guard query.questions.count == 1, let question = query.questions.first else {
            reply.questions = []
            reply.rcode = .formErr
            return .reply(reply.wire(maxSize: limit))
        }
        if let edns = query.edns, edns.version > 0 {
            reply.rcode = .badVers                   // RFC 6891 §6.1.3: answer with our version, 0
            return .reply(reply.wire(maxSize: limit))
        }
        // Class ANY is answered like IN (RFC 1035 §3.2.5 QCLASS *); CH, HS, NONE and the rest: REFUSED.
        guard question.class == .in || question.class == .any else {
            reply.rcode = .refused
            Self.explain(&reply, ExtendedError(ExtendedError.notSupported, "class \(question.class) is not served"))
            return .reply(reply.wire(maxSize: limit))
        }
        // TSIG (RFC 8945 §5.1): it must be the last additional record; we hold no keys, so a signed
        // query is refused rather than answered unsigned.
        if let tsig = query.additional.firstIndex(where: { $0.type.rawValue == 250 }) {
            reply.rcode = tsig == query.additional.count - 1 ? .refused : .formErr
            return .reply(reply.wire(maxSize: limit))
        }
        let zone = zone(answering: question, in: snapshot, ownsAllReverse: !context.canForward)
        if question.type == .axfr || question.type == .ixfr {
            return transfer(question, zone: zone, reply: reply, context: context, snapshot: snapshot,
                            clientSOA: query.authority.first { $0.type == .soa })
        }
        if question.type.rawValue == 253 || question.type.rawValue == 254 {
            reply.rcode = .notImp                    // MAILB, MAILA: valid QTYPEs (RFC 1035 §3.2.3), not served
            return .reply(reply.wire(maxSize: limit))
        }
        if question.type.isMetaType && question.type != .any {
            reply.rcode = .formErr                   // OPT or a meta type as QTYPE
            return .reply(reply.wire(maxSize: limit))
        }
        if zone == .outside {
            if context.canForward { return .forward(query) }
            reply.rcode = .refused
            Self.explain(&reply, ExtendedError(ExtendedError.notAuthoritative, "not a zone served here, and no upstream is configured"))
            return .reply(reply.wire(maxSize: limit))
        }
        var answer = answer(question, zone: zone, in: snapshot)
        if !context.synced, zone == .cluster || { if case .reverse = zone { true } else { false } }(),
           answer.rcode == .nxDomain {
            answer.rcode = .servFail
            answer.extendedError = ExtendedError(ExtendedError.notReady, "the cluster state is still loading")
        }
        Self.explain(&reply, answer.extendedError)
        if zone == .cluster { scope = cluster.scope(of: answer, question: question, in: snapshot) }
        reply.authoritative = !answer.isReferral
        reply.rcode = answer.rcode
        reply.answers = answer.answer
        reply.authority = answer.authority
        reply.additional = answer.additional
        return .reply(reply.wire(maxSize: limit))
    }

    /// Adds `error` to the reply as an Extended DNS Error option (RFC 8914), when the query used
    /// EDNS (an option needs an OPT record; a client without EDNS gets the bare rcode).
    static func explain(_ reply: inout Message, _ error: ExtendedError?) {
        guard let error, reply.edns != nil else { return }
        reply.edns?.options.append(error.option)
    }

    /// The UDP reply size: 512 without EDNS (RFC 1035 §4.2.1), else the client's size within
    /// [512, maxUDPSize] (RFC 6891 §6.2.5).
    func udpLimit(_ query: Message) -> Int {
        guard let edns = query.edns else { return 512 }
        return min(max(Int(edns.udpPayloadSize), 512), maxUDPSize)
    }

    /// FORMERR for a message we could not parse: its header and, when its one question reads
    /// (a bad OPT or record after it, say), that question, so the client can match the reply;
    /// else the header alone.
    func formErrReply(_ bytes: [UInt8]) -> [UInt8] {
        var questionOnly = bytes
        for i in 6..<12 { questionOnly[i] = 0 }      // the question section alone
        guard bytes[4] == 0, bytes[5] == 1, let parsed = try? Message(wire: questionOnly),
              let question = parsed.questions.first else {
            return headerOnlyReply(bytes, rcode: .formErr)
        }
        return Message(id: parsed.id, isResponse: true, opcode: parsed.opcode, recursionDesired: parsed.recursionDesired,
                       checkingDisabled: parsed.checkingDisabled, rcode: .formErr, questions: [question]).wire()
    }

    /// A reply for a message we could not parse: its header with QR set, every count zero.
    func headerOnlyReply(_ bytes: [UInt8], rcode: ResponseCode) -> [UInt8] {
        var out = Array(bytes.prefix(12))
        out[2] = (out[2] & 0x78) | 0x80             // QR, keep the opcode, clear AA/TC/RD
        out[2] |= bytes[2] & 0x01                    // keep RD
        out[3] = UInt8(rcode.rawValue & 0xF)
        for i in 4..<12 { out[i] = 0 }
        return out
    }

    /// AXFR and IXFR over TCP to allowed clients (RFC 5936): SOA, every record, SOA, split across
    /// messages of at most ~16 KiB. An IXFR (RFC 1995) whose serial (the SOA in the query's
    /// authority section) is current or newer by serial arithmetic (RFC 1982) gets our SOA alone
    /// (§2: the client is up to date); any other IXFR a full transfer, which §4 allows (we keep
    /// no history of differences). Over UDP an IXFR (from any client) gets our SOA alone, as §2
    /// answers one whose differences do not fit (the client then asks over TCP, or sees it is
    /// current); an AXFR over UDP is refused (RFC 5936 §4.2: TCP only).
    func transfer(_ question: Question, zone: Zone, reply: Message, context: QueryContext,
                  snapshot: ClusterSnapshot, clientSOA: ResourceRecord? = nil) -> QueryOutcome {
        var reply = reply
        // Over UDP the SOA alone goes to any client: it is what a SOA query gives anyone.
        let permitted = context.isTCP ? context.transferAllowed : question.type == .ixfr
        guard permitted, let soa = transferSOA(zone, in: snapshot), question.name == soa.name else {
            reply.rcode = .refused
            Self.explain(&reply, !context.isTCP ? ExtendedError(ExtendedError.notSupported, "AXFR is served over TCP only")
                : !context.transferAllowed ? ExtendedError(ExtendedError.prohibited, "zone transfers are not allowed to this client")
                : ExtendedError(ExtendedError.notAuthoritative, "not the apex of a zone served here"))
            return .reply(reply.wire(maxSize: context.isTCP ? 65535 : udpLimit(reply)))
        }
        reply.authoritative = true
        guard context.isTCP else {
            reply.answers = [soa]
            return .reply(reply.wire(maxSize: udpLimit(reply)))
        }
        guard let records = transferRecords(zone, in: snapshot) else {
            reply.rcode = .refused
            return .reply(reply.wire(maxSize: 65535))
        }
        if question.type == .ixfr, case .soa(let ours) = soa.data {
            let current = clientSOA.map { rr -> Bool in
                guard case .soa(let theirs) = rr.data else { return false }
                return Int32(bitPattern: theirs.serial &- ours.serial) >= 0
            } ?? false
            if current {
                reply.answers = [soa]
                return .reply(reply.wire(maxSize: 65535))
            }
        }
        var messages: [[UInt8]] = []
        var batch: [ResourceRecord] = []
        var size = 0
        func flush() {
            var m = reply
            m.answers = batch
            if !messages.isEmpty { m.questions = [] }
            messages.append(m.wire())
            batch = []; size = 0
        }
        for rr in records + [soa] {
            let estimate = rr.name.wire.count + 10 + 64
            if size + estimate > 16_000, !batch.isEmpty { flush() }
            batch.append(rr); size += estimate
        }
        flush()
        return .transfer(messages)
    }
}
