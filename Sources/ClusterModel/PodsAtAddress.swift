import DNSModel

/// The pods that have one address (`ClusterSnapshot.podsByIP`): nearly always one, kept inline,
/// so that a million pods do not cost a million one-element arrays (an allocation each: 55 MiB
/// of RSS at 1,000,000 pods).
public struct PodsAtAddress: Sendable, Hashable {
    private var first: NamespacedName?
    private var others: [NamespacedName] = []

    /// No pod (the index drops such entries).
    public init() {}

    /// The pods, in the order they were added.
    public var pods: [NamespacedName] { first.map { [$0] + others } ?? [] }

    /// True when no pod has the address.
    public var isEmpty: Bool { first == nil }

    /// Adds a pod.
    mutating func append(_ pod: NamespacedName) {
        if first == nil { first = pod } else { others.append(pod) }
    }

    /// Removes every mention of a pod.
    mutating func removeAll(_ pod: NamespacedName) {
        others.removeAll { $0 == pod }
        if first == pod { first = others.isEmpty ? nil : others.removeFirst() }
    }
}
