import MicroHTTPD
public import Observability
import Synchronization

/// The admin HTTP server: the `AdminRouter` on libmicrohttpd, bound to `admin.listen`.
///
/// ```swift
/// let admin = try AdminServer(listen: "127.0.0.1:8088", token: config.admin.token,
///                             dependencies: dependencies, logger: logger)
/// try admin.start()      // binds; port 0 picks a free port, see `port`
/// …
/// admin.stop()
/// ```
public final class AdminServer: Sendable {
    public struct Options: Sendable {
        /// Request bodies above this are refused with 413 (the page never sends more than a few KiB).
        public var maxBodyBytes: Int = 256 * 1024
        public var threads: UInt32 = 2
        public var connectionLimit: UInt32 = 64
        public var connectionTimeoutSeconds: UInt32 = 30
        public init() {}
    }

    public let host: String
    public let requestedPort: Int
    public let router: AdminRouter
    private let options: Options
    private let logger: Logger
    private let server = Mutex<HTTPServer?>(nil)

    /// - Parameter listen: `host:port` (IPv4); port 0 picks a free port.
    public init(listen: String, token: String, dependencies: AdminDependencies, logger: Logger,
                options: Options = Options()) throws(AdminServerError) {
        let (host, port) = try Self.parse(listen: listen)
        self.host = host
        self.requestedPort = port
        self.options = options
        self.logger = logger
        self.router = AdminRouter(token: token, dependencies: dependencies, logger: logger)
    }

    /// Binds and starts serving on libmicrohttpd's threads. Calling it twice does nothing.
    public func start() throws(AdminServerError) {
        try server.withLock { (current: inout HTTPServer?) throws(AdminServerError) in
            guard current == nil else { return }
            var httpOptions = HTTPServer.Options()
            httpOptions.maxBodyBytes = options.maxBodyBytes
            httpOptions.threads = options.threads
            httpOptions.connectionLimit = options.connectionLimit
            httpOptions.connectionTimeoutSeconds = options.connectionTimeoutSeconds
            let router = self.router
            do {
                current = try HTTPServer(host: host, port: requestedPort, options: httpOptions) { request in
                    router.handle(request)
                }
            } catch {
                throw AdminServerError(description: "admin API: \(error)")
            }
        }
        logger.notice("admin API listening", ["admin.url": baseURL])
    }

    /// Stops accepting and waits for in-flight requests. Safe to call twice.
    public func stop() {
        let running = server.withLock { current -> HTTPServer? in
            defer { current = nil }
            return current
        }
        running?.stop()
    }

    /// The bound port (the chosen one when 0 was asked for); 0 before `start()`.
    public var port: Int { server.withLock { $0?.port ?? 0 } }
    public var baseURL: String { "http://\(host):\(port)" }

    static func parse(listen: String) throws(AdminServerError) -> (String, Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65535).contains(port)
        else {
            throw AdminServerError(description: "admin.listen must be host:port, got \"\(listen)\"")
        }
        let host = String(listen[..<colon])
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}

public struct AdminServerError: Error, Sendable, CustomStringConvertible {
    public var description: String
}
