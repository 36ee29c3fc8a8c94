/// The objects of one decoded document: a single object, a `kind: List` (or typed list such as
/// `PodList`, whose items may omit `kind`), or a bare JSON array of objects.
struct ManifestDocument: Decodable {
    var objects: [KubeObject] = []
    var skipped: [String] = []

    init(from decoder: any Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            try readItems(&array, defaultKind: nil, defaultAPIVersion: nil)
            return
        }
        let top = try decoder.container(keyedBy: FieldKey.self)
        let kind = try top.required(String.self, "kind")
        let apiVersion = try top.optional(String.self, "apiVersion")
        // `kubectl get -o json` gives `kind: List`; the API's list calls give `PodList` and so on,
        // whose items carry no `kind`/`apiVersion` of their own.
        if kind == "List" || (kind.hasSuffix("List") && top.contains("items")) {
            if top.contains("items"), try !top.decodeNil(forKey: "items") {
                var items = try top.nestedUnkeyedContainer(forKey: "items")
                let itemKind = kind == "List" ? nil : String(kind.dropLast(4))
                try readItems(&items, defaultKind: itemKind, defaultAPIVersion: apiVersion)
            }
            return
        }
        try readObject(decoder, kind: kind, apiVersion: apiVersion)
    }

    private mutating func readItems(_ items: inout any UnkeyedDecodingContainer, defaultKind: String?, defaultAPIVersion: String?) throws {
        while !items.isAtEnd {
            let item = try items.superDecoder()
            let c = try item.container(keyedBy: FieldKey.self)
            let kind: String
            if let k = try c.optional(String.self, "kind") {
                kind = k
            } else if let defaultKind {
                kind = defaultKind
            } else {
                throw DecodingError.keyNotFound(FieldKey("kind"), .init(codingPath: c.codingPath, debugDescription: "is required"))
            }
            let apiVersion = try c.optional(String.self, "apiVersion") ?? defaultAPIVersion
            try readObject(item, kind: kind, apiVersion: apiVersion)
        }
    }

    private mutating func readObject(_ decoder: any Decoder, kind name: String, apiVersion: String?) throws {
        guard let kind = ObjectKind(kindName: name) else { skipped.append(name); return }
        if let apiVersion, apiVersion != kind.apiVersion {
            skipped.append("\(apiVersion)/\(name)")
            return
        }
        objects.append(try KubeObject.decode(kind, from: decoder))
    }
}
