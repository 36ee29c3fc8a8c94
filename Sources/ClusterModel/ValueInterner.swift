/// Shares equal values decoded in one batch (a manifest file, one list from the API server), so
/// the pods of one workload hold one copy of their labels and container ports instead of one
/// each: ~190 bytes per Pod at 20,000 Pods. It lives as long as the decoder that carries it
/// (`CodingUserInfoKey.valueInterner`), so it never grows beyond one batch; a decoder that runs
/// for long (a watch stream, one event at a time) should not carry one.
///
/// Not thread-safe: a decoder runs on one thread; `@unchecked Sendable` only so it can travel in
/// a decoder's `userInfo`.
package final class ValueInterner: @unchecked Sendable {
    private var labels: Set<[String: String]> = []
    private var containerPorts: Set<[KubePod.ContainerPort]> = []
    private var servicePorts: Set<[KubeService.Port]> = []

    /// A fresh interner (one per decoding batch).
    package init() {}

    /// Adds an interner to a decoder's `userInfo`.
    package static func userInfo(_ info: [CodingUserInfoKey: any Sendable] = [:]) -> [CodingUserInfoKey: any Sendable] {
        var info = info
        info[.valueInterner] = ValueInterner()
        return info
    }

    func intern(_ value: [String: String]) -> [String: String] { Self.intern(value, in: &labels) }
    func intern(_ value: [KubePod.ContainerPort]) -> [KubePod.ContainerPort] { Self.intern(value, in: &containerPorts) }
    func intern(_ value: [KubeService.Port]) -> [KubeService.Port] { Self.intern(value, in: &servicePorts) }

    /// The member of `set` equal to `value`, added first if absent (empty values are not kept).
    private static func intern<T: Collection & Hashable>(_ value: T, in set: inout Set<T>) -> T {
        value.isEmpty ? value : set.insert(value).memberAfterInsert
    }
}

extension CodingUserInfoKey {
    /// The batch's `ValueInterner`, when the decoder has one.
    package static let valueInterner = CodingUserInfoKey(rawValue: "clusterdns.valueInterner")!
}

extension Decoder {
    /// The decoder's `ValueInterner`, if any.
    var interner: ValueInterner? { userInfo[.valueInterner] as? ValueInterner }
}
