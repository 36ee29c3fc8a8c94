import Synchronization

/// When each Service, and each endpoint name under a Service, last changed: the generation of the
/// snapshot that first showed the change, readable from any thread with one atomic load and no
/// lock. An answer cache keeps an answer computed at generation G while the marks it depends on
/// are all ≤ G (`ReplyScope`), without fetching the current snapshot.
///
/// Subjects are hashed into a fixed table of slots, and a slot holds the latest change of any
/// subject hashed to it: two subjects sharing a slot cost a reader a needless recomputation, never
/// a stale answer. Each kind of subject has a region of its own, so the many endpoint names a busy
/// cluster churns (one per pod) never share a slot with a Service: with one shared region of
/// 16,384 slots, the large benchmark cluster's 21,000 churning subjects covered 72 % of the slots,
/// and 45 % of the answers recomputed under churn (ClusterIP answers of unchanged Services among
/// them) had lost their entry to another subject's mark (docs/performance.md). Service objects
/// are apart from Service entries for the same reason: pod churn marks the entries of the
/// Services it touches, and a ClusterIP answer, which depends on its Service object alone, would
/// otherwise lose its entry whenever its slot was shared with one of those.
///
/// The hash is fixed (FNV-1a), so which subjects share a slot does not change from one run to the
/// next; only writers to the store create marks, so a DNS client cannot aim at one. The store
/// marks a batch's slots before it publishes the batch's generation (a releasing store), so a
/// reader that has loaded generation N (an acquiring load, e.g. `ClusterStore.generation`) sees
/// every mark of a change published up to N.
package final class ChangeMarks: @unchecked Sendable {
    /// Slots for `.service` subjects (the first region), and as many for `.serviceObject` ones (the second).
    package static let serviceSlots = 1 << 15
    /// Slots for `.endpoint` subjects, after the two Service regions.
    package static let endpointSlots = 1 << 16
    /// Slots in the table (8 bytes each: 1 MiB).
    package static let slotCount = 2 * serviceSlots + endpointSlots

    /// A subject whose changes are marked.
    package enum Subject: Hashable, Sendable {
        /// The Service's entry: the Service object or any of its endpoints.
        case service(ServiceKey)
        /// The Service object and where its endpoints come from, but not the endpoints themselves.
        case serviceObject(ServiceKey)
        /// The ready endpoints of the Service with this DNS label (`Endpoint.dnsLabel`): what
        /// `<label>.<service>.<namespace>.svc.<zone>` answers with (spec §2.4.1).
        case endpoint(ServiceKey, label: String)

        /// The slot the subject is marked in, within its kind's region: FNV-1a (64-bit) of a tag
        /// and the names' UTF-8 bytes, each name ended by a zero byte, high half folded into the low.
        package var slot: Int {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            func mix(_ byte: UInt8) { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
            func mix(_ name: String) { for byte in name.utf8 { mix(byte) }; mix(0) }
            switch self {
            case .service(let key): mix(1); mix(key.namespace); mix(key.name)
            case .serviceObject(let key): mix(2); mix(key.namespace); mix(key.name)
            case .endpoint(let key, let label): mix(3); mix(key.namespace); mix(key.name); mix(label)
            }
            let folded = Int(truncatingIfNeeded: h ^ (h >> 32))
            switch self {
            case .service: return folded & (ChangeMarks.serviceSlots - 1)
            case .serviceObject: return ChangeMarks.serviceSlots + (folded & (ChangeMarks.serviceSlots - 1))
            case .endpoint: return 2 * ChangeMarks.serviceSlots + (folded & (ChangeMarks.endpointSlots - 1))
            }
        }
    }

    private let slots: UnsafeMutablePointer<Atomic<UInt64>>

    /// A table with nothing marked.
    package init() {
        slots = .allocate(capacity: Self.slotCount)
        for i in 0..<Self.slotCount { (slots + i).initialize(to: Atomic(0)) }
    }

    deinit {
        slots.deinitialize(count: Self.slotCount)
        slots.deallocate()
    }

    /// The latest generation marked in `slot` (0: none; a slot outside the table counts as ever
    /// changing). Read after an acquiring load of the generation it is compared with.
    package func lastChange(_ slot: Int) -> UInt64 {
        guard slot >= 0, slot < Self.slotCount else { return .max }
        return slots[slot].load(ordering: .relaxed)
    }

    /// Marks `slot` as changed at `generation` (the writer's generations only grow).
    func mark(_ slot: Int, at generation: UInt64) {
        guard slot >= 0, slot < Self.slotCount else { return }
        slots[slot].store(generation, ordering: .relaxed)
    }
}
