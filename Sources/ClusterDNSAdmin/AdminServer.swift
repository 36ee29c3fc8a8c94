import Glibc
import Hummingbird
import NIOCore
import Logging
import ServiceLifecycle
import Synchronization
import ClusterModel

/// The request context of the admin server: Hummingbird's defaults with our body limit.
public struct AdminRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public init(source: ApplicationRequestContextSource) { coreContext = .init(source: source) }
    public var maxUploadSize: Int { AdminOptions.defaultMaxBodyBytes }
}

/// Adapts Hummingbird requests to `AdminAPI`.
struct AdminHTTPResponder: HTTPResponder {
    typealias Context = AdminRequestContext
    let api: AdminAPI

    func respond(to request: Request, context: AdminRequestContext) async throws -> Response {
        let declared = request.headers[.contentLength].flatMap { Int($0) }
        let body = request.body
        let admin = AdminRequest(
            method: request.method.rawValue, path: request.uri.path,
            contentType: request.headers[.contentType], authorization: request.headers[.authorization],
            readBody: { limit in
                if let declared, declared > limit { throw KubeStatus.tooLarge(limit) }
                var copy = Request(head: request.head, body: body)
                do {
                    let buffer = try await copy.collectBody(upTo: limit)
                    return Array(buffer.readableBytesView)
                } catch let error as HTTPResponseError where error.status == .contentTooLarge {
                    throw KubeStatus.tooLarge(limit)
                }
            }, query: request.uri.query)
        let answer = await api.handle(admin)
        var headers = HTTPFields()
        headers[.contentType] = answer.contentType
        for (name, value) in answer.headers {
            if let field = HTTPFields.Element.Name(name) { headers[field] = value }
        }
        return Response(status: .init(code: answer.status), headers: headers,
                        body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}

/// The admin HTTP server: a Hummingbird application serving `AdminAPI`, run until `stop()`.
public final class AdminServer: Sendable {
    /// The bound host.
    public let host: String
    /// The bound port (port 0 resolved).
    public let port: Int
    /// The API it serves.
    public let api: AdminAPI
    let group: ServiceGroup
    let task: Task<Void, Never>

    private init(host: String, port: Int, api: AdminAPI, group: ServiceGroup, task: Task<Void, Never>) {
        self.host = host; self.port = port; self.api = api; self.group = group; self.task = task
    }

    /// Binds and starts serving; returns once the listener is bound, throws when it cannot bind.
    public static func start(api: AdminAPI, logger: Logger) async throws -> AdminServer {
        let options = api.options
        let (events, continuation) = AsyncStream<Result<Int, any Error>>.makeStream()
        var hbLogger = logger
        if hbLogger.logLevel < .notice { hbLogger.logLevel = .notice } // Hummingbird logs every start at info
        let connections = AdminConnectionGuard.Count()
        let app = Application(
            responder: AdminHTTPResponder(api: api),
            server: .http1(configuration: .init(additionalChannelHandlers: [
                AdminConnectionGuard(count: connections, limit: options.maxConnections,
                                     idleTimeout: TimeAmount(options.idleTimeout),
                                     requestTimeout: TimeAmount(options.requestTimeout),
                                     maxBodyBytes: options.maxBodyBytes),
            ])),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "clusterdns"),
            onServerRunning: { channel in continuation.yield(.success(channel.localAddress?.port ?? options.port)) },
            eventLoopGroupProvider: .singleton,
            logger: hbLogger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: hbLogger))
        // Detached: a task started here would inherit the caller's graceful-shutdown context
        // (swift-service-lifecycle keeps it task-local), and SIGTERM would close the admin server
        // at once, before the lame duck's failing /readyz could be read. `stop()` ends it.
        let task = Task.detached {
            do {
                try await group.run()
                continuation.yield(.failure(AdminServerError.stopped))
            } catch {
                continuation.yield(.failure(error))
            }
            continuation.finish()
        }
        for await event in events {
            switch event {
            case .success(let port):
                logger.info("admin listening", metadata: ["http": "\(options.host):\(port)"])
                return AdminServer(host: options.host, port: port, api: api, group: group, task: task)
            case .failure(let error):
                // The system's text (`Address already in use (errno 98)`), not NIO's description
                // of the syscall's Swift signature.
                let reason = (error as? IOError).map { "\(String(cString: strerror($0.errnoCode))) (errno \($0.errnoCode))" } ?? "\(error)"
                throw AdminServerError.cannotBind("\(options.host):\(options.port)", reason)
            }
        }
        throw AdminServerError.stopped
    }

    /// Stops accepting, finishes open requests, and returns when the listener is closed.
    public func stop() async {
        await group.triggerGracefulShutdown()
        await task.value
    }
}

/// Why the admin server could not run.
public enum AdminServerError: Error, CustomStringConvertible {
    case cannotBind(String, String)
    case stopped

    public var description: String {
        switch self {
        case .cannotBind(let address, let why): "admin: cannot listen on \(address): \(why)"
        case .stopped: "admin: the server stopped"
        }
    }
}
