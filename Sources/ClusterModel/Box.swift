/// An immutable value behind one reference. The store keeps its large records (`KubePod`,
/// `ServiceEntry`) boxed, so a table slot is 8 bytes and copying a shard of a table shared with a
/// snapshot (copy-on-write) copies and retains one reference per entry, not every field of it.
final class Box<Value: Sendable>: Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Boxes compare by value (the same box is equal without reading it), so a struct holding one
/// gets `==` and `hash` synthesised.
extension Box: Equatable, Hashable where Value: Hashable {
    static func == (a: Box, b: Box) -> Bool { a === b || a.value == b.value }
    func hash(into hasher: inout Hasher) { hasher.combine(value) }
}
