/// An Extended DNS Error (RFC 8914): an INFO-CODE and a text for people, sent as an EDNS option.
public struct ExtendedError: Sendable, Equatable {
    /// The INFO-CODE (RFC 8914 §4).
    public var code: UInt16
    /// The EXTRA-TEXT.
    public var text: String
    /// An error with its code and text.
    public init(_ code: UInt16, _ text: String) { self.code = code; self.text = text }

    /// 0, Other Error: the code for what RFC 8914 has none for (a reason given in the text).
    public static let other: UInt16 = 0
    /// 3, Stale Answer: served from a cache past its TTL (RFC 8767).
    public static let staleAnswer: UInt16 = 3
    /// 14, Not Ready: the server has not loaded its data yet.
    public static let notReady: UInt16 = 14
    /// 18, Prohibited: refused by policy (an ACL).
    public static let prohibited: UInt16 = 18
    /// 20, Not Authoritative: a name outside the zones served, with no upstream to ask.
    public static let notAuthoritative: UInt16 = 20
    /// 21, Not Supported: a class or an operation the server does not serve.
    public static let notSupported: UInt16 = 21
    /// 22, No Reachable Authority: no upstream answered.
    public static let noReachableAuthority: UInt16 = 22

    /// The EDNS option carrying it: INFO-CODE, then EXTRA-TEXT in UTF-8 (RFC 8914 §2).
    public var option: EDNSOption {
        EDNSOption(code: EDNSOption.extendedErrorCode, data: [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(text.utf8))
    }
}
