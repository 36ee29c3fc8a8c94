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

    /// Where a coding path leads in a valid JSON text: the (line, column) of the deepest value
    /// it reaches (for a missing key, the object that lacks it); 1-based, columns in bytes. Keys
    /// are compared as written (a key spelled with escapes is not found).
    static func position(of path: [any CodingKey], in bytes: UnsafeBufferPointer<UInt8>) -> ManifestError.Position? {
        var scanner = JSONSyntax(bytes: bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { scanner.i = 3 }     // a UTF-8 byte order mark
        scanner.skipSpace()
        guard scanner.current != nil else { return nil }
        var found = scanner.i
        do throws(Problem) {
            for key in path {
                guard try scanner.enter(key) else { break }
                found = scanner.i
            }
        } catch {
            // Not valid JSON after all: the position of the last value reached.
        }
        scanner.i = found
        return scanner.lineAndColumn
    }

    /// Moves from the start of a value to the start of its member `key` (an object's) or element
    /// `key.intValue` (an array's); false, not moved, when there is none.
    private mutating func enter(_ key: any CodingKey) throws(Problem) -> Bool {
        let start = i
        defer { if i != start { skipSpace() } }
        if current == UInt8(ascii: "["), let index = key.intValue {
            i += 1
            for n in 0... {
                skipSpace()
                if current == UInt8(ascii: "]") { break }
                if n == index { return true }
                try value()
                skipSpace()
                guard current == UInt8(ascii: ",") else { break }
                i += 1
            }
        } else if current == UInt8(ascii: "{") {
            let wanted = Array(key.stringValue.utf8)
            i += 1
            while true {
                skipSpace()
                guard current == UInt8(ascii: "\"") else { break }
                let keyStart = i + 1
                try string()
                let matches = i - 1 - keyStart == wanted.count && bytes[keyStart..<(i - 1)].elementsEqual(wanted)
                skipSpace()
                try expect(UInt8(ascii: ":"))
                skipSpace()
                if matches { return true }
                try value()
                skipSpace()
                guard current == UInt8(ascii: ",") else { break }
                i += 1
            }
        }
        i = start
        return false
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    struct Problem: Error { let message: String }

    /// A problem at the current position, with its line and column (1-based, columns in bytes).
    private func problem(_ what: String) -> Problem {
        let at = lineAndColumn
        return Problem(message: "line \(at.line), column \(at.column): \(what)")
    }

    /// The current position's line and column (1-based, columns in bytes).
    private var lineAndColumn: ManifestError.Position {
        var line = 1, column = 1
        for b in bytes[..<min(i, bytes.count)] {
            if b == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
        }
        return ManifestError.Position(line: line, column: column)
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
