import DNSModel
import ClusterModel

/// How long a reply computed from one snapshot stays exactly what a later snapshot would give.
/// An answer cache keyed by the query bytes uses it to keep answers across snapshots that did
/// not touch what they depend on, so churn elsewhere in the cluster does not empty the cache.
public enum ReplyScope: Sendable, Hashable {
    /// Exact for the snapshot it was computed from only (same generation).
    case snapshot
    /// Exact while this Service's entry (the Service and its endpoints) is unchanged, i.e. while
    /// the snapshot's `ServiceEntry.revision` for the key is the one it was computed with.
    case service(ServiceKey)
}

extension ClusterZone {
    /// The scope of `answer` to `question`: `.service(key)` for a positive answer about a name
    /// under `<service>.<namespace>.svc.<zone>` (the Service itself, an endpoint hostname or a
    /// `_port._proto` SRV name, spec §2.3–§2.4) whose every record is owned by a name under that
    /// Service; such an answer is made from the Service's entry and the static overlay alone.
    /// Everything else, `.snapshot`: negative answers carry the SOA, whose serial follows the
    /// generation; a CNAME (ExternalName) may lead elsewhere; other names depend on more objects.
    func scope(of answer: Answer, question: Question) -> ReplyScope {
        guard answer.rcode == .noError, !answer.answer.isEmpty, answer.authority.isEmpty else { return .snapshot }
        let relative = Array(question.name.lowercased().labels.dropLast(apex.labelCount))
        let key: ServiceKey
        switch ClusterName(relative: relative) {
        case .service(let namespace, let name),
             .endpoint(let namespace, let name, _),
             .port(let namespace, let name, _, _):
            key = ServiceKey(namespace: namespace, name: name)
        default:
            return .snapshot
        }
        // <service>.<namespace>.svc.<zone>: the domain every record must be owned under.
        guard let serviceDomain = DomainName(labels: [key.name, key.namespace, "svc"] + apex.labels) else { return .snapshot }
        for rr in answer.answer + answer.additional {
            if case .cname = rr.data { return .snapshot }
            guard rr.name.isSubdomain(of: serviceDomain) else { return .snapshot }
        }
        return .service(key)
    }
}
