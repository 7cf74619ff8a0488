import AMIProtocol
import Testing

private typealias Machine = AMISessionStateMachine

/// A fake MD5 so the core is tested without libcrypto: it just tags its input.
private let fakeMD5: @Sendable (String) -> String = { "md5(\($0))" }

private func machine(md5: Bool = false, liveChannels: Bool = true) -> Machine {
    Machine(configuration: .init(username: "gateway", secret: "s3cret", useMD5: md5,
                                 keepaliveInterval: .seconds(10), keepaliveTimeout: .seconds(3),
                                 backoff: .init(initial: .milliseconds(500), maximum: .seconds(8), multiplier: 2,
                                                jitterFraction: 0.5),
                                 authenticationRetryDelay: .seconds(30), requestsLiveChannels: liveChannels),
            md5Hex: fakeMD5)
}

private func message(_ fields: (String, String)...) -> AMIFrame { .message(AMIMessage(fields)) }

private func sentActions(_ actions: [Machine.Action]) -> [AMIAction] {
    actions.compactMap { if case .send(let action) = $0 { return action } else { return nil } }
}

/// Logs in (plain) and returns the machine with the ActionID of its CoreShowChannels request.
private func loggedIn(liveChannels: Bool = true) -> (Machine, String?) {
    var session = machine(liveChannels: liveChannels)
    let login = sentActions(session.connected())[0]
    let actions = session.frameReceived(message(("Response", "Success"), ("ActionID", login.actionID!),
                                                ("Message", "Authentication accepted")))
    return (session, sentActions(actions).first { $0.name == "CoreShowChannels" }?.actionID)
}

@Suite("AMI session state machine")
struct AMISessionStateMachineTests {
    @Test("A plain login sends the username, secret and Events: on, then resyncs and arms the keepalive")
    func plainLogin() {
        var session = machine()
        let first = session.connected()
        #expect(first == [.send(AMIAction("Login", actionID: "ep-1",
                                          [("Username", "gateway"), ("Secret", "s3cret"), ("Events", "on")]))])
        #expect(session.frameReceived(.banner(version: "11.0.0")) == [])
        let accepted = session.frameReceived(message(("Response", "Success"), ("ActionID", "ep-1"),
                                                     ("Message", "Authentication accepted")))
        #expect(accepted == [
            .sessionEstablished(bannerVersion: "11.0.0"),
            .send(AMIAction("CoreShowChannels", actionID: "ep-2")),
            .scheduleKeepalive(after: .seconds(10), timer: 1),
        ])
        #expect(session.state == .active)
    }

    @Test("An MD5 login asks for a challenge and sends md5(challenge + secret) instead of the secret")
    func md5Login() {
        var session = machine(md5: true)
        #expect(session.connected() == [.send(AMIAction("Challenge", actionID: "ep-1", [("AuthType", "MD5")]))])
        let login = session.frameReceived(message(("Response", "Success"), ("ActionID", "ep-1"),
                                                  ("Challenge", "840219376")))
        #expect(login == [.send(AMIAction("Login", actionID: "ep-2", [
            ("AuthType", "MD5"), ("Username", "gateway"), ("Key", "md5(840219376s3cret)"), ("Events", "on"),
        ]))])
        #expect(sentActions(login).allSatisfy { action in !action.fields.contains { $0.0 == "Secret" } })
        let accepted = session.frameReceived(message(("Response", "Success"), ("ActionID", "ep-2")))
        #expect(accepted.first == .sessionEstablished(bannerVersion: nil))
    }

    @Test("A rejected login is reported, closes the connection and retries only after the slow delay")
    func authenticationFailureRetriesSlowly() {
        var session = machine()
        _ = session.connected()
        let rejected = session.frameReceived(message(("Response", "Error"), ("ActionID", "ep-1"),
                                                     ("Message", "Authentication failed")))
        #expect(rejected == [
            .fail(.authenticationFailed(username: "gateway", message: "Authentication failed")),
            .close(.authenticationFailed("Authentication failed")),
        ])
        // The server closes the socket too; the machine keeps its own reason and waits ≥ 30 s.
        for jitter in [0.0, 0.5, 1.0] {
            var copy = session
            let retry = copy.disconnected(.closedByPeer, jitter: jitter)
            guard case .reconnect(let delay) = retry.first, retry.count == 1 else {
                Issue.record("expected one reconnect, got \(retry)")
                continue
            }
            #expect(delay >= .seconds(30))
        }
        // Repeated failures never shrink the delay.
        var repeated = session
        for _ in 0..<5 {
            guard case .reconnect(let delay) = repeated.disconnected(.closedByPeer, jitter: 0).first else {
                Issue.record("no reconnect")
                return
            }
            #expect(delay >= .seconds(30))
            _ = repeated.connected()
            _ = repeated.frameReceived(message(("Response", "Error"), ("Message", "Authentication failed")))
        }
    }

    @Test("A refused MD5 challenge counts as an authentication failure")
    func refusedChallenge() {
        var session = machine(md5: true)
        _ = session.connected()
        let actions = session.frameReceived(message(("Response", "Error"), ("ActionID", "ep-1"),
                                                    ("Message", "Must specify AuthType")))
        #expect(actions.last == .close(.authenticationFailed("Must specify AuthType")))
    }

    @Test("The keepalive pings when due, re-arms on Pong, and declares the connection dead without one")
    func keepaliveDetectsDeadConnection() {
        var (session, _) = loggedIn()
        let ping = session.keepaliveDue(timer: 1)
        #expect(ping == [.send(AMIAction("Ping", actionID: "ep-3")), .scheduleKeepalive(after: .seconds(3), timer: 2)])
        #expect(session.frameReceived(message(("Response", "Success"), ("ActionID", "ep-3"), ("Ping", "Pong")))
                == [.scheduleKeepalive(after: .seconds(10), timer: 3)])
        #expect(session.keepaliveDue(timer: 2) == [], "a stale timer is ignored")
        let second = session.keepaliveDue(timer: 3)
        #expect(sentActions(second).map(\.name) == ["Ping"])
        #expect(session.keepaliveDue(timer: 4) == [.close(.keepaliveTimeout)])
        guard case .reconnect = session.disconnected(.closedByPeer, jitter: 0).first else {
            Issue.record("expected a reconnect after the timeout")
            return
        }
    }

    @Test("After login the CoreShowChannels list is collected and delivered once, other events pass through")
    func liveChannelsAreDeliveredAsOneList() {
        var (session, listID) = loggedIn()
        let id = try! #require(listID)
        #expect(session.frameReceived(message(("Response", "Success"), ("ActionID", id), ("EventList", "start"))) == [])
        #expect(session.frameReceived(message(("Event", "CoreShowChannel"), ("ActionID", id), ("Uniqueid", "1.1"))) == [])
        let unrelated = AMIMessage([("Event", "Newchannel"), ("Uniqueid", "1.2")])
        #expect(session.frameReceived(.message(unrelated)) == [.deliver(unrelated)])
        let complete = AMIMessage([("Event", "CoreShowChannelsComplete"), ("ActionID", id),
                                   ("EventList", "Complete"), ("ListItems", "1")])
        #expect(session.frameReceived(.message(complete)) == [.deliverLiveChannels([
            AMIMessage([("Event", "CoreShowChannel"), ("ActionID", id), ("Uniqueid", "1.1")]), complete,
        ])])
        // A later message with the same ActionID is an ordinary message again.
        let late = AMIMessage([("Event", "CoreShowChannel"), ("ActionID", id)])
        #expect(session.frameReceived(.message(late)) == [.deliver(late)])
    }

    @Test("A refused CoreShowChannels still delivers an empty list so the engine is not left waiting")
    func refusedLiveChannels() {
        var (session, listID) = loggedIn()
        let actions = session.frameReceived(message(("Response", "Error"), ("ActionID", listID!),
                                                    ("Message", "Permission denied")))
        #expect(actions == [.deliverLiveChannels([])])
    }

    @Test("Events and foreign responses are delivered; nothing is delivered before login")
    func deliveryOnlyWhenActive() {
        var session = machine()
        _ = session.connected()
        #expect(session.frameReceived(message(("Event", "FullyBooted"))) == [])
        var (active, _) = loggedIn(liveChannels: false)
        let event = AMIMessage([("Event", "Hangup"), ("Uniqueid", "1.1")])
        #expect(active.frameReceived(.message(event)) == [.deliver(event)])
        let foreign = AMIMessage([("Response", "Success"), ("ActionID", "someone-else")])
        #expect(active.frameReceived(.message(foreign)) == [.deliver(foreign)])
    }

    @Test("Reconnect delays grow exponentially, are capped, and shrink with jitter")
    func backoffIsCappedExponentialWithJitter() {
        var session = machine()
        var delays: [Duration] = []
        for _ in 0..<7 {
            _ = session.connected()
            guard case .reconnect(let delay) = session.disconnected(.connectFailed("refused"), jitter: 0).first else {
                Issue.record("no reconnect")
                return
            }
            delays.append(delay)
        }
        #expect(delays == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8),
                           .seconds(8)])
        let backoff = Machine.Backoff(initial: .seconds(1), maximum: .seconds(60), multiplier: 2, jitterFraction: 0.5)
        #expect(backoff.delay(attempt: 3, jitter: 1) == .seconds(4))
        #expect(backoff.delay(attempt: 3, jitter: 0.5) == .seconds(6))
        #expect(backoff.delay(attempt: 100, jitter: 0) == .seconds(60))
    }

    @Test("The backoff starts over once a session answered a ping, not merely after a login")
    func backoffResetsAfterAHealthySession() {
        var session = machine()
        for _ in 0..<3 {
            _ = session.connected()
            _ = session.disconnected(.connectFailed("refused"), jitter: 0)
        }
        // Login accepted, then dropped at once: the delay keeps growing.
        _ = session.connected()
        _ = session.frameReceived(message(("Response", "Success")))
        #expect(session.disconnected(.closedByPeer, jitter: 0) == [.reconnect(after: .seconds(4))])
        // Login accepted and a Pong seen: the next delay is the initial one.
        _ = session.connected()
        let login = session.frameReceived(message(("Response", "Success")))
        guard case .scheduleKeepalive(_, let timer) = login.last else {
            Issue.record("no keepalive armed")
            return
        }
        let ping = sentActions(session.keepaliveDue(timer: timer))[0]
        _ = session.frameReceived(message(("Response", "Success"), ("ActionID", ping.actionID!), ("Ping", "Pong")))
        #expect(session.disconnected(.closedByPeer, jitter: 0) == [.reconnect(after: .milliseconds(500))])
    }

    @Test("After stop nothing reconnects")
    func stopEndsTheSession() {
        var (session, _) = loggedIn()
        #expect(session.stopRequested() == [.close(.stopped)])
        #expect(session.disconnected(.stopped, jitter: 0) == [])
        #expect(session.keepaliveDue(timer: 1) == [])
    }
}
