internal import CLDNS
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif
import DNSModel

/// RFC 1035 §5 master files, read with libldns one RR at a time.
///
/// `ldns_zone_new_frm_fp_l` leaks every RR read before a syntax error, so this reads with
/// `ldns_rr_new_frm_fp_l` and converts each record at once, as ldns's own zone reader does:
/// `$TTL`/`$ORIGIN`/empty lines continue, only the first SOA is kept, and until a `$TTL` is
/// seen a record without a TTL inherits the previous record's TTL (RFC 1035 §5.1). A file read
/// from disk may `$INCLUDE` others (RFC 1035 §5.1), read here in turn.
public enum ZoneFile {
    /// How deep `$INCLUDE`s may nest (a file including itself stops here, named).
    public static let maxIncludeDepth = 8

    /// Parses master-file text. Relative names are taken relative to `origin` (the root when
    /// nil) until a `$ORIGIN` line. The SOA, when present, comes first in the result; the other
    /// records follow in file order. Errors carry the line number and name `source`.
    public static func parse(_ text: String, origin: DomainName?, defaultTTL: UInt32 = 3600,
                             source: String = "<text>") throws(WireError) -> [ResourceRecord] {
        var bytes = Array(text.utf8)
        // A master file is text (RFC 1035 §5.1): a NUL byte would end ldns's C strings early and
        // make what we read differ from what is written, so it is refused with its line.
        if let bad = bytes.firstIndex(where: { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D || $0 == 0x7F }) {
            let line = bytes[..<bad].filter { $0 == UInt8(ascii: "\n") }.count + 1
            throw WireError("\(source): control character 0x\(String(bytes[bad], radix: 16)) in zone file text", line: line)
        }
        // ldns reads the rest of a `$ORIGIN` line as the name; RFC 1035 §5.1 allows one name
        // (and a comment), so anything more is refused rather than folded into every owner.
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where line.uppercased().hasPrefix("$ORIGIN") {
            let body = line.split(separator: ";", maxSplits: 1).first ?? ""
            let tokens = body.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if tokens.count != 2 {
                throw WireError("\(source): $ORIGIN takes exactly one domain name", line: number + 1)
            }
        }
        if bytes.isEmpty { bytes = [UInt8(ascii: "\n")] }       // fmemopen refuses size 0
        let result: Result<[ResourceRecord], WireError> = bytes.withUnsafeMutableBytes { raw in
            guard let file = fmemopen(raw.baseAddress, raw.count, "r") else {
                return .failure(WireError("\(source): cannot open the text for reading"))
            }
            defer { fclose(file) }
            do throws(WireError) {
                return .success(try read(file, origin: origin, defaultTTL: defaultTTL, source: source, includeDepth: nil))
            } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Reads and parses the master file at `path` (see `parse`); errors name the path and line
    /// (of the included file, for an error in one). `$INCLUDE file [origin]` reads `file`
    /// (relative to the including file's directory) with `origin`, or the current origin, as its
    /// origin; the including file's origin is unchanged after it (RFC 1035 §5.1).
    public static func load(path: String, origin: DomainName?, defaultTTL: UInt32 = 3600) throws(WireError) -> [ResourceRecord] {
        try load(path: path, origin: origin, defaultTTL: defaultTTL, ttlFromDirective: false, depth: 0, includes: nil)
    }

    /// `load`, also telling which files `$INCLUDE` lines named (read or not: a missing one is
    /// named too), so that a watcher can look at them; appended to `includes` as they are met.
    public static func load(path: String, origin: DomainName?, includes: Includes) throws(WireError) -> [ResourceRecord] {
        try load(path: path, origin: origin, defaultTTL: 3600, ttlFromDirective: false, depth: 0, includes: includes)
    }

    /// The paths `$INCLUDE` lines named during a `load`.
    public final class Includes {
        /// In the order met.
        public private(set) var paths: [String] = []
        /// An empty list.
        public init() {}
        func note(_ path: String) { paths.append(path) }
    }

    private static func load(path: String, origin: DomainName?, defaultTTL: UInt32, ttlFromDirective: Bool,
                             depth: Int, includes: Includes?) throws(WireError) -> [ResourceRecord] {
        guard let file = fopen(path, "r") else {
            let reason = String(cString: strerror(errno))
            throw WireError("\(path): cannot open: \(reason)")
        }
        defer { fclose(file) }
        return try read(file, origin: origin, defaultTTL: defaultTTL, ttlFromDirective: ttlFromDirective,
                        source: path, includeDepth: depth, includes: includes)
    }

    /// Owns the `origin`/`prev` dnames ldns updates while it reads, and frees them.
    private final class ReaderState {
        var origin: UnsafeMutablePointer<ldns_rdf>?
        var prev: UnsafeMutablePointer<ldns_rdf>?
        init(origin: UnsafeMutablePointer<ldns_rdf>?) {
            self.origin = origin
            self.prev = origin.flatMap { ldns_rdf_clone($0) }
        }
        deinit {
            if let origin { ldns_rdf_deep_free(origin) }
            if let prev { ldns_rdf_deep_free(prev) }
        }
    }

    /// Reads records from `file`; `includeDepth` is nil for text, where `$INCLUDE` has no
    /// directory to be relative to and is refused.
    private static func read(_ file: UnsafeMutablePointer<FILE>, origin: DomainName?, defaultTTL: UInt32,
                             ttlFromDirective: Bool = false, source: String, includeDepth: Int?,
                             includes: Includes? = nil) throws(WireError) -> [ResourceRecord] {
        let state = ReaderState(origin: LDNS.rdf(origin ?? .root))
        guard state.origin != nil, state.prev != nil else { throw WireError("out of memory") }
        var ttl = defaultTTL
        var ttlFromDirective = ttlFromDirective
        var line: Int32 = 1
        var soa: ResourceRecord?
        var records: [ResourceRecord] = []
        /// Only the first SOA is kept (ldns's zone reader does the same), ahead of the rest.
        func keep(_ record: ResourceRecord) {
            if record.type == .soa {
                if soa == nil { soa = record }
            } else {
                records.append(record)
            }
        }
        while feof(file) == 0 {
            var rr: UnsafeMutablePointer<ldns_rr>? = nil
            let entryStart = ftell(file)
            ttl = LDNS.defaultTTL(ttl)
            let status = ldns_rr_new_frm_fp_l(&rr, file, &ttl, &state.origin, &state.prev, &line)
            if status == LDNS_STATUS_OK, let rr {
                defer { ldns_rr_free(rr) }
                let record: ResourceRecord
                do throws(WireError) {
                    record = try LDNS.record(rr)
                } catch {
                    throw WireError("\(error.message) in \(source)", line: lastLine(file, line))
                }
                // TYPE 0 is reserved (RFC 6895 §3.1); ldns reads a mistyped mnemonic ("SOA0") as it.
                if record.type.rawValue == 0 || record.type.isMetaType {
                    throw WireError("\(source): record type \(record.type) cannot appear in a zone", line: lastLine(file, line))
                }
                if !ttlFromDirective { ttl = record.ttl }
                keep(record)
                continue
            }
            if let rr { ldns_rr_free(rr) }
            switch status {
            case LDNS_STATUS_SYNTAX_EMPTY, LDNS_STATUS_SYNTAX_ORIGIN:
                continue
            case LDNS_STATUS_SYNTAX_TTL:
                ttlFromDirective = true
                continue
            case LDNS_STATUS_SYNTAX_INCLUDE:
                let at = lastLine(file, line)
                guard let depth = includeDepth else { throw WireError("$INCLUDE needs a zone file on disk, not text, in \(source)", line: at) }
                guard depth < maxIncludeDepth else {
                    throw WireError("$INCLUDE nested deeper than \(maxIncludeDepth) files in \(source)", line: at)
                }
                // ldns has read the directive but not kept its arguments: read the line again.
                guard let (target, includeOrigin) = includeArguments(file, from: entryStart) else {
                    throw WireError("$INCLUDE takes a file name and an optional domain name in \(source)", line: at)
                }
                let current = LDNS.domainName(state.origin) ?? origin ?? .root
                let base = source.lastIndex(of: "/").map { String(source[..<$0]) } ?? "."
                let path = target.hasPrefix("/") ? target : base + "/" + target
                includes?.note(path)
                let includedOrigin: DomainName
                if let includeOrigin {
                    let absolute = includeOrigin.hasSuffix(".") ? includeOrigin
                        : includeOrigin + (current.isRoot ? "." : "." + current.description)
                    guard let name = DomainName(absolute) else {
                        throw WireError("$INCLUDE origin \(includeOrigin) is not a domain name in \(source)", line: at)
                    }
                    includedOrigin = name
                } else {
                    includedOrigin = current
                }
                for record in try load(path: path, origin: includedOrigin, defaultTTL: ttl, ttlFromDirective: ttlFromDirective,
                                       depth: depth + 1, includes: includes) {
                    keep(record)
                }
                continue
            case LDNS_STATUS_OK:
                throw WireError("no record read in \(source)", line: lastLine(file, line))
            default:
                throw WireError("\(LDNS.errorText(status)) in \(source)", line: lastLine(file, line))
            }
        }
        if let soa { records.insert(soa, at: 0) }
        return records
    }

    /// The file name and optional origin of the `$INCLUDE` line that starts at or after `start`
    /// (after comments and blank lines ldns skipped), leaving `file` after that line; nil when it
    /// has no file name or more than two arguments.
    private static func includeArguments(_ file: UnsafeMutablePointer<FILE>, from start: Int) -> (String, String?)? {
        guard start >= 0, fseek(file, start, SEEK_SET) == 0 else { return nil }
        var buffer: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(buffer) }
        while getline(&buffer, &capacity, file) >= 0, let buffer {
            let line = String(cString: buffer)
            let body = line.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let tokens = body.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" })
            guard let first = tokens.first else { continue }            // blank or comment only
            guard first.uppercased() == "$INCLUDE", (2...3).contains(tokens.count) else { return nil }
            // A quoted file name (as BIND writes it) is the name without its quotes.
            var name = Substring(tokens[1])
            if name.count >= 2, name.first == "\"", name.last == "\"" { name = name.dropFirst().dropLast() }
            return (String(name), tokens.count == 3 ? String(tokens[2]) : nil)
        }
        return nil
    }

    /// The line of the entry ldns just read. ldns counts the newline that ends an entry, so
    /// after a complete line its counter already names the next one.
    private static func lastLine(_ file: UnsafeMutablePointer<FILE>, _ line: Int32) -> Int {
        let position = ftell(file)
        guard position > 0, fseek(file, position - 1, SEEK_SET) == 0 else { return Int(line) }
        let last = fgetc(file)
        return last == Int32(UInt8(ascii: "\n")) && line > 1 ? Int(line) - 1 : Int(line)
    }

    /// Writes an RFC 1035 master file: one record per line (`ResourceRecord.presentation`), the
    /// first SOA first, then the rest in DNSSEC canonical order (RFC 4034 §6.1 name order, then
    /// class, type and RDATA octets), ending with a newline. All names are absolute; a `$ORIGIN`
    /// line is written first when `origin` is given.
    public static func render(_ records: [ResourceRecord], origin: DomainName? = nil) -> String {
        var rest = records
        var out = ""
        if let origin { out += "$ORIGIN \(origin)\n" }
        if let i = rest.firstIndex(where: { $0.type == .soa }) {
            out += rest.remove(at: i).presentation + "\n"
        }
        let keyed = rest.map { ($0, RDataCodec.encode($0.data)) }
        let sorted = keyed.sorted { x, y in
            let (a, ra) = x, (b, rb) = y
            if a.name != b.name { return a.name < b.name }
            if a.class != b.class { return a.class.rawValue < b.class.rawValue }
            if a.type != b.type { return a.type.rawValue < b.type.rawValue }
            if ra != rb { return ra.lexicographicallyPrecedes(rb) }
            return a.ttl < b.ttl
        }
        for (rr, _) in sorted { out += rr.presentation + "\n" }
        return out
    }
}
