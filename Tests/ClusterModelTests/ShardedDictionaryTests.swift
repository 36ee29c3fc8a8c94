import Testing
@testable import ClusterModel

/// `ShardedDictionary.forEachDifference`: exactly the keys whose values differ, whether shards
/// are shared with the older copy or not; `modify` in place, copy-on-write, and `PodsAtAddress`.
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

    @Test func modifyInsertsChangesAndRemovesWithoutTouchingACopy() {
        var map = ShardedDictionary<Int, [Int]>(shardCount: 16)
        for i in 0..<100 { map.modify(i, default: [], removeIf: \.isEmpty) { $0.append(i) } }
        let copy = map                                           // a published snapshot's copy
        map.modify(5, default: [], removeIf: \.isEmpty) { $0.append(50) }        // present: in place
        map.modify(6, default: [], removeIf: \.isEmpty) { $0.removeAll() }       // present → empty: removed
        map.modify(500, default: [], removeIf: \.isEmpty) { _ in }               // absent, stays empty: not stored
        map.modify(501, default: [7], removeIf: \.isEmpty) { $0.append(8) }      // absent: from the default
        #expect(map[5] == [5, 50] && map[6] == nil && map[500] == nil && map[501] == [7, 8])
        #expect(map.count == 100 && map.reduce(0) { $0 + $1.value.count } == 102)
        #expect(copy[5] == [5] && copy[6] == [6] && copy[501] == nil && copy.count == 100)
    }

    @Test func podsAtAddressKeepsOrderAndRemovesEveryMention() {
        let a = NamespacedName(namespace: "x", name: "a"), b = NamespacedName(namespace: "y", name: "b")
        var at = PodsAtAddress()
        #expect(at.isEmpty && at.pods.isEmpty)
        at.append(a); at.append(b); at.append(a)
        #expect(at.pods == [a, b, a])
        at.removeAll(a)
        #expect(at.pods == [b] && !at.isEmpty)
        at.removeAll(b)
        #expect(at.isEmpty && at == PodsAtAddress())
    }
}
