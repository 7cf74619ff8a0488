import AMIClient
import AMIProtocol
import Crypto
import Foundation
import Observability
import Synchronization
import TestSupport
import Testing

/// Collects a client's events; waits are bounded by deadlines, never bare sleeps.
private final class EventRecorder: Sendable {
    private let events = Mutex<[AMIClientEvent]>([])

    func record(_ event: AMIClientEvent) { events.withLock { $0.append(event) } }

    var all: [AMIClientEvent] { events.withLock { $0 } }

    var messages: [AMIMessage] {
        all.compactMap { if case .message(let message) = $0 { return message } else { return nil } }
    }

    var connectedCount: Int { all.filter { if case .connected = $0 { return true } else { return false } }.count }

    var disconnectReasons: [AMIDisconnectReason] {
        all.compactMap { if case .disconnected(let reason) = $0 { return reason } else { return nil } }
    }

    var liveChannelLists: [[AMIMessage]] {
        all.compactMap { if case .liveChannels(let list) = $0 { return list } else { return nil } }
    }

    /// Polls `condition` until it holds or `timeout` passes.
    @discardableResult
    func wait(timeout: Duration = .seconds(15), _ condition: (EventRecorder) -> Bool) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if condition(self) { return true }
            usleep(5_000)
        }
        return condition(self)
    }
}

private let quickBackoff = AMISessionStateMachine.Backoff(initial: .milliseconds(50), maximum: .milliseconds(200))

private func makeClient(port: UInt16, secret: String = "secret", useMD5: Bool = false,
                        keepaliveInterval: Duration = .seconds(30), keepaliveTimeout: Duration = .seconds(10),
                        authenticationRetryDelay: Duration = .seconds(30),
                        logs: InMemoryLogHandler = InMemoryLogHandler()) -> AMIClient {
    AMIClient(configuration: .init(host: "127.0.0.1", port: port, username: "gateway", secret: secret,
                                   useMD5: useMD5, keepaliveInterval: keepaliveInterval,
                                   keepaliveTimeout: keepaliveTimeout, connectTimeout: .seconds(2),
                                   backoff: quickBackoff, authenticationRetryDelay: authenticationRetryDelay),
              logger: Logger(label: "ami-test", level: .trace, handler: logs),
              jitter: { 0.5 })
}

private let liveChannel = AMIMessage([
    ("Event", "CoreShowChannel"), ("Channel", "IAX2/1001-11538"), ("Uniqueid", "1796414998.0"),
    ("Linkedid", "1796414998.0"), ("Application", "Dial"), ("Duration", "00:00:12"),
])

@Suite("AMI client against a local replay server", .serialized)
struct AMIClientTests {
    @Test("A plain login streams a whole capture: every event arrives once, after the live channels")
    func streamsAWholeCapture() throws {
        let capture = AMICaptureFiles.path("16-concurrent-10-mixed.ami")
        let events = try AMIReplayServer.streamableMessages(ofCapture: capture)
        let server = try AMIReplayServer(configuration: .init(events: events, liveChannels: [liveChannel]))
        defer { server.stop() }
        let recorder = EventRecorder()
        let client = makeClient(port: server.port)
        client.start { recorder.record($0) }
        defer { client.stop() }

        #expect(recorder.wait { $0.messages.count >= events.count && !$0.liveChannelLists.isEmpty })
        #expect(recorder.messages == events)
        #expect(recorder.messages.count == 791)
        if case .connected(let version) = recorder.all.first {
            #expect(version == "11.0.0")
        } else {
            Issue.record("the first event is not .connected: \(String(describing: recorder.all.first))")
        }
        let list = try #require(recorder.liveChannelLists.first)
        #expect(list.count == 2)
        #expect(list.first?["Uniqueid"] == "1796414998.0")
        #expect(list.last?.isEvent("CoreShowChannelsComplete") == true)
        let login = try #require(server.statistics.actions.first { $0.action == "Login" })
        #expect(login["Events"] == "on")
        #expect(login["Secret"] == "secret")
    }

    @Test("The 11 MB soak capture streamed as fast as the server can write arrives complete and in order")
    func streamsTheSoakCapture() throws {
        let configuration = try AMIReplayServer.Configuration.replaying(
            capture: AMICaptureFiles.path("17-soak-300-mixed.ami"))
        let server = try AMIReplayServer(configuration: configuration)
        defer { server.stop() }
        let count = Mutex(0)
        let lastEvent = Mutex<AMIMessage?>(nil)
        let recorder = EventRecorder()
        let client = makeClient(port: server.port)
        client.start { event in
            if case .message(let message) = event {
                count.withLock { $0 += 1 }
                lastEvent.withLock { $0 = message }
            } else {
                recorder.record(event)
            }
        }
        defer { client.stop() }
        #expect(recorder.wait(timeout: .seconds(60)) { _ in count.withLock { $0 } >= 25935 })
        #expect(count.withLock { $0 } == 25935)
        #expect(lastEvent.withLock { $0 } == configuration.events.last)
        #expect(recorder.disconnectReasons.isEmpty)
    }

    @Test("An MD5 login answers the challenge with md5(challenge + secret) and never sends the secret")
    func md5Login() throws {
        let server = try AMIReplayServer(configuration: .init(secret: "s3cr3t", md5Hex: { md5Hex($0) }))
        defer { server.stop() }
        let recorder = EventRecorder()
        let client = makeClient(port: server.port, secret: "s3cr3t", useMD5: true)
        client.start { recorder.record($0) }
        defer { client.stop() }

        #expect(recorder.wait { $0.connectedCount == 1 })
        let actions = server.statistics.actions
        #expect(actions.compactMap(\.action).prefix(2) == ["Challenge", "Login"])
        let login = try #require(actions.first { $0.action == "Login" })
        #expect(login["AuthType"] == "MD5")
        #expect(login["Key"]?.count == 32)
        #expect(login["Secret"] == nil)
        #expect(server.statistics.successfulLogins == 1)
    }

    @Test("A wrong secret is reported as an authentication failure and not retried in a tight loop")
    func loginFailureIsReportedAndRetriedSlowly() throws {
        let server = try AMIReplayServer(configuration: .init(secret: "right"))
        defer { server.stop() }
        let logs = InMemoryLogHandler()
        let recorder = EventRecorder()
        let client = makeClient(port: server.port, secret: "wrong-secret-value", logs: logs)
        client.start { recorder.record($0) }

        #expect(recorder.wait { !$0.disconnectReasons.isEmpty })
        client.stop()
        #expect(recorder.all.contains(.authenticationFailed("Authentication failed")))
        #expect(recorder.disconnectReasons.first == .authenticationFailed("Authentication failed"))
        #expect(recorder.connectedCount == 0)
        // The retry waits authenticationRetryDelay (30 s): only the one attempt was made.
        #expect(server.statistics.loginAttempts == 1)
        #expect(logs.messages.contains("AMI authentication failed"))
        #expect(!logs.fullText.contains("wrong-secret-value"))
    }

    @Test("After an authentication failure the client does retry, once the slow delay has passed")
    func loginFailureIsRetried() throws {
        let server = try AMIReplayServer(configuration: .init(secret: "right"))
        defer { server.stop() }
        let recorder = EventRecorder()
        let client = makeClient(port: server.port, secret: "wrong", authenticationRetryDelay: .milliseconds(200))
        client.start { recorder.record($0) }
        defer { client.stop() }
        #expect(recorder.wait { $0.all.filter { $0 == .authenticationFailed("Authentication failed") }.count >= 2 })
        #expect(server.statistics.failedLogins >= 2)
    }

    @Test("A server that stops answering pings is detected as dead and the client reconnects")
    func keepaliveTimeoutIsDetected() throws {
        let server = try AMIReplayServer(configuration: .init())
        defer { server.stop() }
        let recorder = EventRecorder()
        let client = makeClient(port: server.port, keepaliveInterval: .milliseconds(100),
                                keepaliveTimeout: .milliseconds(300))
        client.start { recorder.record($0) }
        defer { client.stop() }

        #expect(recorder.wait { $0.connectedCount == 1 })
        #expect(server.wait { $0.pingsAnswered >= 1 }, "pings are sent and answered while the server is healthy")
        server.answersPings = false
        #expect(recorder.wait { $0.disconnectReasons.contains(.keepaliveTimeout) })
        server.answersPings = true
        #expect(recorder.wait { $0.connectedCount >= 2 })
        #expect(server.statistics.connectionsAccepted >= 2)
    }

    @Test("When the server drops the connection the client reconnects, logs in again and asks for live channels")
    func reconnectsAfterTheServerDropsTheConnection() throws {
        let server = try AMIReplayServer(configuration: .init(liveChannels: [liveChannel]))
        defer { server.stop() }
        let logs = InMemoryLogHandler()
        let recorder = EventRecorder()
        let client = makeClient(port: server.port, logs: logs)
        client.start { recorder.record($0) }
        defer { client.stop() }

        #expect(recorder.wait { $0.liveChannelLists.count == 1 })
        server.dropConnections()
        #expect(recorder.wait { $0.connectedCount == 2 && $0.liveChannelLists.count == 2 })
        #expect(recorder.disconnectReasons.first == .closedByPeer)
        #expect(server.statistics.successfulLogins == 2)
        #expect(server.statistics.actions.filter { $0.action == "CoreShowChannels" }.count == 2)
        #expect(logs.records.contains { $0.message == "AMI disconnected" && $0.metadata["ami.reason"] == "closed by peer" })
        #expect(logs.messages.filter { $0 == "AMI connected" }.count == 2)
        #expect(!logs.fullText.contains("secret=") && !logs.fullText.contains("Secret: secret"))
    }

    @Test("Garbage and a 10 MB line on the wire are skipped; the next event arrives on the same connection")
    func malformedStreamKeepsTheConnection() throws {
        let server = try AMIReplayServer(configuration: .init())
        defer { server.stop() }
        let logs = InMemoryLogHandler()
        let recorder = EventRecorder()
        let client = makeClient(port: server.port, logs: logs)
        client.start { recorder.record($0) }
        defer { client.stop() }

        #expect(recorder.wait { !$0.liveChannelLists.isEmpty })
        var bytes = Array("garbage without a colon\r\n\u{00}\u{FF}junk\r\n\r\n".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "G"), count: 10 * 1024 * 1024)
        bytes += Array("\r\nEvent: Hangup\r\nUniqueid: 9.9\r\nCause: 16\r\n\r\n".utf8)
        server.sendRaw(bytes)
        #expect(recorder.wait { !$0.messages.isEmpty })
        #expect(recorder.messages == [AMIMessage([("Event", "Hangup"), ("Uniqueid", "9.9"), ("Cause", "16")])])
        #expect(recorder.disconnectReasons.isEmpty)
        #expect(logs.records.filter { $0.message == "AMI input skipped" }.count == 3)
    }

    @Test("A refused connection is reported and retried with backoff until the server is there")
    func connectFailureIsRetried() throws {
        // Bind a server, note its port, stop it: nothing listens there now.
        let gone = try AMIReplayServer(configuration: .init())
        let port = gone.port
        gone.stop()
        let recorder = EventRecorder()
        let client = makeClient(port: port)
        client.start { recorder.record($0) }
        #expect(recorder.wait { $0.disconnectReasons.count >= 2 })
        client.stop()
        guard case .connectFailed(let text) = recorder.disconnectReasons.first else {
            Issue.record("expected connectFailed, got \(recorder.disconnectReasons)")
            return
        }
        #expect(text.contains("127.0.0.1:\(port)"))
    }

    @Test("stop() ends the session: no events are delivered after it returns")
    func stopIsFinal() throws {
        let server = try AMIReplayServer(configuration: .init())
        defer { server.stop() }
        let recorder = EventRecorder()
        let client = makeClient(port: server.port)
        client.start { recorder.record($0) }
        #expect(recorder.wait { $0.connectedCount == 1 })
        client.stop()
        let count = recorder.all.count
        server.stream([AMIMessage([("Event", "Late")])])
        #expect(server.wait(timeout: .seconds(5)) { _ in server.openConnections == 0 })
        #expect(recorder.all.count == count)
    }

    @Test("The event stream delivers the session in order and finishes when the client stops")
    func asyncStreamDelivery() async throws {
        let events = [AMIMessage([("Event", "Newchannel"), ("Uniqueid", "1.1")]),
                      AMIMessage([("Event", "Hangup"), ("Uniqueid", "1.1")])]
        let server = try AMIReplayServer(configuration: .init(events: events))
        defer { server.stop() }
        let client = makeClient(port: server.port)
        let stream = client.start()
        var received: [AMIClientEvent] = []
        var iterator = stream.makeAsyncIterator()
        while let event = await iterator.next() {
            received.append(event)
            if case .liveChannels = event { break }
        }
        client.stop()
        while let event = await iterator.next() { received.append(event) }  // ends: the stream finished
        #expect(received == [.connected(bannerVersion: "11.0.0"), .message(events[0]), .message(events[1]),
                             .liveChannels([AMIMessage([("Event", "CoreShowChannelsComplete"), ("ActionID", "ep-2"),
                                                        ("EventList", "Complete"), ("ListItems", "0")])]),
                             .disconnected(.stopped)])
    }
}

@Suite("AMI capture reader")
struct AMICaptureReaderTests {
    @Test("Reading a capture in small chunks yields the same messages as decoding it whole")
    func readerMatchesWholeDecode() throws {
        let path = AMICaptureFiles.path("12-blind-transfer.ami")
        let reader = try AMICaptureReader(path: path, chunkSize: 4096)
        var viaReader: [AMIMessage] = []
        while let message = try reader.nextMessage() { viaReader.append(message) }
        let whole = AMIDecoderVerifier.decode(try AMICaptureFiles.bytes("ami/12-blind-transfer.ami"), .whole)
            .compactMap { frame -> AMIMessage? in if case .message(let message) = frame { return message } else { return nil } }
        #expect(viaReader == whole)
        #expect(viaReader.count == 174)
        #expect(reader.bannerVersion == "11.0.0")
        #expect(reader.diagnostics.isEmpty)
        #expect(reader.bytesRead == 72723)
    }

    @Test("A missing capture is a clear error naming the path")
    func missingCapture() {
        #expect(throws: AMICaptureError.self) { try AMICaptureReader(path: "/nonexistent/x.ami") }
        do {
            _ = try AMICaptureReader(path: "/nonexistent/x.ami")
        } catch {
            #expect(error.description.contains("/nonexistent/x.ami"))
        }
    }
}

@Suite("Crypto")
struct CryptoTests {
    @Test("MD5, SHA-256 and HMAC-SHA256 match the published test vectors")
    func knownVectors() {
        #expect(md5Hex("") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(md5Hex("The quick brown fox jumps over the lazy dog") == "9e107d9d372bb6826bd81d3542a419d6")
        #expect(sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // RFC 4231 test case 2.
        #expect(hexEncoded(hmacSHA256(key: "Jefe", message: "what do ya want for nothing?"))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(hmacSHA256(key: [UInt8](), message: [UInt8]()).count == 32)
    }

    @Test("The AMI login key is md5 of the challenge followed by the secret")
    func amiLoginKey() {
        // Python: hashlib.md5(b"123456789" + b"mysecret").hexdigest()
        #expect(md5Hex("123456789" + "mysecret") == "aba26d296bb0ae595d7c90fb8e38e67e")
    }

    @Test("Random bytes have the asked length and differ between calls; compare is by content")
    func randomAndCompare() throws {
        let a = try secureRandomBytes(count: 32)
        let b = try secureRandomBytes(count: 32)
        #expect(a.count == 32 && b.count == 32)
        #expect(a != b)
        #expect(try secureRandomBytes(count: 0).isEmpty)
        #expect(constantTimeEquals(a, a))
        #expect(!constantTimeEquals(a, b))
        #expect(!constantTimeEquals(a, a.prefix(31)))
        #expect(constantTimeEquals([UInt8](), [UInt8]()))
    }
}
