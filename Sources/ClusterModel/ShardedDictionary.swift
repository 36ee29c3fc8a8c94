/// A dictionary split into shards, themselves grouped, so that changing one entry of a copy that
/// is shared with a published snapshot copies one shard (about count/shards entries), one group
/// of shard references and the table of groups, not the whole dictionary.
///
/// With the default 4,096 shards in 64 groups of 64, a one-object update is
/// O(count / 4,096 + 128) reference copies instead of O(count), and dropping an old snapshot
/// releases as little.
public struct ShardedDictionary<Key: Hashable & Sendable, Value: Sendable>: Sendable, Sequence {
    /// groups[g][s]: the shard for hash bits `g << groupShift | s`.
    @usableFromInline var groups: [[[Key: Value]]]
    @usableFromInline let groupShift: Int
    @usableFromInline var storedCount: Int = 0
    /// The number of entries.
    public var count: Int { storedCount }

    /// An empty dictionary with `shardCount` shards (rounded up to a power of two), grouped in
    /// about √shardCount groups.
    public init(shardCount: Int = 4096) {
        var bits = 0
        while 1 << bits < Swift.max(1, shardCount) { bits += 1 }
        groupShift = bits / 2
        groups = Array(repeating: Array(repeating: [:], count: 1 << groupShift), count: 1 << (bits - groupShift))
    }

    @inlinable @inline(__always)
    func place(_ key: Key) -> (group: Int, shard: Int) {
        let h = key.hashValue
        return ((h >> groupShift) & (groups.count - 1), h & ((1 << groupShift) - 1))
    }

    /// The value for `key`; setting nil removes it. Inlinable, so a lookup from another module
    /// (every DNS answer) is specialised for its key and value types instead of going through
    /// generic witnesses.
    @inlinable
    public subscript(key: Key) -> Value? {
        get {
            let (g, s) = place(key)
            return groups[g][s][key]
        }
        set {
            let (g, s) = place(key)
            if let newValue {
                if groups[g][s].updateValue(newValue, forKey: key) == nil { storedCount += 1 }
            } else if groups[g][s].removeValue(forKey: key) != nil {
                storedCount -= 1
            }
        }
    }

    /// Changes the value for `key` in place, starting from `default` when absent; the entry is
    /// removed when `body` leaves it equal to `isEmpty`.
    mutating func modify(_ key: Key, default value: Value, removeIf isEmpty: (Value) -> Bool, _ body: (inout Value) -> Void) {
        let (g, s) = place(key)
        let existed = groups[g][s][key] != nil
        body(&groups[g][s][key, default: value])
        if let v = groups[g][s][key], isEmpty(v) {
            groups[g][s].removeValue(forKey: key)
            if existed { storedCount -= 1 }
        } else if !existed {
            storedCount += 1
        }
    }

    /// Calls `body(key, old value, new value)` for every key whose value differs between `old`
    /// and `self` (nil: absent on that side), in no particular order. Groups and shards that
    /// `self` still shares with `old` (same storage: untouched since the copy) are skipped without
    /// being read, so comparing two snapshots a few changes apart costs O(groups + changed
    /// shards), not O(count).
    public func forEachDifference(from old: ShardedDictionary, _ body: (Key, Value?, Value?) -> Void) where Value: Equatable {
        guard old.groups.count == groups.count, old.groupShift == groupShift else {
            for (key, value) in self where old[key] != value { body(key, old[key], value) }
            for (key, value) in old where self[key] == nil { body(key, value, nil) }
            return
        }
        for g in groups.indices where !Self.sameStorage(old.groups[g], groups[g]) {
            for s in groups[g].indices where !Self.sameStorage(old.groups[g][s], groups[g][s]) {
                let a = old.groups[g][s], b = groups[g][s]
                for (key, value) in b where a[key] != value { body(key, a[key], value) }
                for (key, value) in a where b[key] == nil { body(key, value, nil) }
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
    public var keys: [Key] { groups.flatMap { $0.flatMap(\.keys) } }

    /// All values, in no particular order.
    public var values: [Value] { groups.flatMap { $0.flatMap(\.values) } }

    /// Iterates over all entries, in no particular order.
    public func makeIterator() -> FlattenSequence<FlattenSequence<[[[Key: Value]]]>>.Iterator {
        groups.joined().joined().makeIterator()
    }
}
