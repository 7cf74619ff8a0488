import AMIProtocol
import CallCorrelation
import CallEvents
import Testing

/// Reconnect and bounded memory (ami-reference P10, P11; issue 3 items 4–5).
@Suite("Resync and expiry")
struct ResyncTests {
    @Test("After a reconnect, calls that vanished are finished as reconstructed")
    func vanishedCallsFinish() {
        var t = Transcript()
        _ = TransferTests.talking(&t)
        let output = t.correlator.resynchronize(with: [], at: t.now)
        #expect(output.sentences == ["finished caller 1001 answered", "finished callee 1002 answered"])
        #expect(output.events.allSatisfy { $0.data["reconstructed"] == true })
        #expect(output.diagnostics.count == 2)
        #expect(t.correlator.liveCallCount == 0)
    }

    @Test("After a reconnect, a call in progress is adopted without a second started")
    func inProgressCallsAreAdopted() {
        var t = Transcript()
        var (alice, bob) = TransferTests.talking(&t)
        alice.state = "Up"
        bob.state = "Up"
        var dave = TestChannel.caller("80.1", "PJSIP/1009-00000080", number: "1009", dialed: "1010")
        dave.state = "Up"
        var erin = TestChannel.callee("80.2", "PJSIP/1010-00000081", linkedTo: "80.1")
        erin.number = "1010"
        erin.state = "Up"
        let live = [
            AMI.coreShowChannel(alice, bridge: "b1"), AMI.coreShowChannel(bob, bridge: "b1"),
            AMI.coreShowChannel(dave, bridge: "b9"), AMI.coreShowChannel(erin, bridge: "b9"),
        ]
        let output = t.correlator.resynchronize(with: live, at: t.now)
        #expect(
            output.sentences == [
                "started caller 1009", "started callee 1010", "connected caller 1009",
                "connected callee 1010",
            ])
        #expect(output.events.first?.data["reconstructed"] == true)
        // Later events for the adopted and the known call work as usual.
        #expect(
            t.steps([AMI.hangup(alice), AMI.hangup(bob), AMI.hangup(dave), AMI.hangup(erin)])
                == [
                    "finished caller 1001 answered", "finished callee 1002 answered",
                    "finished caller 1009 answered", "finished callee 1010 answered",
                ])
    }

    @Test("After a restart, an adopted call continues the sequence its earlier events used (ids never repeat)")
    func adoptedCallContinuesStoredSequence() {
        var t = Transcript()  // a fresh correlator: the daemon just restarted
        var dave = TestChannel.caller("80.1", "PJSIP/1009-00000080", number: "1009", dialed: "1010")
        dave.state = "Up"
        var erin = TestChannel.callee("80.2", "PJSIP/1010-00000081", linkedTo: "80.1")
        erin.number = "1010"
        erin.state = "Up"
        t.correlator.continueSequences(after: ["80.1": 4, "99.9": 7])
        let output = t.correlator.resynchronize(
            with: [AMI.coreShowChannel(dave, bridge: "b9"), AMI.coreShowChannel(erin, bridge: "b9")], at: t.now)
        #expect(output.events.map(\.sequence) == [5, 6, 7, 8])
        #expect(output.events.first?.id == "evt_80.1_5")
        #expect(t.correlator.isTrackingCall(linkedID: "80.1"))
        #expect(!t.correlator.isTrackingCall(linkedID: "99.9"))
        #expect(t.steps([AMI.hangup(dave), AMI.hangup(erin)]) == [
            "finished caller 1009 answered", "finished callee 1010 answered",
        ])
        #expect(t.events.last?.id == "evt_80.1_10")
        // Floors are for the resync they preceded only: a later call with that id starts at 1.
        var frank = TestChannel.caller("99.9", "PJSIP/1011-00000090", number: "1011", dialed: "1012")
        frank.state = "Up"
        let later = t.correlator.resynchronize(with: [AMI.coreShowChannel(frank, bridge: "b10")], at: t.now)
        #expect(later.events.first?.id == "evt_99.9_1")
    }

    @Test("A leg that never gets a Hangup is expired with a diagnostic, and the call is dropped")
    func expiry() {
        var t = Transcript()
        _ = ChannelLifecycleTests.ringing(&t)
        let early = t.correlator.expire(before: EventInstant(microseconds: (t.seconds - 60) * 1_000_000))
        #expect(early.isEmpty)
        t.seconds += 4 * 3600 + 1
        let output = t.correlator.expireStale(now: t.now)
        #expect(output.sentences == ["finished caller 1001 cancelled", "finished callee 1002 cancelled"])
        #expect(output.diagnostics.map(\.description).allSatisfy { $0.contains("expired") })
        #expect(t.correlator.liveCallCount == 0)
        #expect(t.correlator.liveChannelCount == 0)
    }

    @Test("Late events of a finished call neither resurrect it nor reuse its event ids")
    func lateEventsAreIgnored() {
        var t = Transcript()
        var (alice, bob) = ChannelLifecycleTests.ringing(&t)
        _ = t.steps([AMI.dialEnd(from: alice, to: bob, status: "CANCEL"), AMI.hangup(bob), AMI.hangup(alice)])
        #expect(t.step(AMI.newstate(&bob, "Down")) == [])
        #expect(t.step(AMI.bridgeEnter("late", alice)) == [])
        #expect(t.correlator.liveChannelCount == 0)
        #expect(Set(t.events.map(\.id)).count == t.events.count)
    }
}

@Suite("Tombstones")
struct TombstoneTests {
    @Test("Ended channels are remembered for the late-event grace period, then forgotten")
    func tombstonesExpire() {
        var t = Transcript()
        var (alice, bob) = ChannelLifecycleTests.ringing(&t)
        _ = t.steps([AMI.dialEnd(from: alice, to: bob, status: "CANCEL"), AMI.hangup(bob), AMI.hangup(alice)])
        t.seconds += 60
        _ = t.correlator.expireStale(now: t.now)
        #expect(t.step(AMI.newstate(&bob, "Ringing")) == [])  // within the grace: still ignored
        t.seconds += 600
        _ = t.correlator.expireStale(now: t.now)
        // Forgotten (bounded memory): an event naming the old Uniqueid is a channel seen for the first time.
        #expect(
            t.step(AMI.newstate(&alice, "Up")) == [
                "started caller 1001", "updated caller 1001 answered_by_application",
            ])
        #expect(t.correlator.liveCallCount == 1)
    }
}
