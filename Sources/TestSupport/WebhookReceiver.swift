import Foundation
public import MicroHTTPD
import Synchronization

/// One request as a `WebhookReceiver` saw it.
public struct RecordedRequest: Sendable {
    /// 0, 1, 2, … in arrival order.
    public var index: Int
    public var method: String
    public var path: String
    /// Names lower-cased.
    public var headers: [String: String]
    public var body: [UInt8]
    /// Wall-clock arrival time.
    public var receivedAt: Date

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
    /// The body as a JSON object, when it is one.
    public var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
}

/// How a `WebhookReceiver` answers one request.
public indirect enum ReceiverReply: Sendable {
    case status(Int, headers: [String: String] = [:], body: String = "")
    /// Sleeps (blocking one server thread), then answers.
    case delayed(milliseconds: Int, ReceiverReply)
    /// Closes the connection without an answer.
    case drop

    public static let ok = ReceiverReply.status(200, body: "ok")

    /// A failure with `Retry-After: seconds`.
    public static func retryAfter(_ status: Int, seconds: Int) -> ReceiverReply {
        .status(status, headers: ["Retry-After": String(seconds)])
    }
}

/// A real HTTP receiver on 127.0.0.1 (port 0) that records every request, headers included, and
/// answers from a script (`[.status(503), .delayed(milliseconds: 200, .ok), .drop]`, then
/// `otherwise`) or from a responder closure. Built on `MicroHTTPD`; for tests only.
public final class WebhookReceiver: Sendable {
    private let server: HTTPServer
    private let log = LockedBox<[RecordedRequest]>([])

    /// Answers the scripted replies in order, then `otherwise` for every later request.
    public convenience init(script: [ReceiverReply] = [], otherwise: ReceiverReply = .ok, threads: UInt32 = 8) throws {
        let remaining = LockedBox(script[...])
        try self.init(threads: threads) { _ in
            remaining.withLock { queue in queue.popFirst() } ?? otherwise
        }
    }

    /// Answers with whatever `responder` returns for each request (called on a server thread).
    public init(threads: UInt32 = 8, responder: @escaping @Sendable (RecordedRequest) -> ReceiverReply) throws {
        var options = HTTPServer.Options()
        options.threads = threads
        options.connectionTimeoutSeconds = 60
        let log = self.log
        server = try HTTPServer(host: "127.0.0.1", port: 0, options: options) { request in
            let recorded = log.withLock { entries -> RecordedRequest in
                let entry = RecordedRequest(index: entries.count, method: request.method, path: request.path,
                                            headers: request.headers, body: request.body, receivedAt: Date())
                entries.append(entry)
                return entry
            }
            return Self.response(for: responder(recorded))
        }
    }

    private static func response(for reply: ReceiverReply) -> HTTPResponse {
        switch reply {
        case .status(let status, let headers, let body):
            var fields = headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            if !headers.keys.contains(where: { $0.lowercased() == "content-type" }) {
                fields.append(("Content-Type", "text/plain"))
            }
            return HTTPResponse(status: status, headers: fields, body: Array(body.utf8))
        case .delayed(let milliseconds, let then):
            usleep(useconds_t(max(0, milliseconds)) * 1000)
            return response(for: then)
        case .drop:
            return HTTPResponse(status: 500, dropConnection: true)
        }
    }

    /// `http://127.0.0.1:<port>/hook`.
    public var url: String { server.baseURL + "/hook" }
    public func url(path: String) -> String { server.baseURL + path }
    public var port: Int { server.port }

    /// Everything received so far.
    public var requests: [RecordedRequest] { log.withLock { $0 } }

    /// Waits until `condition` holds for the recorded requests or `timeout` passes; returns whether it held.
    @discardableResult
    public func wait(timeout: Duration = .seconds(10), until condition: ([RecordedRequest]) -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            if condition(requests) { return true }
            if ContinuousClock.now >= deadline { return false }
            usleep(5_000)
        }
    }

    /// Waits for at least `count` requests (bounded); returns what was received.
    @discardableResult
    public func waitForRequests(count: Int, timeout: Duration = .seconds(10)) -> [RecordedRequest] {
        wait(timeout: timeout) { $0.count >= count }
        return requests
    }

    public func stop() { server.stop() }
}

/// A value behind a mutex, in a class so closures can share it.
private final class LockedBox<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
