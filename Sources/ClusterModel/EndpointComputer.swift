import DNSModel

/// Computes a Service's endpoints the way the Kubernetes controllers would.
enum EndpointComputer {
    /// The entry for `service`: from its EndpointSlices if any, else its v1 Endpoints object,
    /// else from the selected pods (`pods` must be the pods of its namespace its selector matches).
    static func entry(for service: KubeService, slices: [KubeEndpointSlice], endpoints: KubeEndpoints?, pods: [KubePod],
                      naming: EndpointNaming = .address) -> ServiceEntry {
        // ExternalName services have no endpoints (core/v1 ServiceSpec; spec A4).
        guard service.type != .externalName else { return ServiceEntry(service: service) }
        var list: [Endpoint]
        let source: EndpointSource
        if !slices.isEmpty {
            list = fromSlices(slices, service: service, naming: naming); source = .endpointSlices
        } else if let endpoints {
            list = fromEndpoints(endpoints, service: service, naming: naming); source = .endpoints
        } else if let selector = service.selector, !selector.isEmpty {
            list = fromPods(pods, service: service, naming: naming); source = .pods
        } else {
            return ServiceEntry(service: service)
        }
        list.sort(by: order)
        return ServiceEntry(service: service, readyEndpoints: list.filter(\.ready),
                            notReadyEndpoints: list.filter { !$0.ready }, source: source)
    }

    /// What patching an entry changed: the endpoints taken out of its lists and those put in.
    struct Patch {
        var removed: [Endpoint] = []
        var added: [Endpoint] = []
    }

    /// A pods-sourced entry (`source == .pods`) after some of its service's pods changed: the
    /// endpoints of the pods named in `changed` (each name once) are replaced by those of
    /// `current`, the pods among them that still exist and match the selector. Equal to
    /// recomputing the entry from all selected pods, at the cost of the changed pods (plus one
    /// pass over the list) instead. Also returns the endpoints it took out and put in, so the
    /// store updates its indexes by them instead of walking both lists again.
    static func entry(updating entry: ServiceEntry, pods changed: [String], to current: [KubePod],
                      naming: EndpointNaming = .address) -> (ServiceEntry, Patch) {
        var ready = entry.readyEndpoints, notReady = entry.notReadyEndpoints
        var patch = Patch()
        // Usually one pod changed: compare names instead of hashing every endpoint's pod name.
        let many = changed.count > 8 ? Set(changed) : nil
        func isChanged(_ e: Endpoint) -> Bool {
            guard let pod = e.targetPod else { return false }
            return many?.contains(pod) ?? changed.contains(pod)
        }
        // Each list is read once; only a list that holds a changed pod's endpoint is rebuilt (in
        // one pass, as a copy of a list the previous snapshot shares would be: a retain per
        // endpoint), the others stay shared.
        func take(from list: inout [Endpoint]) {
            guard let first = list.firstIndex(where: isChanged) else { return }
            var kept = Array(list[..<first])
            kept.reserveCapacity(list.count)
            for e in list[first...] {
                if isChanged(e) { patch.removed.append(e) } else { kept.append(e) }
            }
            list = kept
        }
        take(from: &ready)
        take(from: &notReady)
        let shared = (ready.first ?? notReady.first)?.ports
        for e in fromPods(current, service: entry.service, sharing: shared, naming: naming) {
            patch.added.append(e)
            if e.ready { insert(e, into: &ready) } else { insert(e, into: &notReady) }
        }
        return (ServiceEntry(service: entry.service, readyEndpoints: ready, notReadyEndpoints: notReady, source: .pods), patch)
    }

    /// Inserts into a list sorted by `order`, after its equals (where a stable sort would put it).
    static func insert(_ e: Endpoint, into list: inout [Endpoint]) {
        var lo = 0, hi = list.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if order(e, list[mid]) { hi = mid } else { lo = mid + 1 }
        }
        list.insert(e, at: lo)
    }

    /// Orders by address, then hostname, then pod.
    static func order(_ a: Endpoint, _ b: Endpoint) -> Bool {
        if a.address != b.address { return a.address < b.address }
        if a.hostname != b.hostname { return (a.hostname ?? "") < (b.hostname ?? "") }
        return (a.targetPod ?? "") < (b.targetPod ?? "")
    }

    /// Merges all slices, de-duplicating by (address, port set); a duplicate that is ready anywhere is ready.
    /// Ready is `conditions.ready`, nil counting as ready (CoreDNS `object/endpoint.go`);
    /// `publishNotReadyAddresses` or the tolerate-unready annotation makes everything ready (spec A0.4, §2.1).
    static func fromSlices(_ slices: [KubeEndpointSlice], service: KubeService, naming: EndpointNaming = .address) -> [Endpoint] {
        struct Identity: Hashable { let address: IPAddress; let ports: Set<EndpointPort> }
        var index: [Identity: Int] = [:]
        var out: [Endpoint] = []
        for slice in slices.sorted(by: { $0.name < $1.name }) where slice.addressType != .fqdn {
            let ports = slice.ports.sorted()
            let portSet = Set(ports)
            for e in slice.endpoints {
                let ready = service.publishesNotReadyEndpoints || (e.ready ?? true)
                for address in e.addresses {
                    let id = Identity(address: address, ports: portSet)
                    if let i = index[id] {
                        let old = out[i]
                        out[i] = Endpoint(address: address, hostname: old.hostname ?? e.hostname, ready: old.ready || ready,
                                          targetPod: old.targetPod ?? e.targetName, ports: old.ports, naming: naming)
                    } else {
                        index[id] = out.count
                        out.append(Endpoint(address: address, hostname: e.hostname, ready: ready, targetPod: e.targetName, ports: ports,
                                            naming: naming))
                    }
                }
            }
        }
        return out
    }

    /// Every address of every subset; `notReadyAddresses` are not ready (spec A0.4).
    static func fromEndpoints(_ endpoints: KubeEndpoints, service: KubeService, naming: EndpointNaming = .address) -> [Endpoint] {
        var out: [Endpoint] = []
        var seen: Set<Endpoint> = []
        for subset in endpoints.subsets {
            let ports = subset.ports.sorted()
            for (list, ready) in [(subset.addresses, true), (subset.notReadyAddresses, service.publishesNotReadyEndpoints)] {
                for a in list {
                    let e = Endpoint(address: a.ip, hostname: a.hostname, ready: ready, targetPod: a.targetName, ports: ports,
                                     naming: naming)
                    if seen.insert(e).inserted { out.append(e) }
                }
            }
        }
        return out
    }

    /// Endpoints for selected pods, following the EndpointSlice controller
    /// (kubernetes `pkg/controller/endpointslice`, `endpointslice/utils.go` `podToEndpoint`,
    /// `ShouldPodBeInEndpoints`): terminal pods and pods without an IP are left out; terminating
    /// pods stay but are not ready; ready = publishNotReadyAddresses || (Ready && !terminating).
    /// Only pod IPs of the service's families are endpoints: the controller makes slices only for
    /// the address types of `getAddressTypesForService` (`endpointslice/reconciler.go`, utils),
    /// which `KubeService.endpointFamilies` follows; so a dual-stack pod behind an IPv4-only
    /// service has no IPv6 endpoint (no AAAA, no dashed IPv6 name, no IPv6 PTR).
    /// Equal port lists share one array (`shared` seeds it), as the pods of one workload resolve
    /// the service's ports alike.
    static func fromPods(_ pods: [KubePod], service: KubeService, sharing shared: [EndpointPort]? = nil,
                         naming: EndpointNaming = .address) -> [Endpoint] {
        var out: [Endpoint] = []
        var shared = shared
        for pod in pods {
            if pod.phase?.isTerminal == true || pod.podIPs.isEmpty { continue }
            let ready = service.publishesNotReadyEndpoints || (pod.ready && !pod.isTerminating)
            // Hostname only when the pod's subdomain is this service (spec A6.1).
            let hostname = pod.subdomain == service.name && pod.namespace == service.namespace ? pod.hostname : nil
            var ports = service.ports.compactMap { resolve($0, in: pod) }.sorted()
            if ports == shared { ports = shared! } else { shared = ports }
            for ip in pod.podIPs where service.admitsEndpoint(ip) {
                out.append(Endpoint(address: ip, hostname: hostname, ready: ready, targetPod: pod.name, ports: ports, naming: naming))
            }
        }
        return out
    }

    /// The endpoint port for a service port on one pod (`podutil.FindPort`): a number is used as
    /// is (absent means the service port); a name must match a container port of the same
    /// protocol, otherwise the port is left out for that pod.
    static func resolve(_ port: KubeService.Port, in pod: KubePod) -> EndpointPort? {
        let number: UInt16
        switch port.targetPort {
        case nil:
            number = port.port
        case .int(let n)?:
            guard let p = UInt16(exactly: n), p != 0 else { return nil }
            number = p
        case .string(let name)?:
            guard let match = pod.ports.first(where: { $0.name == name && $0.protocol == port.protocol }) else { return nil }
            number = match.containerPort
        }
        return EndpointPort(name: port.name, port: number, protocol: port.protocol)
    }
}
