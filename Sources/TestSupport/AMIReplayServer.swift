import AMIProtocol
import Dispatch
import Foundation
import Glibc
import Synchronization

/// A TCP server on 127.0.0.1 (port 0) that speaks like Asterisk's manager, for client tests.
///
/// It sends the banner, answers `Login` (plain, or MD5 after `Challenge`; a wrong login gets
/// `Response: Error / Message: Authentication failed` and the connection is closed, as
/// `action_login()` does), `Ping` (unless told to stop answering), `Events`, `CoreShowChannels`
/// (with a configurable list), `Logoff`; before login every other action gets
/// `Permission denied`. After each successful login it streams the configured events (typically a
/// capture minus its own `Response` messages). Tests can drop every connection, push more events
/// or raw bytes, and read what the clients sent.
public final class AMIReplayServer: Sendable {
    public struct Configuration: Sendable {
        public var username: String
        public var secret: String
        /// The version in the banner `Asterisk Call Manager/<version>`.
        public var bannerVersion: String
        /// Needed to accept MD5 logins (pass `Crypto.md5Hex`); without it MD5 logins fail.
        public var md5Hex: (@Sendable (String) -> String)?
        /// Messages streamed to a connection right after each successful login.
        public var events: [AMIMessage]
        /// The `CoreShowChannel` items answered to `CoreShowChannels` (ActionID is added).
        public var liveChannels: [AMIMessage]

        public init(username: String = "gateway", secret: String = "secret", bannerVersion: String = "11.0.0",
                    md5Hex: (@Sendable (String) -> String)? = nil, events: [AMIMessage] = [],
                    liveChannels: [AMIMessage] = []) {
            self.username = username
            self.secret = secret
            self.bannerVersion = bannerVersion
            self.md5Hex = md5Hex
            self.events = events
            self.liveChannels = liveChannels
        }

        /// A configuration that streams the capture at `path` (minus its own responses) after login.
        public static func replaying(capture path: String, liveChannels: [AMIMessage] = [],
                                     md5Hex: (@Sendable (String) -> String)? = nil) throws -> Configuration {
            Configuration(md5Hex: md5Hex, events: try AMIReplayServer.streamableMessages(ofCapture: path),
                          liveChannels: liveChannels)
        }
    }

    /// Counters and the actions received, for assertions.
    public struct Statistics: Sendable {
        public var connectionsAccepted = 0
        public var loginAttempts = 0
        public var successfulLogins = 0
        public var failedLogins = 0
        public var pingsReceived = 0
        public var pingsAnswered = 0
        public var actions: [AMIMessage] = []
    }

    public let configuration: Configuration
    /// The bound port on 127.0.0.1.
    public let port: UInt16
    private let listenFD: Int32
    private let eventBytes: [UInt8]
    private let state = Mutex(ServerState())
    private let threads = DispatchGroup()

    private struct ServerState {
        var statistics = Statistics()
        var answersPings = true
        var connections: [Int: ReplayConnection] = [:]
        var nextConnectionID = 0
        var stopped = false
    }

    /// Binds 127.0.0.1:0 and starts accepting.
    public init(configuration: Configuration) throws {
        self.configuration = configuration
        var bytes: [UInt8] = []
        for message in configuration.events { bytes += message.encoded() }
        self.eventBytes = bytes
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ReplayServerError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(0).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let text = String(cString: strerror(errno))
            close(fd)
            throw ReplayServerError("bind/listen on 127.0.0.1:0: \(text)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.listenFD = fd
        self.port = UInt16(bigEndian: address.sin_port)
        threads.enter()
        let thread = Thread { [self] in
            acceptLoop()
            threads.leave()
        }
        thread.name = "ami-replay-accept"
        thread.start()
    }

    deinit {
        stop()
    }

    /// The messages of a capture that a server would stream: everything except the banner, the
    /// capture's own `Response` messages and diagnostics.
    public static func streamableMessages(ofCapture path: String) throws -> [AMIMessage] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReplayServerError("cannot read capture \(path)")
        }
        var decoder = AMIFrameDecoder()
        decoder.feed(data)
        var messages: [AMIMessage] = []
        for frame in decoder.decodeAvailable() + decoder.finish() {
            if case .message(let message) = frame, message.response == nil { messages.append(message) }
        }
        return messages
    }

    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Whether `Ping` is answered (turn off to make a client's keepalive time out).
    public var answersPings: Bool {
        get { state.withLock { $0.answersPings } }
        set { state.withLock { $0.answersPings = newValue } }
    }

    /// Number of connections open now.
    public var openConnections: Int { state.withLock { $0.connections.count } }

    /// Closes every client connection at once (the server keeps listening).
    public func dropConnections() {
        let connections = state.withLock { Array($0.connections.values) }
        for connection in connections { connection.shutdown() }
    }

    /// Sends `messages` to every logged-in connection now.
    public func stream(_ messages: [AMIMessage]) {
        var bytes: [UInt8] = []
        for message in messages { bytes += message.encoded() }
        sendRaw(bytes)
    }

    /// Sends raw bytes (e.g. garbage or an oversized line) to every logged-in connection now.
    public func sendRaw(_ bytes: [UInt8]) {
        let connections = state.withLock { Array($0.connections.values) }
        for connection in connections where connection.isAuthenticated { _ = connection.send(bytes) }
    }

    /// Stops listening, closes every connection and waits for the server's threads.
    public func stop() {
        let alreadyStopped = state.withLock { s -> Bool in
            defer { s.stopped = true }
            return s.stopped
        }
        guard !alreadyStopped else { return }
        Glibc.shutdown(listenFD, Int32(SHUT_RDWR))
        dropConnections()
        threads.wait()
        close(listenFD)
    }

    /// Waits until `condition` holds or `timeout` passes; returns whether it held.
    public func wait(timeout: Duration = .seconds(10), until condition: (Statistics) -> Bool) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if condition(statistics) { return true }
            usleep(5_000)
        }
        return condition(statistics)
    }

    // MARK: - Accepting

    private func acceptLoop() {
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let connection = ReplayConnection(fd: fd)
            let (id, stopped) = state.withLock { s -> (Int, Bool) in
                s.nextConnectionID += 1
                s.statistics.connectionsAccepted += 1
                if !s.stopped { s.connections[s.nextConnectionID] = connection }
                return (s.nextConnectionID, s.stopped)
            }
            if stopped {
                connection.shutdown()
                connection.close()
                return
            }
            threads.enter()
            let thread = Thread { [self] in
                serve(connection)
                state.withLock { _ = $0.connections.removeValue(forKey: id) }
                connection.close()
                threads.leave()
            }
            thread.name = "ami-replay-conn"
            thread.start()
        }
    }

    // MARK: - One connection

    private func serve(_ connection: ReplayConnection) {
        guard connection.send(Array("Asterisk Call Manager/\(configuration.bannerVersion)\r\n".utf8)) else { return }
        var decoder = AMIFrameDecoder()
        var challenge: String?
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return }
            decoder.feed(buffer[0..<count])
            while let frame = decoder.next() {
                guard case .message(let action) = frame, let name = action.action?.lowercased() else { continue }
                state.withLock { $0.statistics.actions.append(action) }
                guard handle(name, action, connection, &challenge) else { return }
            }
        }
    }

    /// Answers one action. Returns false when the connection must close.
    private func handle(_ name: String, _ action: AMIMessage, _ connection: ReplayConnection,
                        _ challenge: inout String?) -> Bool {
        let id = action.actionID
        switch name {
        case "challenge":
            let value = String(UInt32.random(in: 100_000_000...999_999_999))
            challenge = value
            return connection.send(response("Success", id, [("Challenge", value)]))
        case "login":
            state.withLock { $0.statistics.loginAttempts += 1 }
            guard loginIsValid(action, challenge: challenge) else {
                state.withLock { $0.statistics.failedLogins += 1 }
                _ = connection.send(response("Error", id, [("Message", "Authentication failed")]))
                return false
            }
            connection.isAuthenticated = true
            state.withLock { $0.statistics.successfulLogins += 1 }
            guard connection.send(response("Success", id, [("Message", "Authentication accepted")])) else {
                return false
            }
            return eventBytes.isEmpty || connection.send(eventBytes)
        case "logoff":
            _ = connection.send(response("Goodbye", id, [("Message", "Thanks for all the fish.")]))
            return false
        default:
            break
        }
        guard connection.isAuthenticated else {
            return connection.send(response("Error", id, [("Message", "Permission denied")]))
        }
        switch name {
        case "ping":
            let answer = state.withLock { s -> Bool in
                s.statistics.pingsReceived += 1
                if s.answersPings { s.statistics.pingsAnswered += 1 }
                return s.answersPings
            }
            guard answer else { return true }
            return connection.send(response("Success", id, [("Ping", "Pong"), ("Timestamp", "1796414997.000000")]))
        case "events":
            return connection.send(response("Success", id, [("Events", "On")]))
        case "coreshowchannels":
            var bytes = response("Success", id, [("EventList", "start"), ("Message", "Channels will follow")])
            for item in configuration.liveChannels {
                var fields = item.fields.map { ($0.key, $0.value) }
                if let id { fields.insert(("ActionID", id), at: min(1, fields.count)) }
                bytes += AMIMessage(fields).encoded()
            }
            var complete: [(String, String)] = [("Event", "CoreShowChannelsComplete")]
            if let id { complete.append(("ActionID", id)) }
            complete += [("EventList", "Complete"), ("ListItems", String(configuration.liveChannels.count))]
            bytes += AMIMessage(complete).encoded()
            return connection.send(bytes)
        default:
            return connection.send(response("Error", id, [("Message", "Invalid/unknown command: \(name).")]))
        }
    }

    private func loginIsValid(_ action: AMIMessage, challenge: String?) -> Bool {
        guard action["Username"] == configuration.username else { return false }
        if action.valueEquals("AuthType", "MD5") {
            guard let challenge, let md5Hex = configuration.md5Hex, let key = action["Key"] else { return false }
            return key.lowercased() == md5Hex(challenge + configuration.secret)
        }
        return action["Secret"] == configuration.secret
    }

    private func response(_ status: String, _ actionID: String?, _ fields: [(String, String)]) -> [UInt8] {
        var all: [(String, String)] = [("Response", status)]
        if let actionID, !actionID.isEmpty { all.append(("ActionID", actionID)) }
        return AMIMessage(all + fields).encoded()
    }
}

/// A client connection of the replay server. The fd is written under a lock (the serving thread
/// and `stream`/`sendRaw` callers may write concurrently); `isAuthenticated` is atomic.
private final class ReplayConnection: Sendable {
    let fd: Int32
    private let writeLock = Mutex(())
    private let authenticated = Atomic<Bool>(false)

    init(fd: Int32) { self.fd = fd }

    var isAuthenticated: Bool {
        get { authenticated.load(ordering: .acquiring) }
        set { authenticated.store(newValue, ordering: .releasing) }
    }

    /// Blocking send of all bytes; false when the peer is gone.
    func send(_ bytes: [UInt8]) -> Bool {
        writeLock.withLock { _ in
            bytes.withUnsafeBytes { raw -> Bool in
                var offset = 0
                while offset < raw.count {
                    let written = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                    if written < 0 && errno == EINTR { continue }
                    if written <= 0 { return false }
                    offset += written
                }
                return true
            }
        }
    }

    func shutdown() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    func close() { _ = Glibc.close(fd) }
}

/// A replay-server setup error.
public struct ReplayServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
