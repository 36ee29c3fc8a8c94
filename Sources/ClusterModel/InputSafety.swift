import Yams

/// Cheap checks that run before and after parsing, so hostile input (alias bombs, deep nesting)
/// is refused instead of hanging or crashing the process.
enum InputSafety {
    /// A problem found by a pre-scan, with the 0-based YAML document it is in.
    struct Problem: Error {
        let document: Int
        let message: String
    }

    /// Scans YAML text for alias abuse, without parsing it.
    ///
    /// Yams (libyaml) shares aliased nodes, but hashes mapping keys in full when it checks for
    /// duplicates, so an alias bomb used as a key would take exponential time inside the parser.
    /// Documents that define anchors therefore may not use more than `maxAliases` aliases, an
    /// alias as a key, or a complex (`?` or collection) key. Quoted scalars and comments are
    /// skipped; block scalars are not recognised, which can only cause a false refusal.
    static func scanYAML(_ bytes: UnsafeBufferPointer<UInt8>, limits: ManifestLimits) -> Problem? {
        var document = 0, contentInDocument = false
        var anchors = 0, aliases = 0, badKey: String?
        var i = 0, boundary = true, lineStart = true
        let n = bytes.count
        func finishDocument() -> Problem? {
            guard anchors > 0, aliases > 0 else { return nil }
            if aliases > limits.maxAliases {
                return Problem(document: document, message: "too many YAML aliases (\(aliases), limit \(limits.maxAliases))")
            }
            if let badKey { return Problem(document: document, message: badKey) }
            return nil
        }
        func isBreak(_ j: Int) -> Bool { j >= n || bytes[j] == 0x20 || bytes[j] == 0x0A || bytes[j] == 0x0D || bytes[j] == 0x09 }
        func colonFollows(_ from: Int) -> Bool {
            var j = from
            while j < n, bytes[j] == 0x20 || bytes[j] == 0x09 { j += 1 }
            return j < n && bytes[j] == 0x3A && (isBreak(j + 1) || bytes[j + 1] == 0x2C)
        }
        while i < n {
            let c = bytes[i]
            if lineStart, c == 0x2D, i + 2 < n, bytes[i + 1] == 0x2D, bytes[i + 2] == 0x2D, isBreak(i + 3) {
                if let p = finishDocument() { return p }
                if contentInDocument { document += 1 }
                contentInDocument = false; anchors = 0; aliases = 0; badKey = nil
                i += 3; lineStart = false; boundary = true
                continue
            }
            lineStart = false
            switch c {
            case 0x0A:
                lineStart = true; boundary = true; i += 1; continue
            case 0x20, 0x09, 0x0D:
                boundary = true; i += 1; continue
            case 0x2C, 0x5B, 0x7B: // , [ {
                contentInDocument = true; boundary = true; i += 1; continue
            case 0x5D, 0x7D: // ] }
                contentInDocument = true
                if colonFollows(i + 1) { badKey = "complex YAML mapping keys are not supported in documents with aliases" }
                boundary = false; i += 1; continue
            default:
                break
            }
            contentInDocument = true
            guard boundary else { i += 1; continue }
            boundary = false
            switch c {
            case 0x23: // # comment
                while i < n, bytes[i] != 0x0A { i += 1 }
                continue
            case 0x27: // 'single quoted', '' escapes a quote
                i += 1
                while i < n {
                    if bytes[i] == 0x27 { if i + 1 < n, bytes[i + 1] == 0x27 { i += 2; continue }; break }
                    i += 1
                }
            case 0x22: // "double quoted"
                i += 1
                while i < n, bytes[i] != 0x22 { i += bytes[i] == 0x5C ? 2 : 1 }
            case 0x26: // &anchor
                anchors += 1
            case 0x2A: // *alias
                aliases += 1
                var j = i + 1
                while j < n, !isBreak(j), bytes[j] != 0x2C, bytes[j] != 0x5D, bytes[j] != 0x7D { j += 1 }
                if colonFollows(j) { badKey = "YAML aliases may not be used as mapping keys" }
                i = j; continue
            case 0x3F: // ? explicit key
                if isBreak(i + 1) { badKey = "complex YAML mapping keys are not supported in documents with aliases" }
            default:
                break
            }
            i += 1
        }
        return finishDocument()
    }

    /// The deepest `[`/`{` nesting in JSON text (strings skipped).
    static func jsonDepth(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int) -> Bool {
        var depth = 0, i = 0, inString = false
        let n = bytes.count
        while i < n {
            let c = bytes[i]
            if inString {
                if c == 0x5C { i += 2; continue }
                if c == 0x22 { inString = false }
            } else if c == 0x22 {
                inString = true
            } else if c == 0x5B || c == 0x7B {
                depth += 1
                if depth > limit { return false }
            } else if c == 0x5D || c == 0x7D {
                depth -= 1
            }
            i += 1
        }
        return true
    }

    /// Measures a composed YAML document: nesting depth and the node count after alias
    /// expansion, visiting each anchored node once (aliases share the anchored node's `Anchor`).
    static func checkYAML(_ node: Node, limits: ManifestLimits) -> String? {
        var memo: [ObjectIdentifier: (height: Int, expanded: Int)] = [:]
        var written = 0
        guard let (_, expanded) = measure(node, depth: 1, limits: limits, memo: &memo, written: &written) else {
            return "YAML nesting is deeper than \(limits.maxDepth) levels"
        }
        if expanded > max(limits.maxAliasExpansion, written.multipliedReportingOverflow(by: 10).partialValue) {
            return "YAML aliases expand to too many nodes (\(expanded) from \(written) written)"
        }
        return nil
    }

    /// Returns (height, expanded size), or nil when `depth` passes the limit.
    private static func measure(_ node: Node, depth: Int, limits: ManifestLimits,
                                memo: inout [ObjectIdentifier: (height: Int, expanded: Int)],
                                written: inout Int) -> (Int, Int)? {
        guard depth <= limits.maxDepth else { return nil }
        let anchorID = node.anchor.map(ObjectIdentifier.init)
        if let anchorID, let known = memo[anchorID] {
            return depth + known.height - 1 <= limits.maxDepth ? (known.height, known.expanded) : nil
        }
        written += 1
        var height = 1, expanded = 1
        func add(_ child: Node) -> Bool {
            guard let (h, e) = measure(child, depth: depth + 1, limits: limits, memo: &memo, written: &written) else { return false }
            height = max(height, h + 1)
            expanded = expanded.addingReportingOverflow(e).overflow ? Int.max / 2 : min(expanded + e, Int.max / 2)
            return true
        }
        switch node {
        case .scalar, .alias:
            break
        case .sequence(let seq):
            for child in seq where !add(child) { return nil }
        case .mapping(let map):
            for (k, v) in map where !add(k) || !add(v) { return nil }
        }
        if let anchorID { memo[anchorID] = (height, expanded) }
        return (height, expanded)
    }
}
