import DNSModel
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Fixtures, with their leading `//` provenance comments removed.
enum Fixture {
    static func text(_ name: String) -> String {
        let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)!
        let raw = try! String(contentsOf: url, encoding: .utf8)
        return raw.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("//") }.joined(separator: "\n")
    }

    static func json(_ name: String) -> [String: Any] {
        try! JSONSerialization.jsonObject(with: Data(text(name).utf8)) as! [String: Any]
    }

    static func service(_ name: String, namespace: String = "default", ip: String, labels: [String: String]? = nil) -> [String: Any] {
        var o = json("service.json")
        var meta = o["metadata"] as! [String: Any]
        meta["name"] = name; meta["namespace"] = namespace
        if let labels { meta["labels"] = labels }
        o["metadata"] = meta
        var spec = o["spec"] as! [String: Any]
        spec["clusterIP"] = ip; spec["clusterIPs"] = [ip]
        o["spec"] = spec
        return o
    }

    static func endpointSlice(_ name: String, namespace: String = "default", service: String, ips: [String]) -> [String: Any] {
        var o = json("endpointslice.json")
        var meta = o["metadata"] as! [String: Any]
        meta["name"] = name; meta["namespace"] = namespace
        meta["labels"] = ["kubernetes.io/service-name": service, "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"]
        o["metadata"] = meta
        let template = (o["endpoints"] as! [[String: Any]])[0]
        o["endpoints"] = ips.enumerated().map { i, ip in
            var e = template
            e["addresses"] = [ip]
            e["targetRef"] = ["kind": "Pod", "namespace": namespace, "name": "\(service)-\(i)"]
            return e
        }
        return o
    }

    static func namespace(_ name: String) -> [String: Any] {
        var o = json("namespace.json")
        var meta = o["metadata"] as! [String: Any]
        meta["name"] = name
        meta["labels"] = ["kubernetes.io/metadata.name": name]
        o["metadata"] = meta
        return o
    }

    static func pod() -> [String: Any] { json("pod.json") }
}

/// Test PKI made with openssl: a CA, a server certificate for 127.0.0.1/localhost and a client certificate.
