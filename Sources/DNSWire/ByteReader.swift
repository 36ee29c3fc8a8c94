import DNSModel

/// A bounds-checked reader over a DNS message (RFC 1035 §4.1), following compression pointers
/// backwards only (RFC 1035 §4.1.4) so that pointer loops cannot occur.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) { self.bytes = bytes; self.offset = offset }

    var remaining: Int { bytes.count - offset }

    /// Runs `body` over the bytes of `array` (typed throws do not pass through `withUnsafeBytes`).
    static func reading<T>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(WireError) -> T) throws(WireError) -> T {
        let result: Result<T, WireError> = array.withUnsafeBytes { raw in
            do throws(WireError) { return .success(try body(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    mutating func u8() throws(WireError) -> UInt8 {
        guard offset < bytes.count else { throw WireError("message ends early") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16() throws(WireError) -> UInt16 {
        guard offset + 2 <= bytes.count else { throw WireError("message ends early") }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func u32() throws(WireError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw WireError("message ends early") }
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    mutating func take(_ n: Int) throws(WireError) -> [UInt8] {
        guard n >= 0, offset + n <= bytes.count else { throw WireError("message ends early") }
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }

    /// Reads a possibly compressed name. Pointers must point strictly before the label that
    /// holds them, which bounds the walk and rules out loops and forward references.
    mutating func name() throws(WireError) -> DomainName {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var pos = offset
        var jumped = false
        var limit = pos          // every pointer must go below this
        while true {
            guard pos < bytes.count else { throw WireError("name runs past the message") }
            let len = bytes[pos]
            switch len & 0xC0 {
            case 0x00:
                if len == 0 {
                    out.append(0)
                    if !jumped { offset = pos + 1 }
                    guard out.count <= DomainName.maxWireLength else { throw WireError("name longer than 255 octets") }
                    return DomainName(uncheckedWire: out)
                }
                let n = Int(len)
                guard pos + 1 + n <= bytes.count else { throw WireError("label runs past the message") }
                out.append(len)
                out.append(contentsOf: bytes[(pos + 1)...(pos + n)])
                guard out.count < DomainName.maxWireLength else { throw WireError("name longer than 255 octets") }
                pos += 1 + n
            case 0xC0:
                guard pos + 1 < bytes.count else { throw WireError("pointer runs past the message") }
                let target = Int(len & 0x3F) << 8 | Int(bytes[pos + 1])
                guard target < limit, target < pos else { throw WireError("compression pointer does not point backwards") }
                if !jumped { offset = pos + 2; jumped = true }
                limit = target
                pos = target
            default:
                throw WireError("unsupported label type 0x\(String(len, radix: 16))")
            }
        }
    }
}
