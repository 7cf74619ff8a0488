import CallEvents
import Configuration
import EventPublisher
import Foundation
import Observability
import Storage
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

// Shared pieces of the end-to-end, crash, reconnect, bad-input and security tests: temporary
// folders and configurations, the daemon in-process or as a subprocess, and the checks on what a
// receiver saw. Every wait is bounded by a deadline; no test asserts on timing.

/// A temporary folder removed on deinit.
final class TemporaryFolder: Sendable {
    let path: String

    init(_ prefix: String = "ep-e2e") throws {
        var template = Array((NSTemporaryDirectory() + "\(prefix)-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw HarnessError("mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The YAML configuration the end-to-end tests run with: one active webhook receiving every event
/// of every tenant.
struct EndToEndConfiguration {
    var amiPort: Int
    var storePath: String
    var webhookURL: String
    var adminToken = "e2e-admin-token-5f1c"
    var amiSecret = "secret"
    var adminListen = "127.0.0.1:0"
    var extraWebhookLines: [String] = []

    var yaml: String {
        var lines = [
            "ami: { host: 127.0.0.1, port: \(amiPort), username: gateway, secret: \"\(amiSecret)\" }",
            "store: { path: \"\(storePath)\" }",
            "admin: { listen: \"\(adminListen)\", token: \"\(adminToken)\" }",
            "webhooks:",
            "  - name: sink",
            "    active: true",
            "    all_tenants: true",
            "    url: \"\(webhookURL)\"",
            "    subscribe_all: true",
        ]
        lines += extraWebhookLines.map { "    " + $0 }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the file (mode 0600) and returns its path.
    func write(to path: String) throws -> String {
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        return path
    }
}

enum EndToEnd {
    static let concurrentCapture = Fixtures.path("fixtures/ami/16-concurrent-10-mixed.ami")

    /// What `event-publisher replay` emits for `capture` with the configuration at `configPath`
    /// (the same correlation settings as the daemon under test).
    static func expectedEvents(capture: String, configPath: String) throws -> [CallEvent] {
        let configuration = try GatewayConfiguration.load(path: configPath)
        return try ReplayRunner.run(capture: capture, configuration: configuration.correlation).events
    }

    /// Polls `condition` every 10 ms until it holds or `timeout` passes; returns whether it held.
    @discardableResult
    static func wait(timeout: Duration, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            usleep(10_000)
        }
        return try condition()
    }

    /// A logger for an in-process daemon whose records the test can read.
    static func capturingLogger(level: LogLevel = .debug) -> (Logger, InMemoryLogHandler) {
        let handler = InMemoryLogHandler()
        return (Logger(label: "e2e", level: level, handler: handler), handler)
    }

    /// Options for an in-process daemon with a fast retry schedule (so a failed first attempt is
    /// retried within a test's time).
    static func options(configPath: String, amiPort: UInt16, logger: Logger,
                        retrySchedule: [Duration] = [.milliseconds(300), .milliseconds(600), .seconds(1), .seconds(2)])
        -> DaemonOptions
    {
        var options = DaemonOptions(configPath: configPath, logger: logger,
                                    amiEndpointOverride: (host: "127.0.0.1", port: Int(amiPort)),
                                    adminListenOverride: "127.0.0.1:0")
        options.deliveryConfiguration.policy.schedule = retrySchedule
        options.deliveryConfiguration.policy.jitterFraction = 0
        options.deliveryConfiguration.policy.maxRetryAfter = .seconds(2)
        return options
    }
}

// MARK: - What a receiver saw

/// One webhook request reduced to what the delivery guarantees speak about.
struct ReceivedEvent: Hashable {
    var webhookID: String
    var eventID: String
    var callID: String
    var sequence: Int
    var type: String
    var legID: String?
    /// Whether the receiver answered it with a 2xx.
    var accepted: Bool
}

/// Remembers which requests a scripted receiver accepted (index → accepted).
final class ReceiverVerdicts: Sendable {
    private let verdicts = Mutex<[Int: Bool]>([:])
    func record(_ index: Int, accepted: Bool) { verdicts.withLock { $0[index] = accepted } }
    func accepted(_ index: Int) -> Bool { verdicts.withLock { $0[index] ?? true } }
}

extension Array where Element == RecordedRequest {
    func receivedEvents(verdicts: ReceiverVerdicts? = nil) -> [ReceivedEvent] {
        compactMap { request in
            guard let json = request.json, let id = json["id"] as? String,
                  let sequence = json["sequence"] as? Int, let type = json["type"] as? String,
                  let data = json["data"] as? [String: Any], let callID = data["call_id"] as? String
            else { return nil }
            let leg = (data["leg"] as? [String: Any])?["id"] as? String
            return ReceivedEvent(webhookID: request.header("webhook-id") ?? "", eventID: id, callID: callID,
                                 sequence: sequence, type: type, legID: leg,
                                 accepted: verdicts?.accepted(request.index) ?? true)
        }
    }
}

/// The at-least-once / per-call-order checks shared by the delivery tests.
enum DeliveryChecks {
    /// Every request's `webhook-id` equals the event id in its body (so duplicates carry the same id).
    static func webhookIDsMatchEventIDs(_ received: [ReceivedEvent]) -> [String] {
        received.filter { $0.webhookID != $0.eventID }.map { "\($0.eventID) arrived with webhook-id \($0.webhookID)" }
    }

    /// The first arrival of each event, and the accepted arrivals, follow `sequence` within each call.
    static func perCallOrderViolations(_ received: [ReceivedEvent]) -> [String] {
        var problems: [String] = []
        for (label, list) in [("first arrivals", firstArrivals(received)), ("accepted", firstArrivals(received.filter(\.accepted)))] {
            var last: [String: Int] = [:]
            for event in list {
                if let previous = last[event.callID], previous >= event.sequence {
                    problems.append("\(label): call \(event.callID) sequence \(event.sequence) after \(previous)")
                }
                last[event.callID] = event.sequence
            }
        }
        return problems
    }

    static func firstArrivals(_ received: [ReceivedEvent]) -> [ReceivedEvent] {
        var seen: Set<String> = []
        return received.filter { seen.insert($0.eventID).inserted }
    }
}

// MARK: - The built binary as a subprocess

/// Finds the `event-publisher` executable built beside the test bundle.
///
/// Order: `$EVENT_PUBLISHER_BINARY`; the folder of the running test executable (`swift test` builds
/// every product into the same `<scratch>/debug` folder as `event-publisherPackageTests.xctest`);
/// then `.build/debug` and `.build-rel/debug` under the repository.
enum DaemonBinary {
    static let path: String? = {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["EVENT_PUBLISHER_BINARY"] { candidates.append(explicit) }
        if let me = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var folder = URL(fileURLWithPath: me).deletingLastPathComponent()
            if folder.pathExtension == "xctest" { folder = folder.deletingLastPathComponent() }
            candidates.append(folder.appendingPathComponent("event-publisher").path)
        }
        for scratch in [".build", ".build-rel"] {
            candidates.append(Fixtures.path("\(scratch)/debug/event-publisher"))
            candidates.append(Fixtures.path("\(scratch)/release/event-publisher"))
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static var isAvailable: Bool { path != nil }
}

/// `event-publisher run --config PATH` as a child process; stderr goes to a file the test can read.
final class DaemonProcess {
    let process = Process()
    let logPath: String

    init(configPath: String, logPath: String) throws {
        guard let binary = DaemonBinary.path else { throw HarnessError("event-publisher binary not found") }
        self.logPath = logPath
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", "--config", configPath, "--log-format", "json"]
        process.standardError = log
        process.standardOutput = log
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// `kill -9` and reap.
    func kill9() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGTERM, then waits up to `timeout` (then SIGKILL). Returns the exit status.
    @discardableResult
    func terminate(timeout: Duration = .seconds(15)) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        if !EndToEnd.wait(timeout: timeout, { !process.isRunning }) { kill9() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
}

// MARK: - A minimal HTTP/1.1 client for the admin API (raw socket, `Connection: close`)

struct AdminResponse {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body)) }
    /// `error.field` of a `{"error": {"message", "field"}}` answer.
    var errorField: String? { ((json as? [String: Any])?["error"] as? [String: Any])?["field"] as? String }
    var errorMessage: String? { ((json as? [String: Any])?["error"] as? [String: Any])?["message"] as? String }
}

enum AdminHTTP {
    /// Sends one request to 127.0.0.1:`port` and reads the whole answer (bounded by `timeout`).
    static func request(port: Int, _ method: String, _ path: String, token: String? = nil, body: [UInt8]? = nil,
                        headers: [(String, String)] = [], timeout: Int32 = 10) throws -> AdminResponse {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket failed") }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw HarnessError("connect to admin port \(port) failed") }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8) + (body ?? [])
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { break }  // the server may answer (413) and close before reading everything
            offset += sent
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            answer += buffer[0..<count]
        }
        return try parse(answer)
    }

    static func parse(_ answer: [UInt8]) throws -> AdminResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, answer.count - 3)).first(where: { Array(answer[$0..<$0 + 4]) == separator }) else {
            throw HarnessError("no HTTP answer (\(answer.count) bytes)")
        }
        let lines = String(decoding: answer[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw HarnessError("bad status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(answer[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return AdminResponse(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard let lineEnd = (index..<bytes.count - 1).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }),
                  let size = Int(String(decoding: bytes[index..<lineEnd], as: UTF8.self)
                      .split(separator: ";").first ?? "", radix: 16), size > 0 else { break }
            let start = lineEnd + 2
            out += bytes[start..<min(start + size, bytes.count)]
            index = start + size + 2
        }
        return out
    }

    static func json(_ object: [String: Any]) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data())
    }
}

/// An in-process daemon with its temp folder, AMI server, receiver and captured log, for the
/// bad-input and security tests.
final class RunningDaemon {
    let folder: TemporaryFolder
    let server: AMIReplayServer
    let receiver: WebhookReceiver
    let daemon: Daemon
    let logs: InMemoryLogHandler
    let configuration: EndToEndConfiguration
    let configPath: String
    var adminPort: Int { daemon.adminPort ?? 0 }
    var token: String { configuration.adminToken }

    init(capture: String? = nil, extraWebhookLines: [String] = [], amiSecret: String = "secret",
         receiver: WebhookReceiver? = nil) throws {
        folder = try TemporaryFolder("ep-daemon")
        var serverConfiguration = try capture.map { try AMIReplayServer.Configuration.replaying(capture: $0) }
            ?? AMIReplayServer.Configuration()
        serverConfiguration.secret = amiSecret
        server = try AMIReplayServer(configuration: serverConfiguration)
        self.receiver = try receiver ?? WebhookReceiver()
        var configuration = EndToEndConfiguration(amiPort: Int(server.port), storePath: folder.file("store.sqlite"),
                                                  webhookURL: self.receiver.url)
        configuration.amiSecret = amiSecret
        configuration.extraWebhookLines = extraWebhookLines
        self.configuration = configuration
        configPath = try configuration.write(to: folder.file("config.yaml"))
        let (logger, handler) = EndToEnd.capturingLogger(level: .trace)
        logs = handler
        daemon = Daemon(options: EndToEnd.options(configPath: configPath, amiPort: server.port, logger: logger))
        try daemon.start()
    }

    func api(_ method: String, _ path: String, body: [UInt8]? = nil, token: String? = nil,
             headers: [(String, String)] = []) throws -> AdminResponse {
        try AdminHTTP.request(port: adminPort, method, path, token: token ?? self.token, body: body, headers: headers)
    }

    /// The webhooks as the API lists them.
    func webhooks() throws -> [[String: Any]] {
        let response = try api("GET", "/api/webhooks")
        if let list = response.json as? [[String: Any]] { return list }
        if let object = response.json as? [String: Any], let list = object["webhooks"] as? [[String: Any]] { return list }
        throw HarnessError("unexpected /api/webhooks answer \(response.status): \(response.text.prefix(300))")
    }

    func stop() {
        daemon.stop(deliveryTimeout: .seconds(2))
        receiver.stop()
        server.stop()
    }
}
