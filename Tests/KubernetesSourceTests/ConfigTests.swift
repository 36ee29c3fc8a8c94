import Foundation
import Testing
@testable import KubernetesSource

@Suite struct KubeconfigTests {
    /// A copy of the kubeconfig fixture in a temp dir with the files it refers to.
    func fixtureDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "kubeconfig-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/certs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/secrets", withIntermediateDirectories: true)
        try Fixture.text("kubeconfig.yaml").write(toFile: dir + "/config", atomically: true, encoding: .utf8)
        try "CA-FILE".write(toFile: dir + "/certs/ca.crt", atomically: true, encoding: .utf8)
        try "tok\n".write(toFile: dir + "/secrets/token", atomically: true, encoding: .utf8)
        return dir
    }

    @Test func currentContextWithTokenAndRelativeCAFile() throws {
        let dir = try fixtureDirectory()
        let c = try KubernetesConnection.kubeconfig(path: dir + "/config")
        #expect(c.contextName == "dev")
        #expect(c.server == "https://127.0.0.1:6443")
        #expect(c.certificateAuthorityPEM == Array("CA-FILE".utf8))
        #expect(c.credentials == .token("dev-token-123"))
        #expect(c.namespace == "team-a")
        #expect(!c.insecureSkipTLSVerify)
    }

    @Test func explicitContextWithInlineData() throws {
        let dir = try fixtureDirectory()
        let c = try KubernetesConnection.kubeconfig(path: dir + "/config", context: "prod")
        #expect(c.server == "https://prod.example.com")
        #expect(String(decoding: c.certificateAuthorityPEM ?? [], as: UTF8.self).contains("FAKE"))
        #expect(String(decoding: c.clientCertificatePEM ?? [], as: UTF8.self).contains("BEGIN CERTIFICATE"))
        #expect(String(decoding: c.clientKeyPEM ?? [], as: UTF8.self).contains("PRIVATE KEY"))
        #expect(c.credentials == .none)
    }

    @Test func insecureAndTokenFile() throws {
        let dir = try fixtureDirectory()
        let c = try KubernetesConnection.kubeconfig(path: dir + "/config", context: "lab")
        #expect(c.insecureSkipTLSVerify)
        #expect(c.certificateAuthorityPEM == nil)
        #expect(c.credentials == .tokenFile(dir + "/secrets/token"))
        #expect(TokenFile(path: dir + "/secrets/token").current() == "tok")
    }

    @Test func errors() throws {
        let dir = try fixtureDirectory()
        #expect(throws: KubernetesSourceError.self) { try KubernetesConnection.kubeconfig(path: dir + "/config", context: "nope") }
        do {
            _ = try KubernetesConnection.kubeconfig(path: dir + "/config", context: "gke")
            Issue.record("exec plugin accepted")
        } catch {
            #expect(error.message.contains("exec"))
        }
        #expect(throws: KubernetesSourceError.self) { try KubernetesConnection.kubeconfig(path: dir + "/missing") }
        #expect(throws: KubernetesSourceError.self) {
            try KubernetesConnection.kubeconfig(yaml: "clusters: []\ncontexts: []\n", directory: dir)
        }
        #expect(throws: KubernetesSourceError.self) {
            try KubernetesConnection.kubeconfig(yaml: "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\nclusters:\n- name: c\n  cluster: {server: ftp://x}\n", directory: dir)
        }
    }

    @Test func inCluster() throws {
        let dir = NSTemporaryDirectory() + "sa-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "sa-token".write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        try "CA".write(toFile: dir + "/ca.crt", atomically: true, encoding: .utf8)
        try "kube-system\n".write(toFile: dir + "/namespace", atomically: true, encoding: .utf8)
        let env = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        #expect(KubernetesConnection.isInCluster(environment: env))
        #expect(!KubernetesConnection.isInCluster(environment: [:]))
        let c = try KubernetesConnection.inCluster(environment: env, directory: dir)
        #expect(c.server == "https://10.96.0.1:443")
        #expect(c.credentials == .tokenFile(dir + "/token"))
        #expect(c.certificateAuthorityPEM == Array("CA".utf8))
        #expect(c.namespace == "kube-system")
        let v6 = try KubernetesConnection.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"], directory: dir)
        #expect(v6.server == "https://[fd00::1]:443")
        #expect(throws: KubernetesSourceError.self) { try KubernetesConnection.inCluster(environment: env, directory: dir + "/none") }
    }

    @Test("a token file rotated as the kubelet does (the ..data link re-pointed) is read again; a failed read keeps the last good token")
    func tokenFileRotatedByTheKubelet() throws {
        let dir = NSTemporaryDirectory() + "sa-\(UUID().uuidString)"
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/..v1", withIntermediateDirectories: true)
        try "token-one".write(toFile: dir + "/..v1/token", atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: dir + "/..data", withDestinationPath: "..v1")
        try fm.createSymbolicLink(atPath: dir + "/token", withDestinationPath: "..data/token")
        let t = TokenFile(path: dir + "/token")
        #expect(t.current() == "token-one")
        // The kubelet's swap: a new directory, a new link renamed over ..data, the old one removed.
        try fm.createDirectory(atPath: dir + "/..v2", withIntermediateDirectories: true)
        try "token-two".write(toFile: dir + "/..v2/token", atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: dir + "/..data_tmp", withDestinationPath: "..v2")
        #expect(rename(dir + "/..data_tmp", dir + "/..data") == 0)
        try fm.removeItem(atPath: dir + "/..v1")
        #expect(t.current() == "token-two")
        // Caught half-way (the link dangling): the last good token, not none.
        try fm.removeItem(atPath: dir + "/..v2")
        #expect(t.current() == "token-two")
    }

    @Test("a kubeconfig whose tokenFile cannot be read fails at load, naming the file")
    func unreadableTokenFile() throws {
        let dir = NSTemporaryDirectory() + "kc-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
            apiVersion: v1
            kind: Config
            current-context: c
            contexts: [{name: c, context: {cluster: k, user: u}}]
            clusters: [{name: k, cluster: {server: "https://127.0.0.1:6443"}}]
            users: [{name: u, user: {tokenFile: missing-token}}]
            """.write(toFile: dir + "/config", atomically: true, encoding: .utf8)
        #expect { try KubernetesConnection.kubeconfig(path: dir + "/config") } throws: { error in
            "\(error)".contains(dir + "/missing-token") && "\(error)".contains("tokenFile")
        }
    }

    @Test("tls-server-name, proxy-url and impersonation are refused at load, not ignored")
    func unsupportedSettingsRefused() throws {
        let dir = NSTemporaryDirectory() + "kc-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (cluster, user, key) in [("tls-server-name: api.internal", "token: t", "tls-server-name"),
                                     ("proxy-url: \"http://127.0.0.1:3128\"", "token: t", "proxy-url"),
                                     ("insecure-skip-tls-verify: true", "{token: t, as: admin}", "impersonates")] {
            let userText = user.hasPrefix("{") ? user : "{\(user)}"
            try """
                apiVersion: v1
                kind: Config
                current-context: c
                contexts: [{name: c, context: {cluster: k, user: u}}]
                clusters: [{name: k, cluster: {server: "https://127.0.0.1:6443", \(cluster)}}]
                users: [{name: u, user: \(userText)}]
                """.write(toFile: dir + "/config", atomically: true, encoding: .utf8)
            #expect { try KubernetesConnection.kubeconfig(path: dir + "/config") } throws: { "\($0)".contains(key) }
        }
    }

    @Test("a client key that does not match its certificate fails at start, saying so")
    func mismatchedClientKey() throws {
        let pki = TestPKI.shared
        func pem(_ path: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path) ?? Data()) }
        var c = KubernetesConnection(server: "https://127.0.0.1:6443", certificateAuthorityPEM: pem(pki.caPath),
                                     clientCertificatePEM: pem(pki.clientCert), clientKeyPEM: pem(pki.serverKey))
        #expect { try APIClient.tlsConfiguration(for: c) } throws: { "\($0)".contains("client-key does not match") }
        c.clientKeyPEM = pem(pki.clientKey)
        #expect(throws: Never.self) { try APIClient.tlsConfiguration(for: c) }
    }

    @Test func tokenFileReReadWhenChanged() throws {
        let path = NSTemporaryDirectory() + "tok-\(UUID().uuidString)"
        try "one".write(toFile: path, atomically: true, encoding: .utf8)
        let t = TokenFile(path: path)
        #expect(t.current() == "one")
        #expect(t.current() == "one")
        try "two-longer".write(toFile: path, atomically: true, encoding: .utf8)  // new inode and size
        #expect(t.current() == "two-longer")
    }
}

@Suite struct WireFormatTests {
    @Test func lineSplitter() throws {
        var s = LineSplitter(maxLineBytes: 10)
        #expect(try s.feed(Array("ab".utf8)) == [])
        #expect(try s.feed(Array("c\nde\n\nf".utf8)) == [Array("abc".utf8), Array("de".utf8)])
        #expect(try s.feed(Array("\n".utf8)) == [Array("f".utf8)])
        #expect(throws: KubernetesSourceError.self) { try s.feed(Array("0123456789ABC".utf8)) }
    }

    func decoder(_ kind: String) -> JSONDecoder {
        let d = JSONDecoder(); d.userInfo[.kubeKind] = kind; return d
    }

    @Test func watchEventsDecodeIntoTheModel() throws {
        let svc = String(decoding: try JSONSerialization.data(withJSONObject: Fixture.service("web", ip: "10.96.0.10")), as: UTF8.self)
        let added = try decoder("service").decode(WatchEvent.self, from: Data(#"{"type":"ADDED","object":\#(svc)}"#.utf8))
        guard case .added(let o) = added, case .service(let s)? = o.object else { Issue.record("not an ADDED service"); return }
        #expect(s.name == "web" && s.clusterIP == "10.96.0.10" && s.ports.first?.port == 80)
        #expect(o.resourceVersion == "1")
        let bookmark = try decoder("service").decode(WatchEvent.self, from: Data(Fixture.text("bookmark.json").utf8))
        guard case .bookmark(let rv) = bookmark else { Issue.record("not a bookmark"); return }
        #expect(rv == "1000")
        let err = try decoder("service").decode(WatchEvent.self, from: Data(#"{"type":"ERROR","object":\#(Fixture.text("status-expired-watch.json"))}"#.utf8))
        guard case .error(let status) = err else { Issue.record("not an error"); return }
        #expect(status.isGone && status.code == 410 && status.reason == "Expired")
        // An object that fails validation keeps its key.
        let bad = #"{"type":"MODIFIED","object":{"metadata":{"name":"x","namespace":"n","resourceVersion":"7"},"spec":{"clusterIP":"not-an-ip"}}}"#
        guard case .modified(let b) = try decoder("service").decode(WatchEvent.self, from: Data(bad.utf8)) else { Issue.record("x"); return }
        #expect(b.object == nil && b.key.name == "x" && b.key.namespace == "n" && b.resourceVersion == "7")
    }

    @Test func listPage() throws {
        var list = Fixture.json("list.json")
        list["metadata"] = ["resourceVersion": "42", "continue": "abc"]
        var item = Fixture.json("endpointslice.json")
        item.removeValue(forKey: "kind"); item.removeValue(forKey: "apiVersion")
        list["items"] = [item]
        let page = try decoder("endpointSlice").decode(ListPage.self, from: JSONSerialization.data(withJSONObject: list))
        #expect(page.resourceVersion == "42" && page.continueToken == "abc")
        guard case .endpointSlice(let s)? = page.items.first?.object else { Issue.record("no slice"); return }
        #expect(s.serviceName == "web" && s.endpoints.first?.targetName == "web-7d4b9c-x2k8p")
    }

    @Test func paths() {
        #expect(WatchedResource(kind: .service).path == "/api/v1/services")
        #expect(WatchedResource(kind: .endpointSlice, namespace: "a").path == "/apis/discovery.k8s.io/v1/namespaces/a/endpointslices")
        #expect(WatchedResource(kind: .namespace, namespace: "a").path == "/api/v1/namespaces")
        #expect(WatchedResource(kind: .pod, namespace: "a").sourceName == "kubernetes:pods/a")
        #expect(APIClient.encode([("labelSelector", "app in (a,b),tier!=db")]) == "?labelSelector=app%20in%20%28a%2Cb%29%2Ctier%21%3Ddb")
    }

    @Test func backoffGrowsWithJitterToTheCap() {
        var b = Backoff(initial: .milliseconds(200), maximum: .seconds(30))
        let delays = (0..<12).map { _ in b.next() }
        #expect(delays[0] >= .milliseconds(100) && delays[0] <= .milliseconds(200))
        #expect(delays[3] >= .milliseconds(800) && delays[3] <= .milliseconds(1600))
        #expect(delays.allSatisfy { $0 <= .seconds(30) })
        #expect(delays.last! >= .seconds(15))
        b.reset()
        #expect(b.next() <= .milliseconds(200))
    }
}
