/// An immutable value behind one reference. The store keeps its large records (`KubePod`,
/// `ServiceEntry`) boxed, so a table slot is 8 bytes and copying a shard of a table shared with a
/// snapshot (copy-on-write) copies and retains one reference per entry, not every field of it.
/// Visible to inlined code (`@usableFromInline`), so that another module reading a boxed field
/// (every DNS answer reads endpoints) inlines the read instead of calling a getter that
/// returns a retained copy.
@usableFromInline
final class Box<Value: Sendable>: Sendable {
    @usableFromInline let value: Value
    @usableFromInline init(_ value: Value) { self.value = value }
}

/// Boxes compare by value (the same box is equal without reading it), so a struct holding one
/// gets `==` and `hash` synthesised.
extension Box: Equatable, Hashable where Value: Hashable {
    @usableFromInline static func == (a: Box, b: Box) -> Bool { a === b || a.value == b.value }
    @usableFromInline func hash(into hasher: inout Hasher) { hasher.combine(value) }
}
