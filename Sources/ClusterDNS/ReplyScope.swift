import DNSModel
import ClusterModel

/// How long a reply computed from one snapshot stays exactly what a later snapshot would give.
/// An answer cache keyed by the query bytes uses it to keep answers across snapshots that did
/// not touch what they depend on, so churn elsewhere in the cluster does not empty the cache.
package enum ReplyScope: Sendable, Hashable {
    /// Exact for the snapshot it was computed from only (same generation).
    case snapshot
    /// Exact while this Service's entry (the Service and its endpoints) is unchanged (an absent
    /// Service: while it stays absent): `ChangeMarks.Subject.service`.
    case service(ServiceKey)
    /// Exact while the Service object (not its endpoints) is unchanged (an absent Service: while it
    /// stays absent): an answer about the names of a Service that is not headless (its cluster IPs
    /// and ports, spec §2.3), which its endpoints never touch. `ChangeMarks.Subject.serviceObject`.
    case serviceObject(ServiceKey)
    /// Exact while the Service object (not its endpoints) is unchanged and so are its endpoints
    /// (ready or not: an NXDOMAIN says when one is not ready) with this DNS label: an answer about `<label>.<service>.<namespace>.svc.<zone>`
    /// (spec §2.4.1), which its siblings' readiness does not touch. `ChangeMarks.Subject`
    /// `.serviceObject` and `.endpoint`.
    case endpoint(ServiceKey, label: String)
    /// Exact for the life of the zone: a name no cluster object can create (only the static
    /// overlay, fixed for the zone's life, has names there).
    case zone

    // A negative answer (NXDOMAIN or NODATA) with `.service`, `.serviceObject` or `.zone` scope
    // carries the zone's SOA (RFC 2308 §3), whose serial is the overlay's plus the generation:
    // served at a later generation, its serial must be advanced by the generations since, and
    // nothing else changes.
}

extension ClusterZone {
    /// The scope of `answer` to `question`: `.service(key)` for a positive answer about a name
    /// under `<service>.<namespace>.svc.<zone>` (the Service itself or a `_port._proto` SRV name,
    /// spec §2.3–§2.4) whose every record is owned by a name under that Service; such an answer is
    /// made from the Service's entry and the static overlay alone. `.endpoint(key, label)` for an
    /// endpoint name `<label>.<service>...` (§2.4.1): made from the Service object, the ready
    /// endpoints with that label and the overlay alone.
    /// Negative answers: `negativeScope`. Everything else, `.snapshot`: a CNAME (ExternalName) may
    /// lead elsewhere; other names depend on more objects. A `.service` scope is narrowed to
    /// `.serviceObject` when the Service is not headless (`narrowed`).
    func scope(of answer: Answer, question: Question, in snapshot: ClusterSnapshot) -> ReplyScope {
        let scope = answer.answer.isEmpty ? negativeScope(of: answer, question: question)
                                          : positiveScope(of: answer, question: question)
        guard case .service(let key) = scope else { return scope }
        return narrowed(key, in: snapshot)
    }

    /// `.service(key)`, or `.serviceObject(key)` when the Service's names are answered from its
    /// object alone: a ClusterIP, NodePort, LoadBalancer or ExternalName Service (cluster IPs,
    /// ports, a CNAME target; spec §2.3, §2.5), or no Service (absent until one is created, which
    /// marks the object). Only a headless Service's names read its endpoints (§2.4).
    func narrowed(_ key: ServiceKey, in snapshot: ClusterSnapshot) -> ReplyScope {
        guard let entry = snapshot.services[key] else { return .serviceObject(key) }
        // With `ignoresEmptyServices`, a ClusterIP Service's answers read its endpoints too.
        guard entry.service.isHeadless || (ignoresEmptyServices && entry.service.type != .externalName) else {
            return .serviceObject(key)
        }
        return .service(key)
    }

    /// The scope of a positive answer (see `scope(of:question:in:)`), before narrowing.
    func positiveScope(of answer: Answer, question: Question) -> ReplyScope {
        guard answer.rcode == .noError, answer.authority.isEmpty else { return .snapshot }
        // Read the shape straight from the wire (no label strings): relative labels left of the apex,
        // `svc` right above it, then the namespace and the Service (spec §2.3–§2.4 name shapes).
        let name = question.name
        let relative = name.labelCount - apex.labelCount
        func label(_ i: Int) -> ArraySlice<UInt8>? {
            guard let at = name.wireOffset(ofLabel: i) else { return nil }
            return name.wire[(at + 1)..<(at + 1 + Int(name.wire[at]))]
        }
        func isUnderscored(_ i: Int) -> Bool { label(i)?.first == UInt8(ascii: "_") }
        let serviceLabel: Int                        // index of the Service's label in `name`
        switch relative {
        case 3: serviceLabel = 0                                             // <svc>.<ns>.svc
        case 4: serviceLabel = 1                                             // <endpoint>.<svc>.<ns>.svc
        case 5 where isUnderscored(0) && isUnderscored(1): serviceLabel = 2  // _<port>._<proto>.<svc>.<ns>.svc
        default: return .snapshot
        }
        guard let svc = label(relative - 1), svc.count == 3,
              svc.elementsEqual("svc".utf8, by: { DomainName.lower($0) == $1 }),
              let service = label(serviceLabel), let namespace = label(serviceLabel + 1),
              let from = name.wireOffset(ofLabel: serviceLabel) else { return .snapshot }
        // Every record must be owned by <service>.<namespace>.svc.<zone> or a name below it.
        let owned = name.wire[from...].withUnsafeBufferPointer { suffix in
            func foreign(_ rr: ResourceRecord) -> Bool {
                if case .cname = rr.data { return true }
                return !rr.name.hasSuffix(suffix)
            }
            return !answer.answer.contains(where: foreign) && !answer.additional.contains(where: foreign)
        }
        guard owned else { return .snapshot }
        let key = ServiceKey(namespace: String(decoding: namespace, as: UTF8.self), name: String(decoding: service, as: UTF8.self))
        if serviceLabel == 1, let endpoint = label(0), !isUnderscored(0) {
            return .endpoint(key, label: String(decoding: endpoint.lazy.map(DomainName.lower), as: UTF8.self))
        }
        return .service(key)
    }

    /// The scope of a negative answer: NXDOMAIN or NODATA with the zone's SOA alone. Names under
    /// a Service (`<svc>.<ns>.svc`, `_<proto>.<svc>.<ns>.svc`, `_<port>._<proto>.<svc>.<ns>.svc`)
    /// are looked up in that Service's entry and the static overlay only (`ClusterZone.lookup`),
    /// so `.service`; an endpoint name `<label>.<svc>.<ns>.svc`, in the Service object and the
    /// endpoints with that label, so `.endpoint`; a name of no cluster shape (`ClusterName.other`: e.g. a search-path
    /// expansion like `www.example.com.ns.svc.cluster.local` has too many labels) is NXDOMAIN unless
    /// the overlay has it, so `.zone`. Namespace and pod names depend on more: `.snapshot`.
    func negativeScope(of answer: Answer, question: Question) -> ReplyScope {
        guard answer.rcode == .noError || answer.rcode == .nxDomain, answer.additional.isEmpty,
              answer.authority.count == 1, case .soa = answer.authority[0].data else { return .snapshot }
        switch ClusterName(question.name, apexLabelCount: apex.labelCount) {
        case .endpoint(let ns, let svc, let label) where !label.hasPrefix("_"):
            return .endpoint(ServiceKey(namespace: ns, name: svc), label: label)
        case .service(let ns, let svc), .endpoint(let ns, let svc, _), .port(let ns, let svc, _, _):
            return .service(ServiceKey(namespace: ns, name: svc))
        case .other:
            return .zone
        default:
            return .snapshot
        }
    }
}
