/// Why bytes could not be read as DNS data, or why a zone file or RR text was rejected.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, in words.
    public var message: String
    /// A line number in zone-file text, when the error came from one.
    public var line: Int?
    /// An error saying `message`, at `line` of a zone file when known.
    public init(_ message: String, line: Int? = nil) { self.message = message; self.line = line }
    /// `line N: message`, or the message alone.
    public var description: String { line.map { "line \($0): \(message)" } ?? message }
}
