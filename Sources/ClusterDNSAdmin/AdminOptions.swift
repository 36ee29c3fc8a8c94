/// How the admin HTTP server listens and whom it lets in.
public struct AdminOptions: Sendable, Hashable {
    /// Which requests need the bearer token (when one is configured).
    public enum AuthScope: String, Sendable, Hashable, CaseIterable {
        /// Writes only (`PUT`, `POST`, `DELETE`); reads, `/metrics` and probes are open.
        case writes
        /// Every request except `/healthz` and `/readyz` (kubelet probes send no token).
        case all
    }

    /// Listen address (loopback by default).
    public var host: String
    /// Listen port; 0 picks a free port (see `AdminServer.port`).
    public var port: Int
    /// The bearer token, when `--admin-token-file` is given.
    public var token: String?
    /// What the token protects.
    public var authScope: AuthScope
    /// Refuse every write with 403.
    public var readOnly: Bool
    /// Largest request body, in bytes; larger ones get 413 before being parsed.
    public var maxBodyBytes: Int

    /// The 4 MiB default body limit.
    public static let defaultMaxBodyBytes = 4 << 20

    /// Builds options; the defaults are those of `clusterdns serve`.
    public init(host: String = "127.0.0.1", port: Int = 8053, token: String? = nil,
                authScope: AuthScope = .writes, readOnly: Bool = false,
                maxBodyBytes: Int = AdminOptions.defaultMaxBodyBytes) {
        self.host = host; self.port = port; self.token = token
        self.authScope = authScope; self.readOnly = readOnly; self.maxBodyBytes = maxBodyBytes
    }
}
