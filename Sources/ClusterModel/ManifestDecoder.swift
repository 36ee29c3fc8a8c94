import Foundation
import Yams

/// Reads Kubernetes manifests (YAML streams, JSON, `kind: List`) into `KubeObject`s.
///
/// Input whose first non-blank character is `{` or `[` is read as JSON with Foundation's
/// `JSONDecoder` (fast for large `kubectl get -o json` dumps); anything else as a YAML stream
/// (documents separated by `---`) with Yams. Unknown fields are ignored, objects of other kinds
/// are skipped and listed, empty documents are skipped. `decode` is all or nothing: the first
/// bad document makes it throw, naming source, document and field; `decodeReportingAll` lists them all.
public enum ManifestDecoder {
    /// Decodes manifest bytes (UTF-8).
    public static func decode(_ data: Data, source: String, limits: ManifestLimits = ManifestLimits()) throws(ManifestError) -> ManifestContents {
        guard data.count <= limits.maxBytes else {
            throw ManifestError(source: source, document: 0, field: "", message: "input is \(data.count) bytes, more than the limit of \(limits.maxBytes)")
        }
        let result: Result<ManifestContents, ManifestError> = data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            return Result { () throws(ManifestError) in try decode(bytes: bytes, data: data, source: source, limits: limits, all: nil) }
        }
        return try result.get()
    }

    /// Decodes manifest bytes reporting every problem, not only the first: each YAML document is
    /// decoded on its own, so a stream with three bad documents gives three errors, in document
    /// order. A YAML syntax error ends the stream (the parser cannot go on past it), and JSON input
    /// is one document. As with `decode`, the contents come only when there is no problem (the
    /// first problem is what `decode` throws).
    public static func decodeReportingAll(_ data: Data, source: String, limits: ManifestLimits = ManifestLimits())
        -> (contents: ManifestContents?, problems: [ManifestError]) {
        var found: [ManifestError] = []
        let result: Result<ManifestContents, ManifestError> = data.withUnsafeBytes { raw in
            Result { () throws(ManifestError) in
                try decode(bytes: raw.bindMemory(to: UInt8.self), data: data, source: source, limits: limits, all: &found)
            }
        }
        if case .failure(let error) = result { found.append(error) }
        return (found.isEmpty ? try? result.get() : nil, found)
    }

    /// Decodes manifest text.
    public static func decode(_ text: String, source: String, limits: ManifestLimits = ManifestLimits()) throws(ManifestError) -> ManifestContents {
        try decode(Data(text.utf8), source: source, limits: limits)
    }

    /// Decodes manifest bytes.
    public static func decode(_ bytes: [UInt8], source: String, limits: ManifestLimits = ManifestLimits()) throws(ManifestError) -> ManifestContents {
        try decode(Data(bytes), source: source, limits: limits)
    }

    /// Decodes; with `all`, a bad YAML document is added to it and the next one read, instead of
    /// thrown.
    private static func decode(bytes: UnsafeBufferPointer<UInt8>, data: Data, source: String, limits: ManifestLimits,
                               all: UnsafeMutablePointer<[ManifestError]>?) throws(ManifestError) -> ManifestContents {
        // A UTF-8 byte-order mark is skipped, for JSON and YAML alike (YAML 1.2 §5.2; kubectl).
        let bom = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
        var start = bom
        while start < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[start]) { start += 1 }
        if start < bytes.count, bytes[start] == UInt8(ascii: "{") || bytes[start] == UInt8(ascii: "[") {
            return try decodeJSON(bytes: bytes, data: data.dropFirst(start), source: source, limits: limits)
        }
        return try decodeYAML(bytes: UnsafeBufferPointer(rebasing: bytes[bom...]), source: source, limits: limits, all: all)
    }

    private static func decodeJSON(bytes: UnsafeBufferPointer<UInt8>, data: Data, source: String, limits: ManifestLimits) throws(ManifestError) -> ManifestContents {
        guard InputSafety.jsonDepth(bytes, limit: limits.maxDepth) else {
            throw ManifestError(source: source, document: 0, field: "", message: "JSON nesting is deeper than \(limits.maxDepth) levels")
        }
        do {
            let decoder = JSONDecoder()
            decoder.userInfo = ValueInterner.userInfo()
            let doc = try decoder.decode(ManifestDocument.self, from: data)
            return ManifestContents(objects: doc.objects, skippedKinds: doc.skipped)
        } catch let error as DecodingError {
            if case .dataCorrupted(let ctx) = error, ctx.codingPath.isEmpty {
                // The decoder says only "not valid JSON": say where.
                if let at = JSONSyntax.firstError(in: bytes) {
                    throw ManifestError(source: source, document: 0, field: "", message: "invalid JSON at \(at)")
                }
                if let underlying = ctx.underlyingError {
                    throw ManifestError(source: source, document: 0, field: "", message: "invalid JSON: \(describe(underlying))")
                }
            }
            throw ManifestError(source: source, document: 0, decoding: error) { JSONSyntax.position(of: $0, in: bytes) }
        } catch {
            throw ManifestError(source: source, document: 0, field: "", message: "invalid JSON: \(describe(error))")
        }
    }

    /// The scalar tags Kubernetes objects need resolved: booleans (Yams decodes `Bool` only from
    /// a scalar not tagged as a string), nulls and merge keys (`<<`). Numbers are parsed from the
    /// text whatever the tag, so the default resolver's integer, float, timestamp and value
    /// rules, each an `NSRegularExpression` run against every plain scalar, cost without
    /// changing a decoded object (without them `clusterdns zone` on a 4,000-object file went
    /// from 1.87 to 1.29 s).
    static let resolver = Resolver.basic.appending(.bool).appending(.null).appending(.merge)

    private static func decodeYAML(bytes: UnsafeBufferPointer<UInt8>, source: String, limits: ManifestLimits,
                                   all: UnsafeMutablePointer<[ManifestError]>?) throws(ManifestError) -> ManifestContents {
        if let problem = InputSafety.scanYAML(bytes, limits: limits) {
            throw ManifestError(source: source, document: problem.document, field: "", message: problem.message)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ManifestError(source: source, document: 0, field: "", message: "input is not valid UTF-8")
        }
        var contents = ManifestContents()
        var document = 0
        do {
            let parser = try Parser(yaml: text, resolver: Self.resolver, constructor: .default, encoding: .utf8)
            let decoder = YAMLDecoder()
            let interning: [CodingUserInfoKey: Any] = [.valueInterner: ValueInterner()]
            while let node = try parser.nextRoot() {
                defer { document += 1 }
                if case .scalar(let s) = node, s.string.isEmpty || node.null != nil { continue }
                let bad: ManifestError
                if let problem = InputSafety.checkYAML(node, limits: limits) {
                    bad = ManifestError(source: source, document: document, field: "", message: problem)
                } else {
                    do {
                        let doc = try decoder.decode(ManifestDocument.self, from: node, userInfo: interning)
                        contents.objects += doc.objects
                        contents.skippedKinds += doc.skipped
                        continue
                    } catch let error as DecodingError {
                        bad = ManifestError(source: source, document: document, decoding: error) { position(of: $0, in: node) }
                    }
                }
                guard let all else { throw bad }
                all.pointee.append(bad)
            }
        } catch let error as ManifestError {
            throw error
        } catch let error as YamlError {
            throw ManifestError(source: source, document: document, field: "", message: describe(error))
        } catch {
            throw ManifestError(source: source, document: document, field: "", message: "\(error)")
        }
        return contents
    }

    /// Where a coding path leads in a YAML document: the position of the deepest node it reaches
    /// (for a missing key, the mapping that lacks it), 1-based as Yams reports it.
    static func position(of path: [any CodingKey], in root: Node) -> ManifestError.Position? {
        var node = root
        for key in path {
            if let i = key.intValue, let items = node.sequence, i >= 0, i < items.count {
                node = items[i]
            } else if let next = node.mapping?.reversed().first(where: { $0.key.string == key.stringValue })?.value {
                node = next
            } else {
                break
            }
        }
        return node.mark.map { ManifestError.Position(line: $0.line, column: $0.column) }
    }

    /// A one-line description of a parser error.
    private static func describe(_ error: any Error) -> String {
        if let yaml = error as? YamlError {
            switch yaml {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                 .composer(let context, let problem, let mark, _):
                let ctx = context.map { "\($0.text) " } ?? ""
                return "YAML syntax error at line \(mark.line), column \(mark.column): \(ctx)\(problem)"
            case .duplicatedKeysInMapping(let duplicates, let context):
                return "duplicate mapping keys \(duplicates.joined(separator: ", ")) at line \(context.mark.line)"
            case .reader(let problem, let offset, _, _):
                return "YAML reader error at offset \(offset ?? 0): \(problem)"
            default:
                return "\(yaml)"
            }
        }
        let ns = error as NSError
        if let detail = ns.userInfo[NSDebugDescriptionErrorKey] as? String { return detail }
        return "\(error)"
    }
}
