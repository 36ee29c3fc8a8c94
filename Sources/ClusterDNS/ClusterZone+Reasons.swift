import DNSModel
import ClusterModel

extension ClusterZone {
    /// Why a name of an existing Service has no records when the reason is its endpoints'
    /// readiness: a headless Service, or one of its `_port._proto` names, with no ready endpoint
    /// (spec §2.4.1: NXDOMAIN), or an endpoint name whose endpoint is not ready. The commonest
    /// report of a DNS bug that is not one (pods not Ready, no `publishNotReadyAddresses`), so the
    /// NXDOMAIN says it, as an Extended DNS Error (RFC 8914, code 0 with a text) that `dig` prints.
    /// Nil for anything else: a name that simply does not exist needs no explanation.
    func whyMissing(_ name: ClusterName, view: SnapshotView) -> ExtendedError? {
        switch name {
        case .service(let ns, let svc), .port(let ns, let svc, _, _):
            guard let entry = view.service(ns, svc), entry.readyEndpoints.isEmpty else { return nil }
            if case .headless = entry.kind {} else if !isIgnoredAsEmpty(entry) { return nil }
            // A `_port._proto` name the Service has no port for is missing whatever its endpoints.
            if case .port(_, _, let port, let proto) = name,
               !entry.ports.contains(where: { $0.name?.lowercased() == port && $0.proto == proto }) { return nil }
            let notReady = entry.notReadyEndpoints.count
            return ExtendedError(ExtendedError.other, "service \(ns)/\(svc) has no ready endpoints"
                                 + (notReady > 0 ? " (\(notReady) not ready)" : ""))
        case .endpoint(let ns, let svc, let host):
            guard let entry = view.service(ns, svc), entry.kind.isAddressable,
                  entry.notReadyEndpoints.contains(where: { $0.dnsLabel == host }),
                  !entry.readyEndpoints.contains(where: { $0.dnsLabel == host }) else { return nil }
            return ExtendedError(ExtendedError.other, "endpoint \(host) of service \(ns)/\(svc) is not ready")
        default:
            return nil
        }
    }
}
