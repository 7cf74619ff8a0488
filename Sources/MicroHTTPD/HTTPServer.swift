import CMicroHTTPD
import CShims
import Foundation
import Synchronization

/// An HTTP request as the handler sees it: method, path, query, headers, whole body.
public struct HTTPRequest: Sendable {
    public var method: String
    /// Path without the query string, percent-decoding left to the router.
    public var path: String
    public var query: [String: String]
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
                body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Close the connection instead of answering (for fault-injection receivers in tests).
    public var dropConnection: Bool

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = [], dropConnection: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.dropConnection = dropConnection
    }

    public init(status: Int, contentType: String, body: String) {
        self.init(status: status, headers: [("Content-Type", contentType)], body: Array(body.utf8))
    }
}

/// Handlers run on libmicrohttpd's worker threads; they may block (a slow test receiver sleeps).
public typealias HTTPHandler = @Sendable (HTTPRequest) -> HTTPResponse

public struct HTTPServerError: Error, CustomStringConvertible {
    public var description: String
}

/// A small HTTP/1.1 server over libmicrohttpd, bound to one IPv4 address (port 0 = any free port).
///
/// Why libmicrohttpd: threads, timeouts, connection limits and `100-continue` come built in; the only
/// friction is the variadic `MHD_start_daemon`, wrapped by `cs_mhd_start` in CShims.
public final class HTTPServer: Sendable {
    public struct Options: Sendable {
        public var threads: UInt32 = 4
        public var connectionTimeoutSeconds: UInt32 = 30
        public var connectionLimit: UInt32 = 256
        /// Larger bodies are refused with 413 without being buffered.
        public var maxBodyBytes: Int = 1 << 20
        public init() {}
    }

    public let host: String
    /// What MHD's threads call. Retained separately (`passRetained`) and released only after
    /// `MHD_stop_daemon` has joined them, so a request in flight never holds the last reference to
    /// the `HTTPServer`: if it did, `deinit` would run on an MHD worker and `MHD_stop_daemon` would
    /// try to join its own thread ("Failed to join a thread", abort).
    private let core: ServerCore
    /// The daemon pointer; `@unchecked` because MHD is thread-safe for stop and the pointer is only
    /// read after start and cleared once under the mutex.
    private struct DaemonHandle: @unchecked Sendable {
        let pointer: OpaquePointer
        let context: Unmanaged<ServerCore>
    }
    private let daemon = Mutex<DaemonHandle?>(nil)

    public init(host: String = "127.0.0.1", port: Int = 0, options: Options = Options(),
                handler: @escaping HTTPHandler) throws {
        self.core = ServerCore(handler: handler, options: options)
        self.host = host
        let flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_EPOLL.rawValue | MHD_USE_ERROR_LOG.rawValue
        let context = Unmanaged.passRetained(core)
        guard let started = cs_mhd_start(flags, UInt16(port), host, options.threads, options.connectionTimeoutSeconds,
                                         options.connectionLimit, accessHandler, context.toOpaque(),
                                         completedHandler, nil)
        else {
            context.release()
            throw HTTPServerError(description: "cannot listen on \(host):\(port) (address in use or invalid)")
        }
        let resolvedPort = Int(cs_mhd_bound_port(started))
        daemon.withLock { $0 = DaemonHandle(pointer: started, context: context) }
        boundPort.withLock { $0 = resolvedPort }
    }

    private let boundPort = Mutex(0)
    /// The port actually bound (the chosen one when 0 was asked for).
    public var port: Int { boundPort.withLock { $0 } }
    /// `http://host:port` of the running server.
    public var baseURL: String { "http://\(host):\(port)" }

    /// Stops accepting and waits for the worker threads. Safe to call twice.
    public func stop() {
        let handle = daemon.withLock { current -> DaemonHandle? in
            defer { current = nil }
            return current
        }
        if let handle {
            MHD_stop_daemon(handle.pointer)
            handle.context.release()
        }
    }

    deinit { stop() }
}

/// The handler and options MHD's threads use (see `HTTPServer.core`).
private final class ServerCore: Sendable {
    let handler: HTTPHandler
    let options: HTTPServer.Options
    init(handler: @escaping HTTPHandler, options: HTTPServer.Options) {
        self.handler = handler
        self.options = options
    }
    func respond(_ request: HTTPRequest) -> HTTPResponse { handler(request) }
}

/// Per-request state kept by MHD between the calls of the access handler.
private final class RequestState {
    var body: [UInt8] = []
    var tooLarge = false
}

private let accessHandler: MHD_AccessHandlerCallback = { cls, connection, url, method, _, uploadData, uploadSize, requestContext in
    guard let cls, let connection, let requestContext, let uploadSize else { return .NO }
    let server = Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue()
    guard let raw = requestContext.pointee else {
        requestContext.pointee = Unmanaged.passRetained(RequestState()).toOpaque()
        return .YES
    }
    let state = Unmanaged<RequestState>.fromOpaque(raw).takeUnretainedValue()
    if uploadSize.pointee > 0 {
        if state.body.count + uploadSize.pointee > server.options.maxBodyBytes {
            state.tooLarge = true
        } else if let uploadData {
            state.body.append(contentsOf: UnsafeRawBufferPointer(start: uploadData, count: uploadSize.pointee))
        }
        uploadSize.pointee = 0
        return .YES
    }
    let methodText = method.map { String(cString: $0) } ?? "GET"
    let path = url.map { String(cString: $0) } ?? "/"
    var response: HTTPResponse
    if state.tooLarge {
        response = HTTPResponse(status: 413, contentType: "application/json",
                                body: #"{"error":{"message":"request body too large","field":"body"}}"#)
    } else {
        let request = HTTPRequest(method: methodText, path: path, query: collect(connection, .GET_ARGUMENT_KIND),
                                  headers: collect(connection, .HEADER_KIND), body: state.body)
        response = server.respond(request)
    }
    if response.dropConnection { return .NO }
    let mhdResponse = response.body.withUnsafeBytes { bytes in
        MHD_create_response_from_buffer(bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress),
                                        .RESPMEM_MUST_COPY)
    }
    guard let mhdResponse else { return .NO }
    for (name, value) in response.headers { MHD_add_response_header(mhdResponse, name, value) }
    let result = MHD_queue_response(connection, UInt32(response.status), mhdResponse)
    MHD_destroy_response(mhdResponse)
    return result
}

private let completedHandler: MHD_RequestCompletedCallback = { _, _, requestContext, _ in
    if let requestContext, let raw = requestContext.pointee {
        Unmanaged<RequestState>.fromOpaque(raw).release()
        requestContext.pointee = nil
    }
}

private final class KeyValueCollector {
    var values: [String: String] = [:]
}

private let keyValueIterator: MHD_KeyValueIterator = { cls, _, key, value in
    guard let cls, let key else { return .YES }
    let collector = Unmanaged<KeyValueCollector>.fromOpaque(cls).takeUnretainedValue()
    collector.values[String(cString: key)] = value.map { String(cString: $0) } ?? ""
    return .YES
}

private func collect(_ connection: OpaquePointer, _ kind: MHD_ValueKind) -> [String: String] {
    let collector = KeyValueCollector()
    let context = Unmanaged.passUnretained(collector).toOpaque()
    _ = MHD_get_connection_values(connection, kind, keyValueIterator, context)
    return withExtendedLifetime(collector) { collector.values }
}
