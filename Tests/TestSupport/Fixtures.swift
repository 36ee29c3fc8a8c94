import Foundation

/// Kubernetes objects as manifest text, for tests that feed the server or the store.
public enum TestManifests {
    /// A headless Service (`clusterIP: None`) selecting `app=<app>`, with one named TCP port.
    public static func headlessService(_ name: String, namespace: String, app: String, port: String, number: Int) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: \(name), namespace: \(namespace)}
        spec: {clusterIP: None, selector: {app: \(app)}, ports: [{name: \(port), port: \(number)}]}
        """
    }

    /// A Pod labelled `app=<app>` with one IP, Ready or not, and a hostname and subdomain when
    /// given; its one container exposes `http` on 8080.
    public static func pod(_ name: String, namespace: String, app: String, ip: String, ready: Bool = true,
                           hostname: String? = nil, subdomain: String? = nil) -> String {
        let naming = (hostname.map { "hostname: \($0), " } ?? "") + (subdomain.map { "subdomain: \($0), " } ?? "")
        return """
        apiVersion: v1
        kind: Pod
        metadata: {name: \(name), namespace: \(namespace), labels: {app: \(app)}}
        spec: {\(naming)containers: [{name: c, image: x, ports: [{name: http, containerPort: 8080}]}]}
        status: {podIP: \(ip), podIPs: [{ip: \(ip)}], conditions: [{type: Ready, status: "\(ready ? "True" : "False")"}]}
        """
    }

    /// Manifests joined into one multi-document YAML text.
    public static func documents(_ manifests: String...) -> String {
        manifests.joined(separator: "\n---\n")
    }
}

/// A fresh temporary directory, `<prefix>-<UUID>`.
public func temporaryDirectory(_ prefix: String = "clusterdns-test") throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Polls `condition` every `interval` until it holds or `seconds` have passed (a bounded wait
/// for a condition, not a fixed sleep); returns whether it held. The last try is after the
/// deadline, so a condition met just then still counts.
public func eventually(within seconds: Double = 10, every interval: Duration = .milliseconds(50),
                       _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}
