#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A domain name, stored in uncompressed wire format (RFC 1035 §3.1) with the case as given.
///
/// Equality and hashing ignore ASCII case (RFC 4343); `description` keeps the original case.
public struct DomainName: Sendable, Hashable, CustomStringConvertible, Comparable {
    /// Wire bytes: length-prefixed labels followed by the zero-length root label.
    public let wire: [UInt8]

    /// The root name `.`.
    public static let root = DomainName(uncheckedWire: [0])

    /// Most octets a name may take on the wire (RFC 1035 §2.3.4).
    public static let maxWireLength = 255
    /// Most octets a label may hold (RFC 1035 §2.3.4).
    public static let maxLabelLength = 63

    /// Wraps bytes already known to be a valid uncompressed name.
    @usableFromInline package init(uncheckedWire: [UInt8]) { self.wire = uncheckedWire }

    /// A name from uncompressed wire bytes (RFC 1035 §3.1): nil unless they are labels of 1 to 63
    /// octets ending with the root label, 255 octets at most, and nothing after it.
    public init?(wire: [UInt8]) {
        guard wire.count <= Self.maxWireLength else { return nil }
        var i = 0
        while i < wire.count {
            let n = Int(wire[i])
            if n == 0 {
                guard i == wire.count - 1 else { return nil }
                self.wire = wire
                return
            }
            guard n <= Self.maxLabelLength else { return nil }
            i += 1 + n
        }
        return nil
    }

    /// Builds a name from labels (without dots), nil when a label or the whole name is too long.
    public init?<C: Collection>(labels: C) where C.Element: StringProtocol {
        guard let name = DomainName.root.prepending(labels: labels) else { return nil }
        self = name
    }

    /// Parses presentation format (`web.default.svc.cluster.local.`); the trailing dot is optional
    /// and names are always absolute. `\.` and `\DDD` escapes are understood (RFC 4343 §2.1).
    ///
    /// Called with a string *literal*, `DomainName("…")` is the literal initialiser instead
    /// (Swift prefers it for literals): not optional, and an invalid literal traps. Pass a
    /// `String` value to get nil for text that is not a name.
    public init?(_ text: String) {
        if text == "." || text.isEmpty { self = .root; return }
        var labels: [[UInt8]] = []
        var current: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        if bytes.last == UInt8(ascii: ".") {
            // a trailing dot is fine unless it is escaped
            let escapes = bytes.dropLast().reversed().prefix { $0 == UInt8(ascii: "\\") }.count
            if escapes % 2 == 0 { bytes = bytes.dropLast() }
        }
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let c = bytes[i]
            if c == UInt8(ascii: ".") {
                guard !current.isEmpty else { return nil }
                labels.append(current); current = []
            } else if c == UInt8(ascii: "\\") {
                i += 1
                guard i < bytes.endIndex else { return nil }
                if let d0 = Self.digit(bytes[i]), i + 2 < bytes.endIndex,
                   let d1 = Self.digit(bytes[i + 1]), let d2 = Self.digit(bytes[i + 2]) {
                    let v = d0 * 100 + d1 * 10 + d2
                    guard v <= 255 else { return nil }
                    current.append(UInt8(v)); i += 2
                } else {
                    current.append(bytes[i])
                }
            } else {
                current.append(c)
            }
            i += 1
        }
        guard !current.isEmpty else { return nil }
        labels.append(current)
        var wire: [UInt8] = []
        for l in labels {
            guard l.count <= Self.maxLabelLength else { return nil }
            wire.append(UInt8(l.count)); wire.append(contentsOf: l)
        }
        wire.append(0)
        guard wire.count <= Self.maxWireLength else { return nil }
        self.wire = wire
    }

    private static func digit(_ c: UInt8) -> Int? {
        c >= 0x30 && c <= 0x39 ? Int(c - 0x30) : nil
    }

    /// The labels, left to right, as raw bytes.
    public var labelBytes: [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var i = 0
        while i < wire.count, wire[i] != 0 {
            let n = Int(wire[i])
            out.append(wire[(i + 1)..<(i + 1 + n)])
            i += 1 + n
        }
        return out
    }

    /// The labels, left to right, as strings (bytes that are not UTF-8 are repaired).
    public var labels: [String] { labelBytes.map { String(decoding: $0, as: UTF8.self) } }

    /// Number of labels, not counting the root.
    public var labelCount: Int {
        var i = 0, n = 0
        while i < wire.count, wire[i] != 0 { i += 1 + Int(wire[i]); n += 1 }
        return n
    }

    /// True for the root name.
    public var isRoot: Bool { wire.count == 1 }

    /// The same name in lower case (ASCII only, RFC 4343).
    public func lowercased() -> DomainName {
        DomainName(uncheckedWire: wire.map { ($0 >= 0x41 && $0 <= 0x5A) ? $0 | 0x20 : $0 })
    }

    /// This name without its first `n` labels.
    public func dropping(labels n: Int) -> DomainName {
        var i = 0
        for _ in 0..<n {
            guard i < wire.count, wire[i] != 0 else { return .root }
            i += 1 + Int(wire[i])
        }
        return DomainName(uncheckedWire: Array(wire[i...]))
    }

    /// `label.self`, nil when too long.
    @inlinable
    public func prepending(_ label: some StringProtocol) -> DomainName? {
        prepending(labels: CollectionOfOne(label))
    }

    /// `labels` (leftmost first, without dots) followed by `self`, built in one allocation; nil
    /// when a label is empty or too long, or the name would be.
    /// Inlinable, so callers get it specialised for their string type.
    @inlinable
    public func prepending<C: Collection>(labels: C) -> DomainName? where C.Element: StringProtocol {
        var length = wire.count
        for label in labels {
            let n = label.utf8.count
            guard n > 0, n <= Self.maxLabelLength else { return nil }
            length += 1 + n
        }
        guard length <= Self.maxWireLength else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        for label in labels {
            bytes.append(UInt8(label.utf8.count))
            bytes.append(contentsOf: label.utf8)
        }
        bytes.append(contentsOf: wire)
        return DomainName(uncheckedWire: bytes)
    }

    /// `self` followed by `suffix` (self taken as relative), nil when too long.
    public func appending(_ suffix: DomainName) -> DomainName? {
        let bytes = Array(wire.dropLast()) + suffix.wire
        return bytes.count <= Self.maxWireLength ? DomainName(uncheckedWire: bytes) : nil
    }

    /// True when this name equals `other` or lies below it (case-insensitive). No allocation.
    public func isSubdomain(of other: DomainName) -> Bool {
        other.wire.withUnsafeBufferPointer { hasSuffix($0) }
    }

    /// True when `suffix` (a name in wire form, e.g. a tail of another name's wire) is this name
    /// or an ancestor of it: it matches, case-insensitively, a tail of this name that starts at a
    /// label boundary. No allocation.
    public func hasSuffix(_ suffix: UnsafeBufferPointer<UInt8>) -> Bool {
        wire.withUnsafeBufferPointer { a in
            guard a.count >= suffix.count else { return false }
            var i = 0
            while a.count - i > suffix.count, i < a.count, a[i] != 0 { i += 1 + Int(a[i]) }
            guard a.count - i == suffix.count else { return false }
            // Same case (names we build are lower-case), else compare folding ASCII case.
            if let x = a.baseAddress, let y = suffix.baseAddress, memcmp(x + i, y, suffix.count) == 0 { return true }
            for j in 0..<suffix.count where Self.lower(a[i + j]) != Self.lower(suffix[j]) { return false }
            return true
        }
    }

    /// The offset in `wire` where label `index` (0 = leftmost) starts; `labelCount` gives the
    /// root's offset. Nil past the root.
    public func wireOffset(ofLabel index: Int) -> Int? {
        var i = 0
        for _ in 0..<index {
            guard i < wire.count, wire[i] != 0 else { return nil }
            i += 1 + Int(wire[i])
        }
        return i < wire.count ? i : nil
    }

    /// Presentation format with a trailing dot; special bytes escaped (RFC 4343 §2.1).
    public var description: String {
        if isRoot { return "." }
        var out = ""
        for label in labelBytes {
            for b in label {
                switch b {
                case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: ";"),
                     UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "@"), UInt8(ascii: "$"):
                    out.append("\\"); out.append(Character(Unicode.Scalar(b)))
                case 0x21...0x7E:
                    out.append(Character(Unicode.Scalar(b)))
                default:
                    let s = String(b)
                    out.append("\\" + String(repeating: "0", count: 3 - s.count) + s)
                }
            }
            out.append(".")
        }
        return out
    }

    /// Equal when the names are, ignoring ASCII case (RFC 4343).
    public static func == (a: DomainName, b: DomainName) -> Bool {
        guard a.wire.count == b.wire.count else { return false }
        return a.wire.withUnsafeBufferPointer { x in
            b.wire.withUnsafeBufferPointer { y in
                for i in 0..<x.count where x[i] != y[i] {
                    if lower(x[i]) != lower(y[i]) { return false }
                }
                return true
            }
        }
    }

    /// Hashes the lower-cased wire form (equal names hash alike, RFC 4343), folded into a stack
    /// buffer and fed to the hasher at once (a `combine` per octet was most of a name's hash).
    public func hash(into hasher: inout Hasher) {
        wire.withUnsafeBufferPointer { p in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, p.count)) { folded in
                for i in p.indices { folded[i] = Self.lower(p[i]) }
                hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(folded)[..<p.count]))
            }
        }
    }

    /// DNSSEC canonical order (RFC 4034 §6.1): compare label by label from the right, lower-cased.
    /// No allocation: label offsets are found by walking each name once per label compared.
    public static func < (a: DomainName, b: DomainName) -> Bool {
        let na = a.labelCount, nb = b.labelCount
        var i = na - 1, j = nb - 1
        while i >= 0, j >= 0 {
            let x = a.wireOffset(ofLabel: i)!, y = b.wireOffset(ofLabel: j)!
            let lx = Int(a.wire[x]), ly = Int(b.wire[y])
            var k = 0
            while k < lx, k < ly {
                let cx = lower(a.wire[x + 1 + k]), cy = lower(b.wire[y + 1 + k])
                if cx != cy { return cx < cy }
                k += 1
            }
            if lx != ly { return lx < ly }
            i -= 1; j -= 1
        }
        return na < nb
    }

    /// ASCII lower case of one octet (RFC 4343).
    @inline(__always)
    public static func lower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }
}

extension DomainName: ExpressibleByStringLiteral {
    /// A literal name; invalid literals trap, so use this only with constants.
    public init(stringLiteral value: String) {
        guard let name = DomainName(value) else { preconditionFailure("invalid domain name literal \(value)") }
        self = name
    }
}
