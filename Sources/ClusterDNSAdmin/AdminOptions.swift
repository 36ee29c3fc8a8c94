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

    /// Connections open at once; one more is closed as soon as it is accepted.
    public var maxConnections: Int
    /// The time a connection may wait for its first request, or between requests; then it is
    /// closed.
    public var idleTimeout: Duration
    /// The time a request has from its head to its last body byte; then the connection is closed.
    public var requestTimeout: Duration

    /// The 4 MiB default body limit.
    public static let defaultMaxBodyBytes = 4 << 20
    /// The default connection cap.
    public static let defaultMaxConnections = 256
    /// The default time between requests.
    public static let defaultIdleTimeout = Duration.seconds(10)
    /// The default time to send a request.
    public static let defaultRequestTimeout = Duration.seconds(30)

    /// Builds options; the defaults are those of `clusterdns serve`.
    public init(host: String = "127.0.0.1", port: Int = 8053, token: String? = nil,
                authScope: AuthScope = .writes, readOnly: Bool = false,
                maxBodyBytes: Int = AdminOptions.defaultMaxBodyBytes,
                maxConnections: Int = AdminOptions.defaultMaxConnections,
                idleTimeout: Duration = AdminOptions.defaultIdleTimeout,
                requestTimeout: Duration = AdminOptions.defaultRequestTimeout) {
        self.host = host; self.port = port; self.token = token
        self.authScope = authScope; self.readOnly = readOnly; self.maxBodyBytes = maxBodyBytes
        self.maxConnections = maxConnections; self.idleTimeout = idleTimeout; self.requestTimeout = requestTimeout
    }
}
