/// A dictionary split into shards, held in a three-level table, so that changing one entry of a
/// copy that is shared with a published snapshot copies one shard (about count/shards entries)
/// and one node of shard references per level, not the whole dictionary.
///
/// With the default 4,096 shards (16 × 16 × 16), a one-object update is O(count / 4,096 + 48)
/// reference copies instead of O(count), and dropping an old snapshot releases as little. (Two
/// levels of 64 cost 128 reference copies, each a retain now and a release when the old snapshot
/// goes: ~30 % of the store's CPU under churn.)
public struct ShardedDictionary<Key: Hashable & Sendable, Value: Sendable>: Sendable, Sequence {
    /// One shard.
    public typealias Shard = [Key: Value]
    /// nodes[a][b][c]: the shard for hash bits `a << (bBits + cBits) | b << cBits | c`.
    @usableFromInline var nodes: [[[Shard]]]
    @usableFromInline let bBits: Int
    @usableFromInline let cBits: Int
    @usableFromInline var storedCount: Int = 0
    /// The number of entries.
    public var count: Int { storedCount }

    /// An empty dictionary with `shardCount` shards (rounded up to a power of two), in three
    /// levels of about ∛shardCount references each.
    public init(shardCount: Int = 4096) {
        var bits = 0
        while 1 << bits < Swift.max(1, shardCount) { bits += 1 }
        cBits = bits / 3
        bBits = (bits - cBits) / 2
        let aBits = bits - bBits - cBits
        nodes = Array(repeating: Array(repeating: Array(repeating: [:], count: 1 << cBits), count: 1 << bBits), count: 1 << aBits)
    }

    @inlinable @inline(__always)
    func place(_ key: Key) -> (a: Int, b: Int, c: Int) {
        let h = key.hashValue
        return ((h >> (bBits + cBits)) & (nodes.count - 1), (h >> cBits) & ((1 << bBits) - 1), h & ((1 << cBits) - 1))
    }

    /// The value for `key`; setting nil removes it. Inlinable, so a lookup from another module
    /// (every DNS answer) is specialised for its key and value types instead of going through
    /// generic witnesses.
    @inlinable
    public subscript(key: Key) -> Value? {
        get {
            let (a, b, c) = place(key)
            return nodes[a][b][c][key]
        }
        set {
            let (a, b, c) = place(key)
            if let newValue {
                if nodes[a][b][c].updateValue(newValue, forKey: key) == nil { storedCount += 1 }
            } else if nodes[a][b][c].removeValue(forKey: key) != nil {
                storedCount -= 1
            }
        }
    }

    /// Changes the value for `key` in place, starting from `default` when absent; the entry is
    /// removed when `body` leaves it equal to `isEmpty`. Returns +1 when the key was added, -1
    /// when it was removed, 0 otherwise.
    /// One lookup in the shard for a key present, two for a new one (it used to hash three times).
    @discardableResult
    mutating func modify(_ key: Key, default value: Value, removeIf isEmpty: (Value) -> Bool, _ body: (inout Value) -> Void) -> Int {
        let (a, b, c) = place(key)
        if let i = nodes[a][b][c].index(forKey: key) {
            body(&nodes[a][b][c].values[i])
            if isEmpty(nodes[a][b][c].values[i]) {
                nodes[a][b][c].remove(at: i)
                storedCount -= 1
                return -1
            }
        } else {
            var new = value
            body(&new)
            if !isEmpty(new) {
                nodes[a][b][c][key] = new
                storedCount += 1
                return 1
            }
        }
        return 0
    }

    /// Calls `body(key, old value, new value)` for every key whose value differs between `old`
    /// and `self` (nil: absent on that side), in no particular order. Nodes and shards that
    /// `self` still shares with `old` (same storage: untouched since the copy) are skipped without
    /// being read, so comparing two snapshots a few changes apart costs O(nodes + changed
    /// shards), not O(count).
    public func forEachDifference(from old: ShardedDictionary, _ body: (Key, Value?, Value?) -> Void) where Value: Equatable {
        guard old.nodes.count == nodes.count, old.bBits == bBits, old.cBits == cBits else {
            for (key, value) in self where old[key] != value { body(key, old[key], value) }
            for (key, value) in old where self[key] == nil { body(key, value, nil) }
            return
        }
        for a in nodes.indices where !Self.sameStorage(old.nodes[a], nodes[a]) {
            for b in nodes[a].indices where !Self.sameStorage(old.nodes[a][b], nodes[a][b]) {
                for c in nodes[a][b].indices where !Self.sameStorage(old.nodes[a][b][c], nodes[a][b][c]) {
                    let x = old.nodes[a][b][c], y = nodes[a][b][c]
                    for (key, value) in y where x[key] != value { body(key, x[key], value) }
                    for (key, value) in x where y[key] == nil { body(key, value, nil) }
                }
            }
        }
    }

    /// True when two copy-on-write values hold the same bits, i.e. the same storage reference:
    /// then they are equal without reading them.
    private static func sameStorage<T>(_ a: T, _ b: T) -> Bool {
        var a = a, b = b
        return withUnsafeBytes(of: &a) { x in withUnsafeBytes(of: &b) { y in x.elementsEqual(y) } }
    }

    /// True when there are no entries.
    public var isEmpty: Bool { count == 0 }

    /// All keys, in no particular order.
    public var keys: [Key] { map(\.key) }

    /// All values, in no particular order.
    public var values: [Value] { map(\.value) }

    /// Iterates over all entries, in no particular order.
    public func makeIterator() -> FlattenSequence<FlattenSequence<FlattenSequence<[[[Shard]]]>>>.Iterator {
        nodes.joined().joined().joined().makeIterator()
    }
}
