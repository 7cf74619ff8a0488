import AMIProtocol
import Crypto
import Dispatch
import Foundation
import Glibc
import Observability
import Synchronization

/// What an ``AMIClient`` reports to its owner, in order, from its reader thread.
public enum AMIClientEvent: Sendable, Hashable {
    /// The login was accepted; events follow. `bannerVersion` is the AMI version from the greeting.
    case connected(bannerVersion: String?)
    /// An AMI message (events, and responses to actions the client did not send itself).
    case message(AMIMessage)
    /// The answer to the `CoreShowChannels` sent after every login: the `CoreShowChannel` items,
    /// then the `CoreShowChannelsComplete` event. The engine resyncs from it.
    case liveChannels([AMIMessage])
    /// The connection ended (or a connect attempt failed); the client retries on its own.
    case disconnected(AMIDisconnectReason)
    /// The server rejected the credentials. The client retries slowly
    /// (``AMIClient/Configuration/authenticationRetryDelay``); a person should fix the config.
    case authenticationFailed(String)
}

/// A live AMI connection: TCP, login, keepalive, reconnect, resync, driven by
/// ``AMISessionStateMachine`` on a dedicated thread.
///
/// ## Reading promptly
/// Asterisk closes a session whose socket does not drain within its `writetimeout` (100 ms by
/// default). The reader thread does nothing but read, decode and hand messages over: `onEvent` is
/// called on that thread and must return quickly (append to a queue, yield to an `AsyncStream` —
/// ``start(bufferingPolicy:)`` does exactly that). A consumer may wait briefly to bound its queue
/// (the daemon's `IngestPipeline` waits once 20,000 messages are queued): the kernel's socket
/// buffers absorb a short pause; only a reader stalled until they are full and then past
/// `writetimeout` is dropped.
///
/// ## Logging
/// Connect, disconnect (with the reason), authentication failure and decoder diagnostics go to the
/// logger with `ami.*` metadata. The secret is never logged; ``Configuration`` prints it as `***`.
public final class AMIClient: Sendable {
    public struct Configuration: Sendable, CustomStringConvertible {
        public var host: String
        public var port: UInt16
        public var username: String
        public var secret: String
        public var useMD5: Bool
        public var events: String
        public var keepaliveInterval: Duration
        public var keepaliveTimeout: Duration
        public var connectTimeout: Duration
        public var writeTimeout: Duration
        public var backoff: AMISessionStateMachine.Backoff
        public var authenticationRetryDelay: Duration
        public var requestsLiveChannels: Bool
        public var decoderLimits: AMIFrameDecoder.Limits
        /// Sees every byte read from Asterisk, before decoding, on the reader thread (the capture
        /// recorder writes them to a `.ami` file). Must return quickly: the reader waits for it.
        public var rawInputObserver: (@Sendable (UnsafeRawBufferPointer) -> Void)?

        public init(host: String, port: UInt16 = 5038, username: String, secret: String, useMD5: Bool = false,
                    events: String = "on", keepaliveInterval: Duration = .seconds(10),
                    keepaliveTimeout: Duration = .seconds(5), connectTimeout: Duration = .seconds(5),
                    writeTimeout: Duration = .seconds(5),
                    backoff: AMISessionStateMachine.Backoff = AMISessionStateMachine.Backoff(),
                    authenticationRetryDelay: Duration = .seconds(30), requestsLiveChannels: Bool = true,
                    decoderLimits: AMIFrameDecoder.Limits = AMIFrameDecoder.Limits(),
                    rawInputObserver: (@Sendable (UnsafeRawBufferPointer) -> Void)? = nil) {
            self.host = host
            self.port = port
            self.username = username
            self.secret = secret
            self.useMD5 = useMD5
            self.events = events
            self.keepaliveInterval = keepaliveInterval
            self.keepaliveTimeout = keepaliveTimeout
            self.connectTimeout = connectTimeout
            self.writeTimeout = writeTimeout
            self.backoff = backoff
            self.authenticationRetryDelay = authenticationRetryDelay
            self.requestsLiveChannels = requestsLiveChannels
            self.decoderLimits = decoderLimits
            self.rawInputObserver = rawInputObserver
        }

        /// The configuration with the secret replaced by `***`.
        public var description: String {
            "AMIClient.Configuration(host: \(host), port: \(port), username: \(username), secret: ***, "
                + "useMD5: \(useMD5), keepaliveInterval: \(keepaliveInterval), keepaliveTimeout: \(keepaliveTimeout))"
        }

        var session: AMISessionStateMachine.Configuration {
            AMISessionStateMachine.Configuration(
                username: username, secret: secret, useMD5: useMD5, events: events,
                keepaliveInterval: keepaliveInterval, keepaliveTimeout: keepaliveTimeout, backoff: backoff,
                authenticationRetryDelay: authenticationRetryDelay, requestsLiveChannels: requestsLiveChannels)
        }
    }

    public let configuration: Configuration
    private let logger: Logger
    private let jitter: @Sendable () -> Double
    private let wake = WakePipe()
    private let control = Mutex(Control())
    private let finished = DispatchSemaphore(value: 0)

    private struct Control {
        var started = false
        var stopRequested = false
        var loopThread: pthread_t?
        var exited = false
    }

    /// - Parameter jitter: a number in 0…1 for the reconnect backoff (tests pass a constant).
    public init(configuration: Configuration, logger: Logger,
                jitter: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }) {
        self.configuration = configuration
        self.logger = logger.with(["ami.host": configuration.host, "ami.port": String(configuration.port)])
        self.jitter = jitter
    }

    deinit {
        wake.close()
    }

    /// Starts the reader thread. `onEvent` runs on that thread and must return quickly. The
    /// client runs (reconnecting as needed) until ``stop()``.
    public func start(onEvent: @escaping @Sendable (AMIClientEvent) -> Void) {
        launch(onEvent: onEvent, onFinish: {})
    }

    /// Starts the reader thread and returns its events as a stream (unbounded by default, so the
    /// reader never waits for the consumer). The stream finishes when the client stops.
    public func start(bufferingPolicy: AsyncStream<AMIClientEvent>.Continuation.BufferingPolicy = .unbounded)
        -> AsyncStream<AMIClientEvent>
    {
        let (stream, continuation) = AsyncStream<AMIClientEvent>.makeStream(bufferingPolicy: bufferingPolicy)
        launch(onEvent: { continuation.yield($0) }, onFinish: { continuation.finish() })
        return stream
    }

    private func launch(onEvent: @escaping @Sendable (AMIClientEvent) -> Void,
                        onFinish: @escaping @Sendable () -> Void) {
        let alreadyStarted = control.withLock { state -> Bool in
            defer { state.started = true }
            return state.started
        }
        precondition(!alreadyStarted, "AMIClient.start called twice")
        let thread = Thread { [self] in
            control.withLock { $0.loopThread = pthread_self() }
            var loop = ConnectionLoop(client: self, onEvent: onEvent)
            loop.run()
            onFinish()
            control.withLock { $0.exited = true }
            finished.signal()
        }
        thread.name = "ami-reader"
        thread.start()
    }

    /// Stops the client: closes the connection, ends the reader thread and waits for it (unless
    /// called from `onEvent` itself). No event is delivered after `stop()` returns.
    public func stop() {
        let (started, onLoopThread, exited) = control.withLock { state in
            state.stopRequested = true
            let onLoop = state.loopThread.map { pthread_equal($0, pthread_self()) != 0 } ?? false
            return (state.started, onLoop, state.exited)
        }
        wake.wake()
        guard started, !onLoopThread, !exited else { return }
        finished.wait()
        finished.signal()  // later stop() calls return at once
    }

    fileprivate var isStopRequested: Bool { control.withLock { $0.stopRequested } }
    fileprivate var wakePipe: WakePipe { wake }
    fileprivate var log: Logger { logger }
    fileprivate func nextJitter() -> Double { jitter() }
}

/// The reader thread's state. Lives on that thread only.
private struct ConnectionLoop {
    let client: AMIClient
    let onEvent: @Sendable (AMIClientEvent) -> Void
    let configuration: AMIClient.Configuration
    var machine: AMISessionStateMachine
    var decoder: AMIFrameDecoder
    var connection: TCPConnection?
    var keepalive: (deadline: ContinuousClock.Instant, timer: Int)?
    var reconnectAt: ContinuousClock.Instant?
    let clock = ContinuousClock()
    let readBuffer: UnsafeMutableRawBufferPointer

    init(client: AMIClient, onEvent: @escaping @Sendable (AMIClientEvent) -> Void) {
        self.client = client
        self.onEvent = onEvent
        self.configuration = client.configuration
        self.machine = AMISessionStateMachine(configuration: client.configuration.session, md5Hex: { md5Hex($0) })
        self.decoder = AMIFrameDecoder(limits: client.configuration.decoderLimits)
        self.readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
    }

    mutating func run() {
        defer { readBuffer.deallocate() }
        reconnectAt = clock.now
        while !client.isStopRequested {
            if connection == nil {
                if let reconnectAt, reconnectAt > clock.now {
                    waitForWake(until: reconnectAt)
                    continue
                }
                connect()
                continue
            }
            serviceConnection()
        }
        perform(machine.stopRequested())
        if let connection {
            connection.close()
            self.connection = nil
            client.log.info("AMI disconnected", ["ami.reason": AMIDisconnectReason.stopped.description])
        }
    }

    private mutating func connect() {
        reconnectAt = nil
        let timeout = Int32(clamping: configuration.connectTimeout.milliseconds)
        switch TCPConnection.connect(host: configuration.host, port: configuration.port,
                                     timeoutMilliseconds: timeout, wakeFD: client.wakePipe.readFD) {
        case .success(let connection):
            self.connection = connection
            decoder = AMIFrameDecoder(limits: configuration.decoderLimits)
            client.log.debug("AMI TCP connected, logging in",
                             ["ami.username": configuration.username, "ami.auth": configuration.useMD5 ? "md5" : "plain"])
            perform(machine.connected())
        case .failure(.aborted):
            return
        case .failure(.failed(let text)):
            let reason = AMIDisconnectReason.connectFailed(text)
            client.log.info("AMI connect failed", ["ami.reason": reason.description])
            onEvent(.disconnected(reason))
            perform(machine.disconnected(reason, jitter: client.nextJitter()))
        }
    }

    /// Polls the socket and the wake pipe until data, a timer or a stop.
    private mutating func serviceConnection() {
        guard let connection else { return }
        var timeout: Int32 = -1
        if let keepalive {
            timeout = Int32(clamping: max(0, (keepalive.deadline - clock.now).millisecondsRoundedUp))
        }
        var fds = [pollfd(fd: connection.fd, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: client.wakePipe.readFD, events: Int16(POLLIN), revents: 0)]
        let ready = poll(&fds, 2, timeout)
        if ready < 0 && errno != EINTR {
            closeConnection(.ioError(errnoText("poll")))
            return
        }
        if fds[1].revents != 0 { client.wakePipe.drain() }
        if client.isStopRequested { return }
        if fds[0].revents != 0 {
            readAvailable(connection)
            if self.connection == nil { return }
        }
        if let keepalive, clock.now >= keepalive.deadline {
            self.keepalive = nil
            perform(machine.keepaliveDue(timer: keepalive.timer))
        }
    }

    /// Reads until the socket would block (bounded per round so timers still run), decoding as it goes.
    private mutating func readAvailable(_ connection: TCPConnection) {
        for _ in 0..<64 {
            switch connection.read(into: readBuffer) {
            case .data(let count):
                let bytes = UnsafeRawBufferPointer(rebasing: readBuffer[0..<count])
                configuration.rawInputObserver?(bytes)
                decoder.feed(bytes)
                while let frame = decoder.next() {
                    if case .malformed(let diagnostic) = frame {
                        client.log.warning("AMI input skipped", ["ami.diagnostic": diagnostic.description])
                    }
                    perform(machine.frameReceived(frame))
                    if self.connection == nil { return }
                }
            case .wouldBlock:
                return
            case .endOfStream:
                closeConnection(.closedByPeer)
                return
            case .failed(let text):
                closeConnection(.ioError(text))
                return
            }
        }
    }

    private mutating func perform(_ actions: [AMISessionStateMachine.Action]) {
        for action in actions {
            switch action {
            case .send(let amiAction):
                guard let connection else { continue }
                let timeout = Int32(clamping: configuration.writeTimeout.milliseconds)
                client.log.trace("AMI action sent", ["ami.action": amiAction.description])
                if let error = connection.writeAll(amiAction.encoded(), timeoutMilliseconds: timeout) {
                    closeConnection(.ioError(error))
                    return
                }
            case .deliver(let message):
                onEvent(.message(message))
            case .deliverLiveChannels(let list):
                client.log.debug("AMI live channels received", ["ami.items": String(list.count)])
                onEvent(.liveChannels(list))
            case .sessionEstablished(let version):
                client.log.info("AMI connected", ["ami.username": configuration.username,
                                                  "ami.version": version ?? "unknown"])
                onEvent(.connected(bannerVersion: version))
            case .scheduleKeepalive(let delay, let timer):
                keepalive = (clock.now + delay, timer)
            case .close(let reason):
                closeConnection(reason)
                return
            case .reconnect(let delay):
                reconnectAt = clock.now + delay
                client.log.debug("AMI reconnect scheduled", ["ami.retry_in_ms": String(delay.milliseconds)])
            case .fail(let failure):
                client.log.error("AMI authentication failed", ["ami.username": configuration.username,
                                                               "ami.reason": failure.description])
                if case .authenticationFailed(_, let message) = failure { onEvent(.authenticationFailed(message)) }
            }
        }
    }

    /// Closes the socket, reports the reason and lets the machine choose the retry.
    private mutating func closeConnection(_ reason: AMIDisconnectReason) {
        guard let connection else { return }
        connection.close()
        self.connection = nil
        keepalive = nil
        // The machine's own reason (auth failure, keepalive timeout) wins over the socket's.
        var reported = reason
        if case .closing(let own) = machine.state { reported = own }
        let actions = machine.disconnected(reason, jitter: client.nextJitter())
        client.log.info("AMI disconnected", ["ami.reason": reported.description])
        onEvent(.disconnected(reported))
        perform(actions)
    }

    private func waitForWake(until deadline: ContinuousClock.Instant) {
        let timeout = Int32(clamping: max(0, (deadline - clock.now).millisecondsRoundedUp))
        var fds = [pollfd(fd: client.wakePipe.readFD, events: Int16(POLLIN), revents: 0)]
        if poll(&fds, 1, timeout) > 0 { client.wakePipe.drain() }
    }
}

extension Duration {
    var milliseconds: Int64 {
        let parts = components
        return parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000
    }

    var millisecondsRoundedUp: Int64 {
        let parts = components
        let rest = parts.attoseconds % 1_000_000_000_000_000
        return parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000 + (rest > 0 ? 1 : 0)
    }
}
