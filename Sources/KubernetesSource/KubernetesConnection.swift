import Foundation
import Yams

/// A problem with the Kubernetes configuration or the API (never a transient network error).
public struct KubernetesSourceError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// How to reach and authenticate to one Kubernetes API server: what a kubeconfig context or the
/// in-cluster service account says.
public struct KubernetesConnection: Sendable, Hashable {
    /// How requests authenticate (besides a client certificate, which may be combined with any).
    public enum Credentials: Sendable, Hashable {
        /// No `Authorization` header.
        case none
        /// A fixed bearer token.
        case token(String)
        /// A bearer token read from a file, re-read whenever the file changes (projected
        /// service-account tokens are rotated by the kubelet).
        case tokenFile(String)
        /// HTTP basic authentication (kubeconfig `username`/`password`).
        case basic(username: String, password: String)
    }

    /// The API base URL, e.g. `https://10.96.0.1:443` (no trailing slash).
    public var server: String
    /// PEM bytes of the CA bundle that signs the server certificate; nil means the system roots.
    public var certificateAuthorityPEM: [UInt8]?
    /// Skip server certificate verification (kubeconfig `insecure-skip-tls-verify`).
    public var insecureSkipTLSVerify: Bool
    /// Bearer token, token file or basic credentials.
    public var credentials: Credentials
    /// PEM client certificate (chain) and key for mutual TLS.
    public var clientCertificatePEM: [UInt8]?
    public var clientKeyPEM: [UInt8]?
    /// The context's default namespace (informational; clusterdns watches all namespaces unless told).
    public var namespace: String?
    /// The context name this came from (`in-cluster` for the service account).
    public var contextName: String

    public init(server: String, certificateAuthorityPEM: [UInt8]? = nil, insecureSkipTLSVerify: Bool = false,
                credentials: Credentials = .none, clientCertificatePEM: [UInt8]? = nil, clientKeyPEM: [UInt8]? = nil,
                namespace: String? = nil, contextName: String = "") {
        var s = server
        while s.hasSuffix("/") { s.removeLast() }
        self.server = s; self.certificateAuthorityPEM = certificateAuthorityPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify; self.credentials = credentials
        self.clientCertificatePEM = clientCertificatePEM; self.clientKeyPEM = clientKeyPEM
        self.namespace = namespace; self.contextName = contextName
    }

    /// The default directory of the in-cluster service account.
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// True when running in a pod (`KUBERNETES_SERVICE_HOST` is set).
    public static func isInCluster(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        !(environment["KUBERNETES_SERVICE_HOST"] ?? "").isEmpty
    }

    /// The in-cluster configuration (client-go `rest.InClusterConfig`): `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`,
    /// the token file `token` (re-read when it changes) and the CA `ca.crt` in `directory`.
    public static func inCluster(environment: [String: String] = ProcessInfo.processInfo.environment,
                                 directory: String = serviceAccountDirectory) throws(KubernetesSourceError) -> KubernetesConnection {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw KubernetesSourceError("unable to load in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set")
        }
        let tokenFile = (directory as NSString).appendingPathComponent("token")
        guard FileManager.default.isReadableFile(atPath: tokenFile) else {
            throw KubernetesSourceError("unable to load in-cluster configuration: cannot read \(tokenFile)")
        }
        let caFile = (directory as NSString).appendingPathComponent("ca.crt")
        let ca = FileManager.default.contents(atPath: caFile).map { Array($0) }
        let ns = FileManager.default.contents(atPath: (directory as NSString).appendingPathComponent("namespace"))
            .flatMap { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        let h = host.contains(":") ? "[\(host)]" : host
        return KubernetesConnection(server: "https://\(h):\(port)", certificateAuthorityPEM: ca,
                                    credentials: .tokenFile(tokenFile), namespace: ns, contextName: "in-cluster")
    }

    /// Reads a kubeconfig file; `context` nil means its `current-context`. Relative file paths
    /// in it are relative to the file's directory, as kubectl reads them.
    public static func kubeconfig(path: String, context: String? = nil) throws(KubernetesSourceError) -> KubernetesConnection {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KubernetesSourceError("kubeconfig \(path): cannot read file")
        }
        let dir = (path as NSString).deletingLastPathComponent
        return try kubeconfig(yaml: String(decoding: data, as: UTF8.self), directory: dir.isEmpty ? "." : dir,
                              context: context, name: path)
    }

    /// Parses kubeconfig text.
    public static func kubeconfig(yaml: String, directory: String, context: String? = nil,
                                  name: String = "kubeconfig") throws(KubernetesSourceError) -> KubernetesConnection {
        let file: KubeconfigFile
        do {
            file = try YAMLDecoder().decode(KubeconfigFile.self, from: yaml)
        } catch {
            throw KubernetesSourceError("\(name): not a valid kubeconfig: \(error)")
        }
        let contextName = context ?? file.currentContext ?? ""
        guard !contextName.isEmpty else {
            throw KubernetesSourceError("\(name): no current-context; pass --context (contexts: \(file.contextNames))")
        }
        guard let ctx = file.contexts?.first(where: { $0.name == contextName })?.context else {
            throw KubernetesSourceError("\(name): context \"\(contextName)\" not found (contexts: \(file.contextNames))")
        }
        guard let cluster = file.clusters?.first(where: { $0.name == ctx.cluster })?.cluster else {
            throw KubernetesSourceError("\(name): cluster \"\(ctx.cluster)\" of context \"\(contextName)\" not found")
        }
        // Settings that change where or as whom requests go: refused rather than ignored, since
        // ignoring them connects somewhere else, or as someone else, than kubectl would.
        for (key, value) in [("tls-server-name", cluster.tlsServerName), ("proxy-url", cluster.proxyURL)] {
            if let value, !value.isEmpty {
                throw KubernetesSourceError("\(name): cluster \"\(ctx.cluster)\" sets \(key), which clusterdns does not support; remove it (with a server address the certificate names, and a direct route to it)")
            }
        }
        guard let server = cluster.server, !server.isEmpty else {
            throw KubernetesSourceError("\(name): cluster \"\(ctx.cluster)\" has no server")
        }
        guard server.hasPrefix("https://") || server.hasPrefix("http://") else {
            throw KubernetesSourceError("\(name): server \"\(server)\" must be an http:// or https:// URL")
        }
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : (directory as NSString).appendingPathComponent(p) }
        func material(data: String?, file: String?, what: String) throws(KubernetesSourceError) -> [UInt8]? {
            if let data, !data.isEmpty {
                guard let d = Data(base64Encoded: data, options: .ignoreUnknownCharacters) else {
                    throw KubernetesSourceError("\(name): \(what)-data is not valid base64")
                }
                return Array(d)
            }
            if let file, !file.isEmpty {
                guard let d = FileManager.default.contents(atPath: resolve(file)) else {
                    throw KubernetesSourceError("\(name): \(what) \(resolve(file)): cannot read file")
                }
                return Array(d)
            }
            return nil
        }
        let ca = try material(data: cluster.certificateAuthorityData, file: cluster.certificateAuthority,
                              what: "certificate-authority")
        var credentials = Credentials.none
        var cert: [UInt8]?, key: [UInt8]?
        if let userName = ctx.user, !userName.isEmpty {
            guard let user = file.users?.first(where: { $0.name == userName })?.user else {
                throw KubernetesSourceError("\(name): user \"\(userName)\" of context \"\(contextName)\" not found")
            }
            if user.impersonate != nil || user.impersonateGroups != nil {
                throw KubernetesSourceError("\(name): user \"\(userName)\" impersonates (as, as-groups), which clusterdns does not support; use that identity's own credentials")
            }
            if user.exec != nil || user.authProvider != nil {
                throw KubernetesSourceError("\(name): user \"\(userName)\" uses an exec or auth-provider plugin, which clusterdns does not run; use a token, token file or client certificate")
            }
            if let f = user.tokenFile, !f.isEmpty {
                // As client-go: a token file that cannot be read fails at load, not as 401s later.
                guard TokenFile.read(resolve(f)) != nil else {
                    throw KubernetesSourceError("\(name): user \"\(userName)\": tokenFile \(resolve(f)) cannot be read or is empty")
                }
                credentials = .tokenFile(resolve(f))
            } else if let t = user.token, !t.isEmpty {
                credentials = .token(t)
            } else if let u = user.username, !u.isEmpty {
                credentials = .basic(username: u, password: user.password ?? "")
            }
            cert = try material(data: user.clientCertificateData, file: user.clientCertificate, what: "client-certificate")
            key = try material(data: user.clientKeyData, file: user.clientKey, what: "client-key")
            if (cert == nil) != (key == nil) {
                throw KubernetesSourceError("\(name): user \"\(userName)\" needs both client-certificate and client-key")
            }
        }
        return KubernetesConnection(server: server, certificateAuthorityPEM: ca,
                                    insecureSkipTLSVerify: cluster.insecureSkipTLSVerify ?? false,
                                    credentials: credentials, clientCertificatePEM: cert, clientKeyPEM: key,
                                    namespace: ctx.namespace, contextName: contextName)
    }
}

/// The parts of a kubeconfig (`clientcmd/api/v1.Config`) clusterdns reads.
struct KubeconfigFile: Decodable {
    struct Cluster: Decodable {
        let server: String?
        let certificateAuthority: String?
        let certificateAuthorityData: String?
        let insecureSkipTLSVerify: Bool?
        let tlsServerName: String?
        let proxyURL: String?
        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
            case proxyURL = "proxy-url"
        }
    }
    struct Context: Decodable { let cluster: String; let user: String?; let namespace: String? }
    /// Any value; only its presence matters.
    struct Present: Decodable { init(from decoder: any Decoder) throws {} }
    struct User: Decodable {
        let token: String?
        let tokenFile: String?
        let username: String?
        let password: String?
        let clientCertificate: String?
        let clientCertificateData: String?
        let clientKey: String?
        let clientKeyData: String?
        let exec: Present?
        let authProvider: Present?
        let impersonate: String?
        let impersonateGroups: [String]?
        enum CodingKeys: String, CodingKey {
            case token, tokenFile, username, password, exec
            case impersonate = "as"
            case impersonateGroups = "as-groups"
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case authProvider = "auth-provider"
        }
    }
    struct ClusterEntry: Decodable { let name: String; let cluster: Cluster }
    struct ContextEntry: Decodable { let name: String; let context: Context }
    struct UserEntry: Decodable { let name: String; let user: User }

    let currentContext: String?
    let clusters: [ClusterEntry]?
    let contexts: [ContextEntry]?
    let users: [UserEntry]?
    enum CodingKeys: String, CodingKey {
        case clusters, contexts, users
        case currentContext = "current-context"
    }

    var contextNames: String { (contexts ?? []).map(\.name).joined(separator: ", ") }
}
