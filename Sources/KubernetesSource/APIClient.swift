import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL

/// Why a request failed.
enum APIError: Error, CustomStringConvertible {
    /// The server answered with a `Status` (non-2xx, or a watch `ERROR` event).
    case status(APIStatus)
    /// The body was not what the API sends.
    case decoding(String)

    var isGone: Bool { if case .status(let s) = self { s.isGone } else { false } }

    var description: String {
        switch self {
        case .status(let s): "API error \(s)"
        case .decoding(let m): "undecodable response: \(m)"
        }
    }
}

/// GETs against one API server over AsyncHTTPClient, with its TLS material and credentials.
final class APIClient: Sendable {
    let http: HTTPClient
    let connection: KubernetesConnection
    let tokenFile: TokenFile?

    init(connection: KubernetesConnection, readTimeout: TimeAmount) throws {
        self.connection = connection
        var config = HTTPClient.Configuration(
            tlsConfiguration: try Self.tlsConfiguration(for: connection),
            timeout: .init(connect: .seconds(10), read: readTimeout))
        config.httpVersion = .http1Only
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
        if case .tokenFile(let path) = connection.credentials { tokenFile = TokenFile(path: path) } else { tokenFile = nil }
    }

    /// The CA, client certificate and verification mode of a connection.
    static func tlsConfiguration(for connection: KubernetesConnection) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if connection.insecureSkipTLSVerify { tls.certificateVerification = .none }
        do {
            if let ca = connection.certificateAuthorityPEM {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(ca))
            }
            if let cert = connection.clientCertificatePEM, let key = connection.clientKeyPEM {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(cert).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
            }
        } catch {
            throw KubernetesSourceError("cannot load TLS material for \(connection.server): \(error) (certificate-authority, client-certificate or client-key)")
        }
        // A client key that does not belong to its certificate fails here, at start, as in
        // client-go ("private key does not match public key"), not on every request after.
        if connection.clientCertificatePEM != nil {
            do {
                _ = try NIOSSLContext(configuration: tls)
            } catch {
                throw KubernetesSourceError("cannot use the client certificate for \(connection.server): its client-key does not match it (\(error))")
            }
        }
        return tls
    }

    func shutdown() async { try? await http.shutdown() }

    /// The `Authorization` header value for the next request (the token file is checked each time).
    var authorization: String? {
        switch connection.credentials {
        case .none: nil
        case .token(let t): "Bearer \(t)"
        case .tokenFile: tokenFile?.current().map { "Bearer \($0)" }
        case .basic(let u, let p): "Basic \(Data("\(u):\(p)".utf8).base64EncodedString())"
        }
    }

    /// GETs `path?query`; throws `APIError.status` for non-2xx answers (reading the `Status` body).
    func get(_ path: String, query: [(String, String)], timeout: TimeAmount) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: connection.server + path + Self.encode(query))
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "clusterdns")
        if let auth = authorization { request.headers.add(name: "Authorization", value: auth) }
        let response = try await http.execute(request, timeout: timeout)
        guard (200..<300).contains(response.status.code) else {
            let body = (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
            var status = (try? JSONDecoder().decode(APIStatus.self, from: body))
                ?? APIStatus(message: body.getString(at: body.readerIndex, length: min(body.readableBytes, 512)),
                             reason: response.status.reasonPhrase, code: Int(response.status.code))
            if status.code == nil { status.code = Int(response.status.code) }
            throw APIError.status(status)
        }
        return response
    }

    /// `?a=b&c=d`, percent-encoding everything but unreserved characters.
    static func encode(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        func e(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s }
        return "?" + query.map { "\(e($0.0))=\(e($0.1))" }.joined(separator: "&")
    }
}
