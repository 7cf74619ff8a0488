import AMIProtocol
import CallCorrelation
import CallEvents
import Testing

/// Transcripts of the basic two-party call: who starts when, connect, dispositions, tolerated
/// orderings (ami-reference §5 P1–P3).
@Suite("Channel lifecycle")
struct ChannelLifecycleTests {
    /// 1001 (Alice) dials 1002 (Bob) up to the point where 1002 rings.
    static func ringing(_ t: inout Transcript) -> (TestChannel, TestChannel) {
        var alice = TestChannel.caller("10.1", "PJSIP/1001-00000001", number: "1001", name: "Alice", dialed: "1002")
        var bob = TestChannel.callee("10.2", "PJSIP/1002-00000002", linkedTo: "10.1")
        #expect(t.step(AMI.newchannel(alice)) == [])
        #expect(t.step(AMI.newexten(alice, application: "Dial", data: "PJSIP/1002,30")) == [])
        #expect(t.step(AMI.newchannel(bob)) == [])
        #expect(t.step(AMI.newCallerID(&bob, number: "1002", name: "Bob")) == [])
        #expect(t.step(AMI.newstate(&bob, "Ringing")) == ["started caller 1001", "started callee 1002"])
        #expect(t.step(AMI.dialBegin(from: alice, to: bob, dialString: "1002")) == [])
        _ = alice
        return (alice, bob)
    }

    @Test("A call is connected when the dialled leg answers and both legs enter one bridge")
    func callConnectsWhenDialledLegAnswers() {
        var t = Transcript()
        var (alice, bob) = Self.ringing(&t)
        #expect(t.step(AMI.newstate(&bob, "Up")) == [])
        #expect(t.step(AMI.dialEnd(from: alice, to: bob, status: "ANSWER")) == [])
        #expect(t.step(AMI.newstate(&alice, "Up")) == [])
        #expect(t.step(AMI.bridgeEnter("b1", bob)) == [])
        #expect(t.step(AMI.bridgeEnter("b1", alice)) == ["connected caller 1001", "connected callee 1002"])
        #expect(t.step(AMI.hangupRequest(alice)) == [])
        #expect(t.step(AMI.bridgeLeave("b1", alice)) == [])
        #expect(t.step(AMI.hangup(alice)) == ["finished caller 1001 answered"])
        #expect(t.step(AMI.hangup(bob)) == ["finished callee 1002 answered"])
        #expect(t.correlator.liveCallCount == 0)
        let finished = t.last(.callFinished)!
        #expect(finished.data["hangup_by"]?["number"] == "1001")
        #expect(t.events.map(\.sequence) == Array(1...6))
        #expect(t.events.map(\.id).first == "evt_10.1_1")
        #expect(Set(t.events.map(\.tenant)) == ["acme"])
        #expect(t.events.allSatisfy { $0.data["direction"] == "internal" && $0.data["dialed_number"] == "1002" })
    }

    @Test("A callee that rings until the dial timeout finishes no_answer, and so does its caller")
    func noAnswer() {
        var t = Transcript()
        let (alice, bob) = Self.ringing(&t)
        #expect(t.step(AMI.dialEnd(from: alice, to: bob, status: "NOANSWER")) == [])
        #expect(t.step(AMI.hangup(bob, cause: 0, text: "Unknown")) == ["finished callee 1002 no_answer"])
        #expect(t.step(AMI.hangup(alice)) == ["finished caller 1001 no_answer"])
    }

    @Test("A busy callee makes both legs finish busy")
    func busy() {
        var t = Transcript()
        let (alice, bob) = Self.ringing(&t)
        #expect(t.step(AMI.hangup(bob, cause: 17, text: "User busy")) == ["finished callee 1002 busy"])
        #expect(t.step(AMI.dialEnd(from: alice, to: bob, status: "BUSY")) == [])
        #expect(t.step(AMI.hangup(alice)) == ["finished caller 1001 busy"])
    }

    @Test("A caller who hangs up while it rings cancels both legs")
    func callerCancels() {
        var t = Transcript()
        let (alice, bob) = Self.ringing(&t)
        #expect(t.step(AMI.dialEnd(from: alice, to: bob, status: "CANCEL")) == [])
        #expect(t.step(AMI.hangup(bob)) == ["finished callee 1002 cancelled"])
        #expect(t.step(AMI.hangup(alice)) == ["finished caller 1001 cancelled"])
    }

    @Test("Congestion or an unavailable channel is failed")
    func failed() {
        var t = Transcript()
        let (alice, bob) = Self.ringing(&t)
        #expect(t.step(AMI.dialEnd(from: alice, to: bob, status: "CHANUNAVAIL")) == [])
        #expect(
            t.step(AMI.hangup(bob, cause: 34, text: "Circuit/channel congestion")) == ["finished callee 1002 failed"])
        #expect(t.step(AMI.hangup(alice, cause: 34)) == ["finished caller 1001 failed"])
    }

    @Test("Hangup before BridgeLeave and a Cdr after Hangup are tolerated")
    func hangupBeforeBridgeLeave() {
        var t = Transcript()
        var (alice, bob) = Self.ringing(&t)
        _ = t.steps([
            AMI.newstate(&bob, "Up"), AMI.dialEnd(from: alice, to: bob, status: "ANSWER"),
            AMI.newstate(&alice, "Up"), AMI.bridgeEnter("b1", bob), AMI.bridgeEnter("b1", alice),
        ])
        #expect(t.step(AMI.hangup(bob)) == ["finished callee 1002 answered"])
        #expect(t.step(AMI.cdr(bob)) == [])
        #expect(t.step(AMI.bridgeLeave("b1", bob)) == [])
        #expect(t.step(AMI.hangup(alice)) == ["finished caller 1001 answered"])
        #expect(t.step(AMI.bridgeLeave("b1", alice)) == [])
        #expect(t.step(AMI.cdr(alice)) == [])
        #expect(t.correlator.liveChannelCount == 0)
    }

    @Test("Events for a channel never seen adopt it; a Hangup of an unknown channel is a diagnostic")
    func unknownChannels() {
        var t = Transcript()
        var stranger = TestChannel.caller("99.1", "PJSIP/1005-00000009", number: "1005", dialed: "1006")
        stranger.state = "Up"
        #expect(
            t.step(AMI.newstate(&stranger, "Up")) == [
                "started caller 1005", "updated caller 1005 answered_by_application",
            ])
        let ghost = TestChannel.caller("98.1", "PJSIP/1007-00000008", number: "1007", dialed: "1008")
        let output = t.correlator.process(AMI.hangup(ghost), at: t.now)
        #expect(output.events.isEmpty)
        #expect(output.diagnostics == [.unknownChannel(uniqueID: "98.1", event: "Hangup")])
    }

    @Test("Keys are matched case-insensitively and channel technology does not matter")
    func keyCaseAndTechnology() {
        var t = Transcript()
        let lowered: (AMIMessage) -> AMIMessage = { message in
            AMIMessage(message.fields.map { ($0.key == "Event" ? "event" : $0.key.uppercased(), $0.value) })
        }
        var caller = TestChannel.caller("20.1", "DAHDI/i1/5551234-1", number: "+15551234567", dialed: "+18005550100")
        var agent = TestChannel.callee("20.2", "SIP/1007-000000aa", linkedTo: "20.1")
        #expect(t.step(lowered(AMI.newchannel(caller))) == [])
        #expect(t.step(lowered(AMI.newchannel(agent))) == [])
        #expect(t.step(lowered(AMI.newCallerID(&agent, number: "1007"))) == [])
        #expect(
            t.step(lowered(AMI.newstate(&agent, "Ringing"))) == ["started caller +15551234567", "started callee 1007"])
        #expect(t.step(lowered(AMI.newstate(&agent, "Up"))) == [])
        #expect(t.step(lowered(AMI.dialEnd(from: caller, to: agent, status: "ANSWER"))) == [])
        #expect(t.step(lowered(AMI.newstate(&caller, "Up"))) == [])
        #expect(
            t.steps([lowered(AMI.bridgeEnter("b", agent)), lowered(AMI.bridgeEnter("b", caller))])
                == ["connected caller +15551234567", "connected callee 1007"])
        #expect(t.events.allSatisfy { $0.data["direction"] == "inbound" })
        #expect(t.events.first?.data["leg"]?["external"] == true)
        #expect(
            t.steps([lowered(AMI.hangup(caller)), lowered(AMI.hangup(agent))])
                == [
                    "finished caller +15551234567 answered", "finished callee 1007 answered",
                    "customer_interaction answered",
                ])
    }

    @Test("A callee starts with Exten s and no caller ID; it is announced with its number once it rings")
    func calleeAnnouncedWithItsNumber() {
        var t = Transcript()
        _ = Self.ringing(&t)
        let started = t.events.filter { $0.type == .callStarted }
        #expect(started.map { $0.data["leg"]?["number"]?.stringValue } == ["1001", "1002"])
        #expect(started[1].data["leg"]?["name"] == "Bob")
        #expect(started[1].data["legs"]?.arrayValue?.count == 2)
    }

    @Test("Caller ID and connected-line changes of a live leg are updates")
    func callerIDAndConnectedLineChanges() {
        var t = Transcript()
        var (alice, bob) = Self.ringing(&t)
        _ = t.steps([
            AMI.newstate(&bob, "Up"), AMI.dialEnd(from: alice, to: bob, status: "ANSWER"),
            AMI.newstate(&alice, "Up"), AMI.bridgeEnter("b1", bob), AMI.bridgeEnter("b1", alice),
        ])
        #expect(
            t.step(AMI.newCallerID(&alice, number: "1001", name: "Alice Anders")) == [
                "updated caller 1001 caller_id_changed"
            ])
        #expect(t.step(AMI.newConnectedLine(&alice, number: "1002")) == [])  // the peer we reported
        #expect(t.step(AMI.newConnectedLine(&alice, number: "1003")) == ["updated caller 1001 connected_party_changed"])
    }

    @Test("Originate: a dial without a caller block starts the dialled phone as the caller")
    func originate() {
        var t = Transcript()
        var phone = TestChannel.callee("30.1", "PJSIP/1001-00000030", linkedTo: "30.1")
        #expect(t.step(AMI.newchannel(phone)) == [])
        #expect(t.step(AMI.dialBegin(from: nil, to: phone, dialString: "1001")) == ["started caller 1001"])
        #expect(t.step(AMI.newstate(&phone, "Up")) == [])
        #expect(t.step(AMI.hangup(phone)) == ["finished caller 1001 answered"])
    }
}

@Suite("Originate through a Local channel")
struct LocalOriginateTests {
    @Test("Originate of Local/1001@ctx: the phone rung by the ;2 half is the caller and its answer is a person's")
    func localOriginate() {
        var t = Transcript()
        let one = TestChannel(id: "31.1", name: "Local/1001@from-internal-00000001;1", linkedID: "31.1", state: "Down")
        let two = TestChannel(id: "31.2", name: "Local/1001@from-internal-00000001;2", linkedID: "31.1", state: "Ring")
        var phone = TestChannel.callee("31.3", "PJSIP/1001-00000031", linkedTo: "31.1")
        #expect(
            t.steps([
                AMI.newchannel(one), AMI.newchannel(two), AMI.newchannel(phone),
                AMI.newCallerID(&phone, number: "1001"), AMI.newstate(&phone, "Ringing"),
                AMI.dialBegin(from: two, to: phone, dialString: "1001"),
            ]) == ["started caller 1001"])
        #expect(t.steps([AMI.newstate(&phone, "Up"), AMI.dialEnd(from: two, to: phone, status: "ANSWER")]) == [])
        #expect(t.steps([AMI.hangup(phone), AMI.hangup(two), AMI.hangup(one)]) == ["finished caller 1001 answered"])
    }
}
