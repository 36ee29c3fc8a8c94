/// The EDNS(0) pseudo-record fields (RFC 6891 §6.1).
public struct EDNS: Hashable, Sendable {
    /// Requestor's UDP payload size.
    public var udpPayloadSize: UInt16
    /// Upper 8 bits of the extended RCODE.
    public var extendedRCode: UInt8
    /// The EDNS version; 0 is the only one defined.
    public var version: UInt8
    /// The DO bit (RFC 3225).
    public var dnssecOK: Bool
    /// Options as (code, data), kept raw.
    public var options: [EDNSOption]
    /// An OPT record; the defaults are what this server sends (1232 bytes, DNS Flag Day 2020).
    public init(udpPayloadSize: UInt16 = 1232, extendedRCode: UInt8 = 0, version: UInt8 = 0,
                dnssecOK: Bool = false, options: [EDNSOption] = []) {
        self.udpPayloadSize = udpPayloadSize; self.extendedRCode = extendedRCode
        self.version = version; self.dnssecOK = dnssecOK; self.options = options
    }
}

/// One EDNS option (RFC 6891 §6.1.2).
public struct EDNSOption: Hashable, Sendable {
    /// The OPTION-CODE.
    public var code: UInt16
    /// The OPTION-DATA, raw.
    public var data: [UInt8]
    /// An option with its code and data.
    public init(code: UInt16, data: [UInt8]) { self.code = code; self.data = data }
    /// NSID, the name server identifier (RFC 5001): empty in a query, the identifier in a reply.
    public static let nsidCode: UInt16 = 3
    /// Extended DNS Error (RFC 8914 §2).
    public static let extendedErrorCode: UInt16 = 15

}

/// A DNS message (RFC 1035 §4.1). `rcode` holds the full 12-bit code; encoding splits it
/// between the header and OPT.
public struct Message: Hashable, Sendable {
    /// The ID, copied from query to reply.
    public var id: UInt16
    /// The QR bit: a reply.
    public var isResponse: Bool
    /// The OPCODE (QUERY, NOTIFY, UPDATE, ...).
    public var opcode: OpCode
    /// The AA bit: an authoritative answer.
    public var authoritative: Bool
    /// The TC bit: the reply was cut to fit (retry over TCP).
    public var truncated: Bool
    /// The RD bit, copied from query to reply.
    public var recursionDesired: Bool
    /// The RA bit.
    public var recursionAvailable: Bool
    /// The AD bit (RFC 4035 §3.2.3).
    public var authenticData: Bool
    /// The CD bit (RFC 4035 §3.2.2).
    public var checkingDisabled: Bool
    /// The full 12-bit RCODE (header bits and the OPT record's upper 8).
    public var rcode: ResponseCode
    /// The question section.
    public var questions: [Question]
    /// The answer section.
    public var answers: [ResourceRecord]
    /// The authority section (the SOA of a negative answer, NS of a referral).
    public var authority: [ResourceRecord]
    /// The additional section, without the OPT pseudo-record.
    public var additional: [ResourceRecord]
    /// The OPT pseudo-record, when present.
    public var edns: EDNS?

    /// A message from its header bits and sections; the defaults make an empty query.
    public init(id: UInt16 = 0, isResponse: Bool = false, opcode: OpCode = .query,
                authoritative: Bool = false, truncated: Bool = false, recursionDesired: Bool = false,
                recursionAvailable: Bool = false, authenticData: Bool = false,
                checkingDisabled: Bool = false, rcode: ResponseCode = .noError,
                questions: [Question] = [], answers: [ResourceRecord] = [],
                authority: [ResourceRecord] = [], additional: [ResourceRecord] = [], edns: EDNS? = nil) {
        self.id = id; self.isResponse = isResponse; self.opcode = opcode
        self.authoritative = authoritative; self.truncated = truncated
        self.recursionDesired = recursionDesired; self.recursionAvailable = recursionAvailable
        self.authenticData = authenticData; self.checkingDisabled = checkingDisabled
        self.rcode = rcode; self.questions = questions; self.answers = answers
        self.authority = authority; self.additional = additional; self.edns = edns
    }

    /// A query for one question, with recursion desired, as a stub resolver sends it.
    public static func query(_ name: DomainName, _ type: RecordType, id: UInt16 = 0,
                             edns: EDNS? = EDNS()) -> Message {
        Message(id: id, recursionDesired: true, questions: [Question(name: name, type: type)], edns: edns)
    }
}
