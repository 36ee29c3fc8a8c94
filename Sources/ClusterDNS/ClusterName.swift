import DNSModel

/// A question name inside the cluster zone, parsed by shape (CoreDNS `parse.go` does the same):
/// the labels left of the zone, lower-cased, matched from the right.
enum ClusterName: Equatable {
    /// The zone apex.
    case apex
    /// `dns-version.<zone>` (spec §2.1, schema version record).
    case dnsVersion
    /// `svc.<zone>` or `pod.<zone>`: empty non-terminals.
    case serviceRoot, podRoot
    /// `ns.dns.<zone>`, the synthesised name server (CoreDNS `ns.go`), and `dns.<zone>` above it.
    case nameserver, nameserverParent
    /// `<ns>.svc.<zone>`.
    case namespace(String)
    /// `<svc>.<ns>.svc.<zone>` (spec §2.3.1, §2.4.1, §2.5).
    case service(namespace: String, name: String)
    /// `<endpoint>.<svc>.<ns>.svc.<zone>` (spec §2.4.1), or `_<proto>.<svc>...` (an empty non-terminal).
    case endpoint(namespace: String, service: String, hostname: String)
    /// `_<port>._<proto>.<svc>.<ns>.svc.<zone>` (spec §2.3.2, §2.4.2).
    case port(namespace: String, service: String, port: String, proto: String)
    /// `<ns>.pod.<zone>`.
    case podNamespace(String)
    /// `<a-b-c-d>.<ns>.pod.<zone>`.
    case pod(namespace: String, label: String)
    /// Anything else: NXDOMAIN unless a static record lives there.
    case other

    /// Parses `name`, a name in the zone whose apex has `apexLabelCount` labels: its labels left of
    /// the apex are read straight from the wire, lower-cased (RFC 4343), without building the
    /// whole name's label list.
    init(_ name: DomainName, apexLabelCount: Int) {
        let wire = name.wire
        var remaining = name.labelCount - apexLabelCount, i = 0
        var labels: [String] = []
        labels.reserveCapacity(max(0, min(5, remaining)))
        while remaining > 0, i < wire.count, wire[i] != 0 {
            let n = Int(wire[i])
            let bytes = wire[(i + 1)..<(i + 1 + n)]
            labels.append(bytes.contains(where: { $0 >= 0x41 && $0 <= 0x5A })
                          ? String(decoding: bytes.lazy.map(DomainName.lower), as: UTF8.self)
                          : String(decoding: bytes, as: UTF8.self))
            i += 1 + n; remaining -= 1
        }
        self.init(relative: labels)
    }

    /// Parses `relative`, the lower-cased labels left of the zone apex.
    init(relative labels: [String]) {
        switch labels.count {
        case 0: self = .apex
        case 1:
            switch labels[0] {
            case "dns-version": self = .dnsVersion
            case "svc": self = .serviceRoot
            case "pod": self = .podRoot
            case "dns": self = .nameserverParent
            default: self = .other
            }
        case 2 where labels[0] == "ns" && labels[1] == "dns":
            self = .nameserver
        default:
            // `kind` is `svc` or `pod`; `rest` labels precede it (no array is built for them).
            let kind = labels[labels.count - 1], rest = labels.count - 1
            if kind == "svc" {
                switch rest {
                case 1: self = .namespace(labels[0])
                case 2: self = .service(namespace: labels[1], name: labels[0])
                case 3: self = .endpoint(namespace: labels[2], service: labels[1], hostname: labels[0])
                case 4 where labels[0].hasPrefix("_") && labels[1].hasPrefix("_"):
                    self = .port(namespace: labels[3], service: labels[2], port: String(labels[0].dropFirst()),
                                 proto: String(labels[1].dropFirst()))
                default: self = .other
                }
            } else if kind == "pod" {
                switch rest {
                case 1: self = .podNamespace(labels[0])
                case 2: self = .pod(namespace: labels[1], label: labels[0])
                default: self = .other
                }
            } else {
                self = .other
            }
        }
    }
}
