/// Finds where a JSON text (RFC 8259) first goes wrong, for error messages: Foundation's decoder
/// only says "The given data was not valid JSON.", which leaves a user looking for a missing comma
/// in a 2 MB manifest. Called after the decoder has refused the text (nesting already bounded by
/// `InputSafety.jsonDepth`), so it may recurse. Lenient where that decoder is (a trailing comma,
/// a leading zero, an unknown escape), so the error named is the one it stopped at.
struct JSONSyntax {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var i = 0

    /// `line L, column C: problem` for the first error in `bytes`, or nil when the text is valid
    /// JSON (then what the decoder refused was something else).
    static func firstError(in bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var scanner = JSONSyntax(bytes: bytes)
        do throws(Problem) {
            try scanner.value()
            scanner.skipSpace()
            guard scanner.i == bytes.count else { throw scanner.problem("unexpected text after the JSON value") }
            return nil
        } catch {
            return error.message
        }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    struct Problem: Error { let message: String }

    /// A problem at the current position, with its line and column (1-based, columns in bytes).
    private func problem(_ what: String) -> Problem {
        var line = 1, column = 1
        for b in bytes[..<min(i, bytes.count)] {
            if b == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
        }
        return Problem(message: "line \(line), column \(column): \(what)")
    }

    private var current: UInt8? { i < bytes.count ? bytes[i] : nil }

    private func unexpected() -> Problem {
        guard let c = current else { return problem("unexpected end of input") }
        if c >= 0x20 && c < 0x7F { return problem("unexpected '\(Character(Unicode.Scalar(c)))'") }
        return problem("unexpected byte 0x\(String(c, radix: 16))")
    }

    private mutating func skipSpace() {
        while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1 }
    }

    private mutating func expect(_ c: UInt8) throws(Problem) {
        guard current == c else { throw unexpected() }
        i += 1
    }

    private mutating func value() throws(Problem) {
        skipSpace()
        switch current {
        case UInt8(ascii: "{")?: try object()
        case UInt8(ascii: "[")?: try array()
        case UInt8(ascii: "\"")?: try string()
        case UInt8(ascii: "t")?: try literal("true")
        case UInt8(ascii: "f")?: try literal("false")
        case UInt8(ascii: "n")?: try literal("null")
        case let c? where c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39): try number()
        default: throw unexpected()
        }
    }

    private mutating func object() throws(Problem) {
        i += 1
        skipSpace()
        if current == UInt8(ascii: "}") { i += 1; return }
        while true {
            skipSpace()
            if current == UInt8(ascii: "}") { i += 1; return }      // a trailing comma
            guard current == UInt8(ascii: "\"") else { throw unexpected() }
            try string()
            skipSpace()
            try expect(UInt8(ascii: ":"))
            try value()
            skipSpace()
            if current == UInt8(ascii: ",") { i += 1; continue }
            try expect(UInt8(ascii: "}"))
            return
        }
    }

    private mutating func array() throws(Problem) {
        i += 1
        skipSpace()
        if current == UInt8(ascii: "]") { i += 1; return }
        while true {
            skipSpace()
            if current == UInt8(ascii: "]") { i += 1; return }      // a trailing comma
            try value()
            skipSpace()
            if current == UInt8(ascii: ",") { i += 1; continue }
            try expect(UInt8(ascii: "]"))
            return
        }
    }

    private mutating func string() throws(Problem) {
        i += 1
        while let c = current {
            switch c {
            case UInt8(ascii: "\""): i += 1; return
            case UInt8(ascii: "\\"):
                i += 1
                guard let e = current else { throw unexpected() }
                if e == UInt8(ascii: "u") {
                    for _ in 0..<4 {
                        i += 1
                        guard let h = current, (h >= 0x30 && h <= 0x39) || (h | 0x20 >= 0x61 && h | 0x20 <= 0x66) else {
                            throw problem("\\u must be followed by four hexadecimal digits")
                        }
                    }
                }
                i += 1
            case 0..<0x20: throw problem("control character in a string (escape it)")
            default: i += 1
            }
        }
        throw problem("unterminated string")
    }

    private mutating func literal(_ word: String) throws(Problem) {
        for b in word.utf8 {
            guard current == b else { throw unexpected() }
            i += 1
        }
    }

    private mutating func number() throws(Problem) {
        func digits() throws(Problem) {
            guard let c = current, c >= 0x30 && c <= 0x39 else { throw unexpected() }
            while let c = current, c >= 0x30 && c <= 0x39 { i += 1 }
        }
        if current == UInt8(ascii: "-") { i += 1 }
        try digits()
        if current == UInt8(ascii: ".") { i += 1; try digits() }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            i += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { i += 1 }
            try digits()
        }
    }
}
