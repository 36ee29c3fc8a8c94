import Testing
@testable import ClusterModel

/// `ShardedDictionary.forEachDifference`: exactly the keys whose values differ, whether shards
/// are shared with the older copy or not.
struct ShardedDictionaryTests {
    func differences(_ old: ShardedDictionary<Int, String>, _ new: ShardedDictionary<Int, String>) -> [Int: String] {
        var out: [Int: String] = [:]
        new.forEachDifference(from: old) { key, before, after in
            out[key] = "\(before ?? "nil")→\(after ?? "nil")"
        }
        return out
    }

    @Test func copiesAFewChangesApartDifferInExactlyThoseKeys() {
        var old = ShardedDictionary<Int, String>(shardCount: 64)
        for i in 0..<10_000 { old[i] = "v\(i)" }
        var new = old                      // shares every shard
        #expect(differences(old, new).isEmpty)
        new[5] = "changed"
        new[10_001] = "added"
        new[77] = nil
        new[78] = "v78"                    // rewritten with the same value: not a difference
        #expect(differences(old, new) == [5: "v5→changed", 10_001: "nil→added", 77: "v77→nil"])
        #expect(differences(new, old) == [5: "changed→v5", 10_001: "added→nil", 77: "nil→v77"])
    }

    @Test func differentShardCountsAreComparedEntryByEntry() {
        var a = ShardedDictionary<Int, String>(shardCount: 4)
        var b = ShardedDictionary<Int, String>(shardCount: 16)
        for i in 0..<100 { a[i] = "x"; b[i] = "x" }
        b[3] = "y"; a[200] = "z"
        #expect(differences(a, b) == [3: "x→y", 200: "z→nil"])
    }
}
