/// Why an AMI connection ended (or never started). Carried to logs and to the client's users.
public enum AMIDisconnectReason: Sendable, Hashable, CustomStringConvertible {
    /// TCP connect failed or timed out (the text names the error).
    case connectFailed(String)
    /// The server closed the connection (EOF).
    case closedByPeer
    /// Reading or writing the socket failed (the text names the error).
    case ioError(String)
    /// No `Pong` arrived within the keepalive timeout: the connection is considered dead.
    case keepaliveTimeout
    /// The server rejected the login (its `Message:`, e.g. `Authentication failed`).
    case authenticationFailed(String)
    /// The client was asked to stop.
    case stopped

    public var description: String {
        switch self {
        case .connectFailed(let text): return "connect failed: \(text)"
        case .closedByPeer: return "closed by peer"
        case .ioError(let text): return "I/O error: \(text)"
        case .keepaliveTimeout: return "keepalive timeout: no Pong"
        case .authenticationFailed(let text): return "authentication failed: \(text)"
        case .stopped: return "stopped"
        }
    }
}

/// The pure AMI session: login (plain or MD5 challenge), `Events: on`, `Ping` keepalive with a
/// dead-connection timeout, a `CoreShowChannels` resync after every login, and reconnect with
/// capped exponential backoff and jitter.
///
/// ## Overview
/// The shell (``AMIClient``) owns the socket and the clock. It feeds facts in — ``connected()``,
/// ``frameReceived(_:)``, ``keepaliveDue(timer:)``, ``disconnected(_:jitter:)``, ``stopRequested()``
/// — and performs the returned ``Action``s in order. Nothing here reads a clock, sleeps, logs or
/// draws random numbers: MD5 is injected, jitter is passed in, time is only ever a `Duration` to
/// wait.
///
/// ## Inputs and outputs
/// - `connected()` (TCP is up) → `send(Challenge)` or `send(Login)`.
/// - `frameReceived` → during login: `send(Login)` after a challenge, `sessionEstablished` +
///   `send(CoreShowChannels)` + `scheduleKeepalive` on success, `fail` + `close` on rejection;
///   afterwards `deliver(message)` for every message that is not an answer to the machine's own
///   actions, and `deliverLiveChannels` once the `CoreShowChannels` list is complete.
/// - `keepaliveDue(timer:)` → `send(Ping)` + `scheduleKeepalive(timeout)`, or `close(.keepaliveTimeout)`
///   when the previous ping is still unanswered. Stale timers (an older `timer` id) are ignored.
/// - `disconnected` → `reconnect(after:)` (backoff, or the slow authentication retry), or nothing
///   once stopped.
///
/// ## Invariants
/// - At most one timer is meaningful: each `scheduleKeepalive` replaces the previous one.
/// - After an authentication failure the next attempt waits at least
///   ``Configuration/authenticationRetryDelay`` (never a tight loop).
/// - The backoff attempt counter is reset only once a session has proved healthy (its first Pong),
///   so a server that accepts the login and then drops the connection still meets growing delays.
/// - The secret never appears in an action's description (``AMIAction`` redacts `Secret`/`Key`).
public struct AMISessionStateMachine: Sendable {
    public struct Backoff: Sendable, Hashable {
        /// Delay before the first reconnect.
        public var initial: Duration
        /// Cap of the exponential growth.
        public var maximum: Duration
        /// Growth per failed attempt.
        public var multiplier: Double
        /// Share of the delay that is randomised: the delay is `base × (1 − jitterFraction × jitter)`
        /// for a `jitter` in 0…1 (0.5 = "equal jitter").
        public var jitterFraction: Double

        public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30),
                    multiplier: Double = 2, jitterFraction: Double = 0.5) {
            self.initial = initial
            self.maximum = maximum
            self.multiplier = multiplier
            self.jitterFraction = min(max(jitterFraction, 0), 1)
        }

        /// The delay before reconnect attempt number `attempt` (0-based) for a `jitter` in 0…1.
        public func delay(attempt: Int, jitter: Double) -> Duration {
            let initialSeconds = initial.seconds
            let maximumSeconds = maximum.seconds
            var base = initialSeconds
            var step = 0
            while step < attempt && base < maximumSeconds {
                base *= multiplier
                step += 1
            }
            base = min(base, maximumSeconds)
            let clampedJitter = min(max(jitter, 0), 1)
            return Duration.seconds(base * (1 - jitterFraction * clampedJitter))
        }
    }

    public struct Configuration: Sendable {
        public var username: String
        public var secret: String
        /// Log in with `Action: Challenge` + MD5 key instead of sending the secret.
        public var useMD5: Bool
        /// The `Events:` value of the login (`on`, `off`, or a class list like `call,agent`).
        public var events: String
        /// Time between pings while the connection is quiet or busy.
        public var keepaliveInterval: Duration
        /// How long a ping may stay unanswered before the connection is declared dead.
        public var keepaliveTimeout: Duration
        public var backoff: Backoff
        /// The least delay before retrying after the server rejected the login.
        public var authenticationRetryDelay: Duration
        /// Ask for `CoreShowChannels` after every login.
        public var requestsLiveChannels: Bool
        /// Prefix of the ActionIDs the machine generates (so its answers can be told apart).
        public var actionIDPrefix: String

        public init(username: String, secret: String, useMD5: Bool = false, events: String = "on",
                    keepaliveInterval: Duration = .seconds(10), keepaliveTimeout: Duration = .seconds(5),
                    backoff: Backoff = Backoff(), authenticationRetryDelay: Duration = .seconds(30),
                    requestsLiveChannels: Bool = true, actionIDPrefix: String = "ep") {
            self.username = username
            self.secret = secret
            self.useMD5 = useMD5
            self.events = events
            self.keepaliveInterval = keepaliveInterval
            self.keepaliveTimeout = keepaliveTimeout
            self.backoff = backoff
            self.authenticationRetryDelay = authenticationRetryDelay
            self.requestsLiveChannels = requestsLiveChannels
            self.actionIDPrefix = actionIDPrefix
        }
    }

    /// What the shell must do, in order.
    public enum Action: Sendable, Hashable {
        /// Write this action to the socket.
        case send(AMIAction)
        /// Hand this message to the consumer.
        case deliver(AMIMessage)
        /// The `CoreShowChannels` answer: the `CoreShowChannel` items in order, then the
        /// `CoreShowChannelsComplete` event (empty items if Asterisk refused the action).
        case deliverLiveChannels([AMIMessage])
        /// The login was accepted; `bannerVersion` is the AMI version from the greeting, if seen.
        case sessionEstablished(bannerVersion: String?)
        /// (Re)arm the single keepalive timer: call ``keepaliveDue(timer:)`` with `timer` after `after`.
        case scheduleKeepalive(after: Duration, timer: Int)
        /// Close the socket, then call ``disconnected(_:jitter:)`` (the reason given here wins).
        case close(AMIDisconnectReason)
        /// Wait, then connect again and call ``connected()``.
        case reconnect(after: Duration)
        /// Report a failure that needs a person (wrong credentials). A `close` follows.
        case fail(AMISessionFailure)
    }

    public enum State: Sendable, Hashable {
        case idle
        case awaitingChallenge
        case awaitingLogin
        case active
        case closing(AMIDisconnectReason)
        case disconnected
        case stopped
    }

    public let configuration: Configuration
    public private(set) var state: State = .idle
    private let md5Hex: @Sendable (String) -> String

    private var nextActionNumber = 1
    private var pendingActionID: String?
    private var bannerVersion: String?
    private var pingActionID: String?
    private var keepaliveTimer = 0
    private var liveChannelsActionID: String?
    private var liveChannels: [AMIMessage] = []
    private var failedAttempts = 0
    private var sessionProvedHealthy = false

    /// - Parameter md5Hex: lower-case hex MD5 of a string's UTF-8 bytes (libcrypto in the shell).
    public init(configuration: Configuration, md5Hex: @escaping @Sendable (String) -> String) {
        self.configuration = configuration
        self.md5Hex = md5Hex
    }

    // MARK: - Inputs

    /// The TCP connection is up.
    public mutating func connected() -> [Action] {
        guard state != .stopped else { return [.close(.stopped)] }
        bannerVersion = nil
        pingActionID = nil
        liveChannelsActionID = nil
        liveChannels = []
        sessionProvedHealthy = false
        if configuration.useMD5 {
            state = .awaitingChallenge
            let id = makeActionID()
            pendingActionID = id
            return [.send(AMIAction("Challenge", actionID: id, [("AuthType", "MD5")]))]
        }
        state = .awaitingLogin
        return [.send(loginAction(key: nil))]
    }

    /// A frame arrived from the decoder.
    public mutating func frameReceived(_ frame: AMIFrame) -> [Action] {
        switch frame {
        case .banner(let version):
            bannerVersion = version
            return []
        case .malformed:
            return []
        case .message(let message):
            return messageReceived(message)
        }
    }

    /// The keepalive timer `timer` fired.
    public mutating func keepaliveDue(timer: Int) -> [Action] {
        guard state == .active, timer == keepaliveTimer else { return [] }
        if pingActionID != nil {
            state = .closing(.keepaliveTimeout)
            return [.close(.keepaliveTimeout)]
        }
        let id = makeActionID()
        pingActionID = id
        return [.send(AMIAction("Ping", actionID: id)), armKeepalive(after: configuration.keepaliveTimeout)]
    }

    /// The connection is closed (by us after `close`, by the peer, or a connect attempt failed).
    /// - Parameter jitter: a number in 0…1 from the shell's random source.
    public mutating func disconnected(_ reason: AMIDisconnectReason, jitter: Double) -> [Action] {
        if state == .stopped { return [] }
        var effective = reason
        if case .closing(let own) = state { effective = own }
        keepaliveTimer += 1
        pingActionID = nil
        pendingActionID = nil
        liveChannelsActionID = nil
        liveChannels = []
        state = .disconnected
        if sessionProvedHealthy { failedAttempts = 0 }
        sessionProvedHealthy = false
        if case .authenticationFailed = effective {
            let backoffDelay = configuration.backoff.delay(attempt: failedAttempts, jitter: jitter)
            failedAttempts += 1
            // Slow retry: at least the configured delay, plus up to a quarter of it as jitter.
            let slow = configuration.authenticationRetryDelay * (1 + 0.25 * min(max(jitter, 0), 1))
            return [.reconnect(after: max(slow, backoffDelay))]
        }
        let delay = configuration.backoff.delay(attempt: failedAttempts, jitter: jitter)
        failedAttempts += 1
        return [.reconnect(after: delay)]
    }

    /// The owner wants the session to end: no reconnect after this.
    public mutating func stopRequested() -> [Action] {
        let wasConnected = state == .awaitingLogin || state == .awaitingChallenge || state == .active
        state = .stopped
        keepaliveTimer += 1
        return wasConnected ? [.close(.stopped)] : []
    }

    // MARK: - Messages

    private mutating func messageReceived(_ message: AMIMessage) -> [Action] {
        switch state {
        case .awaitingChallenge:
            guard isAnswerToPending(message) else { return [] }
            pendingActionID = nil
            guard message.valueEquals("Response", "Success"), let challenge = message["Challenge"] else {
                return loginRejected(message["Message"] ?? "challenge refused")
            }
            state = .awaitingLogin
            return [.send(loginAction(key: md5Hex(challenge + configuration.secret)))]
        case .awaitingLogin:
            guard isAnswerToPending(message) else { return [] }
            pendingActionID = nil
            guard message.valueEquals("Response", "Success") else {
                return loginRejected(message["Message"] ?? "login refused")
            }
            state = .active
            var actions: [Action] = [.sessionEstablished(bannerVersion: bannerVersion)]
            if configuration.requestsLiveChannels {
                let id = makeActionID()
                liveChannelsActionID = id
                liveChannels = []
                actions.append(.send(AMIAction("CoreShowChannels", actionID: id)))
            }
            actions.append(armKeepalive(after: configuration.keepaliveInterval))
            return actions
        case .active:
            return activeMessage(message)
        case .idle, .closing, .disconnected, .stopped:
            return []
        }
    }

    private mutating func activeMessage(_ message: AMIMessage) -> [Action] {
        if let pingID = pingActionID, message.response != nil, message.valueEquals("ActionID", pingID) {
            pingActionID = nil
            sessionProvedHealthy = true
            return [armKeepalive(after: configuration.keepaliveInterval)]
        }
        if let listID = liveChannelsActionID, message.valueEquals("ActionID", listID) {
            if message.response != nil {
                // The list acknowledgement; an error means no list will follow.
                if message.valueEquals("Response", "Success") { return [] }
                liveChannelsActionID = nil
                liveChannels = []
                return [.deliverLiveChannels([])]
            }
            liveChannels.append(message)
            if message.valueEquals("EventList", "Complete") || message.isEvent("CoreShowChannelsComplete") {
                let list = liveChannels
                liveChannels = []
                liveChannelsActionID = nil
                return [.deliverLiveChannels(list)]
            }
            return []
        }
        return [.deliver(message)]
    }

    private mutating func loginRejected(_ text: String) -> [Action] {
        let reason = AMIDisconnectReason.authenticationFailed(text)
        state = .closing(reason)
        return [.fail(.authenticationFailed(username: configuration.username, message: text)), .close(reason)]
    }

    // MARK: - Helpers

    private func isAnswerToPending(_ message: AMIMessage) -> Bool {
        guard message.response != nil else { return false }
        guard let id = pendingActionID else { return false }
        // Asterisk echoes the ActionID; accept an answer without one (some proxies drop it).
        return message.actionID == nil || message.valueEquals("ActionID", id)
    }

    private mutating func armKeepalive(after delay: Duration) -> Action {
        keepaliveTimer += 1
        return .scheduleKeepalive(after: delay, timer: keepaliveTimer)
    }

    private mutating func makeActionID() -> String {
        defer { nextActionNumber += 1 }
        return "\(configuration.actionIDPrefix)-\(nextActionNumber)"
    }

    private mutating func loginAction(key: String?) -> AMIAction {
        let id = makeActionID()
        pendingActionID = id
        var fields: [(String, String)] = [("Username", configuration.username)]
        if let key {
            fields.insert(("AuthType", "MD5"), at: 0)
            fields.append(("Key", key))
        } else {
            fields.append(("Secret", configuration.secret))
        }
        fields.append(("Events", configuration.events))
        return AMIAction("Login", actionID: id, fields)
    }
}

/// A failure the session reports to a person.
public enum AMISessionFailure: Sendable, Hashable, CustomStringConvertible {
    /// The server rejected the credentials (wrong user, secret, MD5 key, or an ACL).
    case authenticationFailed(username: String, message: String)

    public var description: String {
        switch self {
        case .authenticationFailed(let username, let message):
            return "AMI login as \"\(username)\" rejected: \(message)"
        }
    }
}

extension Duration {
    /// This duration in seconds as a `Double`.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
