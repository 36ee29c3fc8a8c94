import Foundation
import ClusterModel

/// Output helpers for `get`.
enum Pretty {
    static func json(_ body: [UInt8]) -> String {
        guard let value = try? JSONSerialization.jsonObject(with: Data(body)),
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys]) else {
            return String(decoding: body, as: UTF8.self)
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// A block-style YAML rendering of a JSON value.
    static func yaml(_ body: [UInt8]) -> String {
        guard let value = try? JSONSerialization.jsonObject(with: Data(body)) else { return String(decoding: body, as: UTF8.self) }
        var out = ""
        emit(value, indent: 0, into: &out, inline: false)
        return out
    }

    private static func emit(_ value: Any, indent: Int, into out: inout String, inline: Bool) {
        let pad = String(repeating: "  ", count: indent)
        if let dict = value as? [String: Any] {
            if dict.isEmpty { out += (inline ? " " : pad) + "{}\n"; return }
            if inline { out += "\n" }
            for key in dict.keys.sorted() {
                let v = dict[key]!
                out += pad + scalar(key) + ":"
                if isScalar(v) { out += " " + scalar(v) + "\n" } else { emit(v, indent: indent + 1, into: &out, inline: true) }
            }
        } else if let array = value as? [Any] {
            if array.isEmpty { out += (inline ? " " : pad) + "[]\n"; return }
            if inline { out += "\n" }
            let itemPad = String(repeating: "  ", count: max(indent - 1, 0))
            for item in array {
                if isScalar(item) { out += itemPad + "- " + scalar(item) + "\n"; continue }
                var nested = ""
                emit(item, indent: indent, into: &nested, inline: false)
                // Turn the first line's indentation into "- ".
                let lines = nested.split(separator: "\n", omittingEmptySubsequences: false)
                for (i, line) in lines.enumerated() where !line.isEmpty {
                    out += (i == 0 ? itemPad + "- " + line.dropFirst(pad.count) : itemPad + "  " + line.dropFirst(pad.count)) + "\n"
                }
            }
        } else {
            out += (inline ? " " : pad) + scalar(value) + "\n"
        }
    }

    private static func isScalar(_ v: Any) -> Bool {
        if let d = v as? [String: Any] { return d.isEmpty }
        if let a = v as? [Any] { return a.isEmpty }
        return true
    }

    private static func scalar(_ v: Any) -> String {
        if let d = v as? [String: Any], d.isEmpty { return "{}" }
        if let a = v as? [Any], a.isEmpty { return "[]" }
        if v is NSNull { return "null" }
        if let n = v as? NSNumber {
            if String(cString: n.objCType) == "c" { return n.boolValue ? "true" : "false" }
            return n.stringValue
        }
        let s = "\(v)"
        let plain = s.range(of: #"^[A-Za-z_/][A-Za-z0-9_./-]*$"#, options: .regularExpression) != nil
            && !["true", "false", "null", "yes", "no", "on", "off", "~"].contains(s.lowercased())
        if plain { return s }
        let escaped = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\"\(escaped)\""
    }
}

/// kubectl-like tables.
enum Table {
    static func render(_ objects: [KubeObject], withNamespace: Bool) -> String {
        guard let kind = objects.first?.kind else { return "" }
        var header: [String]
        switch kind {
        case .service: header = ["NAME", "TYPE", "CLUSTER-IP", "PORT(S)", "SELECTOR"]
        case .pod: header = ["NAME", "READY", "STATUS", "IP"]
        case .endpoints: header = ["NAME", "ENDPOINTS"]
        case .endpointSlice: header = ["NAME", "ADDRESSTYPE", "ENDPOINTS"]
        case .namespace: header = ["NAME"]
        }
        if withNamespace { header.insert("NAMESPACE", at: 0) }
        var rows = [header]
        for object in objects {
            var row: [String]
            switch object {
            case .service(let s):
                let ports = s.ports.map { "\($0.port)/\($0.protocol.rawValue)" }.joined(separator: ",")
                let selector = (s.selector ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                row = [s.name, s.type.rawValue, s.type == .externalName ? (s.externalName ?? "<none>") : (s.clusterIP ?? "<none>"),
                       ports.isEmpty ? "<none>" : ports, selector.isEmpty ? "<none>" : selector]
            case .pod(let p):
                let status = p.isTerminating ? "Terminating" : (p.phase?.rawValue ?? "<none>")
                row = [p.name, p.ready ? "true" : "false", status, p.podIPs.map { "\($0)" }.joined(separator: ",").ifEmpty("<none>")]
            case .endpoints(let e):
                let list = e.subsets.flatMap { sub in sub.addresses.flatMap { a in sub.ports.isEmpty ? ["\(a.ip)"] : sub.ports.map { "\(a.ip):\($0.port)" } } }
                row = [e.name, summarize(list)]
            case .endpointSlice(let s):
                row = [s.name, s.addressType.rawValue, summarize(s.endpoints.flatMap { $0.addresses.map { "\($0)" } })]
            case .namespace(let n):
                row = [n.name]
            }
            if withNamespace { row.insert(object.namespace, at: 0) }
            rows.append(row)
        }
        var widths = [Int](repeating: 0, count: header.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        return rows.map { r in
            r.enumerated().map { i, c in i == r.count - 1 ? c : c.padding(toLength: widths[i] + 3, withPad: " ", startingAt: 0) }.joined()
        }.joined(separator: "\n") + "\n"
    }

    static func summarize(_ list: [String]) -> String {
        if list.isEmpty { return "<none>" }
        return list.count > 3 ? list.prefix(3).joined(separator: ",") + " + \(list.count - 3) more..." : list.joined(separator: ",")
    }
}

extension String {
    func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
