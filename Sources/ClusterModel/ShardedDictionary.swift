/// A dictionary split into a fixed number of shards, so that changing one entry of a copy that
/// is shared with a published snapshot copies one shard (about count/shards entries) and the
/// shard table, not the whole dictionary.
///
/// This keeps a one-object update at O(count / shardCount + shardCount) instead of O(count).
public struct ShardedDictionary<Key: Hashable & Sendable, Value: Sendable>: Sendable, Sequence {
    private var shards: [[Key: Value]]
    /// The number of entries.
    public private(set) var count: Int = 0

    /// An empty dictionary with `shardCount` shards (rounded up to a power of two).
    public init(shardCount: Int = 1024) {
        var n = 1
        while n < Swift.max(1, shardCount) { n <<= 1 }
        shards = Array(repeating: [:], count: n)
    }

    private func shard(_ key: Key) -> Int { key.hashValue & (shards.count - 1) }

    /// The value for `key`; setting nil removes it.
    public subscript(key: Key) -> Value? {
        get { shards[shard(key)][key] }
        set {
            let s = shard(key)
            if let newValue {
                if shards[s].updateValue(newValue, forKey: key) == nil { count += 1 }
            } else if shards[s].removeValue(forKey: key) != nil {
                count -= 1
            }
        }
    }

    /// Changes the value for `key` in place, starting from `default` when absent; the entry is
    /// removed when `body` leaves it equal to `isEmpty`.
    mutating func modify(_ key: Key, default value: Value, removeIf isEmpty: (Value) -> Bool, _ body: (inout Value) -> Void) {
        let s = shard(key)
        let existed = shards[s][key] != nil
        body(&shards[s][key, default: value])
        if let v = shards[s][key], isEmpty(v) {
            shards[s].removeValue(forKey: key)
            if existed { count -= 1 }
        } else if !existed {
            count += 1
        }
    }

    /// Calls `body(key, old value, new value)` for every key whose value differs between `old`
    /// and `self` (nil: absent on that side), in no particular order. Shards that `self` still
    /// shares with `old` (same storage: untouched since the copy) are skipped without being read,
    /// so comparing two snapshots a few changes apart costs O(shards + changed shards), not O(count).
    public func forEachDifference(from old: ShardedDictionary, _ body: (Key, Value?, Value?) -> Void) where Value: Equatable {
        guard old.shards.count == shards.count else {
            for (key, value) in self where old[key] != value { body(key, old[key], value) }
            for (key, value) in old where self[key] == nil { body(key, value, nil) }
            return
        }
        for i in shards.indices {
            var a = old.shards[i], b = shards[i]
            // The same bits mean the same storage reference: an identical shard.
            let shared = withUnsafeBytes(of: &a) { x in withUnsafeBytes(of: &b) { y in x.elementsEqual(y) } }
            if shared { continue }
            for (key, value) in b where a[key] != value { body(key, a[key], value) }
            for (key, value) in a where b[key] == nil { body(key, value, nil) }
        }
    }

    /// True when there are no entries.
    public var isEmpty: Bool { count == 0 }

    /// All keys, in no particular order.
    public var keys: [Key] { shards.flatMap(\.keys) }

    /// All values, in no particular order.
    public var values: [Value] { shards.flatMap(\.values) }

    /// Iterates over all entries, in no particular order.
    public func makeIterator() -> FlattenSequence<[[Key: Value]]>.Iterator {
        shards.joined().makeIterator()
    }
}
