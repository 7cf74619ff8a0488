import AMIProtocol
import CallCorrelation
import CallEvents
import Testing

/// Transfers, hold and recording (ami-reference §2.6, §2.7).
@Suite("Transfers and hold")
struct TransferTests {
    static func talking(_ t: inout Transcript) -> (TestChannel, TestChannel) {
        var (alice, bob) = ChannelLifecycleTests.ringing(&t)
        _ = t.steps([
            AMI.newstate(&bob, "Up"), AMI.dialEnd(from: alice, to: bob, status: "ANSWER"),
            AMI.newstate(&alice, "Up"), AMI.bridgeEnter("b1", bob), AMI.bridgeEnter("b1", alice),
        ])
        return (alice, bob)
    }

    @Test("Blind transfer: both parties get transfer_blind, the transferee connects again with the target")
    func blindTransfer() {
        var t = Transcript()
        let (alice, bob) = Self.talking(&t)
        #expect(t.step(AMI.unhold(bob)) == [])  // Asterisk raises a stray Unhold: not an update
        #expect(
            t.steps([
                AMI.bridgeLeave("b1", bob), AMI.blindTransfer(transferer: bob, transferee: alice, exten: "1003"),
                AMI.bridgeLeave("b1", alice), AMI.hangup(bob),
            ])
                == [
                    "updated callee 1002 transfer_blind", "updated caller 1001 transfer_blind",
                    "finished callee 1002 answered",
                ])
        var carol = TestChannel.callee("10.3", "PJSIP/1003-00000003", linkedTo: "10.1")
        #expect(
            t.steps([
                AMI.newchannel(carol), AMI.newCallerID(&carol, number: "1003"),
                AMI.newstate(&carol, "Ringing"), AMI.dialBegin(from: alice, to: carol, dialString: "1003"),
            ])
                == ["started callee 1003"])
        #expect(
            t.steps([
                AMI.newstate(&carol, "Up"), AMI.dialEnd(from: alice, to: carol, status: "ANSWER"),
                AMI.bridgeEnter("b2", carol), AMI.bridgeEnter("b2", alice),
            ])
                == ["connected caller 1001", "connected callee 1003"])
        #expect(
            t.steps([AMI.hangupRequest(alice), AMI.hangup(alice), AMI.hangup(carol)])
                == ["finished caller 1001 answered", "finished callee 1003 answered"])
        #expect(t.last(.callFinished)?.data["hangup_by"]?["number"] == "1001")
    }

    @Test("Attended transfer joins two calls: linked by related_call_ids, one customer_interaction for both")
    func attendedTransfer() {
        var t = Transcript()
        // Call A: external caller talks to 1002.
        var ext = TestChannel.caller("60.1", "PJSIP/carrier-00000001", number: "+15551234567", dialed: "+18005550100")
        var bob = TestChannel.callee("60.2", "PJSIP/1002-00000002", linkedTo: "60.1")
        _ = t.steps([
            AMI.newchannel(ext), AMI.newchannel(bob), AMI.newCallerID(&bob, number: "1002"),
            AMI.newstate(&bob, "Ringing"), AMI.dialBegin(from: ext, to: bob, dialString: "1002"),
            AMI.newstate(&bob, "Up"), AMI.dialEnd(from: ext, to: bob, status: "ANSWER"),
            AMI.newstate(&ext, "Up"), AMI.bridgeEnter("bA", bob), AMI.bridgeEnter("bA", ext),
        ])
        #expect(t.step(AMI.hold(bob)) == ["updated callee 1002 hold"])
        #expect(t.step(AMI.hold(bob)) == [])
        // Call B: 1002 (second channel) consults 1003.
        var bob2 = TestChannel.caller("61.1", "PJSIP/1002-00000003", number: "1002", dialed: "1003")
        var carol = TestChannel.callee("61.2", "PJSIP/1003-00000004", linkedTo: "61.1")
        #expect(
            t.steps([
                AMI.newchannel(bob2), AMI.newchannel(carol), AMI.newCallerID(&carol, number: "1003"),
                AMI.newstate(&carol, "Ringing"), AMI.dialBegin(from: bob2, to: carol, dialString: "1003"),
                AMI.newstate(&carol, "Up"), AMI.dialEnd(from: bob2, to: carol, status: "ANSWER"),
                AMI.newstate(&bob2, "Up"), AMI.bridgeEnter("bB", carol), AMI.bridgeEnter("bB", bob2),
            ])
                == ["started caller 1002", "started callee 1003", "connected caller 1002", "connected callee 1003"])
        // 1002 completes the transfer: the external caller and 1003 end up together.
        var moved = carol
        moved.linkedID = "60.1"
        #expect(
            t.steps([
                AMI.attendedTransfer(origTransferer: bob, secondTransferer: bob2, transferee: ext, target: carol),
                AMI.bridgeLeave("bA", bob), AMI.bridgeLeave("bB", bob2), AMI.bridgeLeave("bB", carol),
                AMI.bridgeEnter("bA", moved),
            ])
                == [
                    "updated callee 1002 transfer_attended", "updated caller 1002 transfer_attended",
                    "updated caller +15551234567 transfer_attended", "updated callee 1003 transfer_attended",
                    "connected caller +15551234567", "connected callee 1003",
                ])
        #expect(
            t.steps([AMI.hangup(bob), AMI.hangup(bob2)])
                == ["finished callee 1002 answered", "finished caller 1002 answered"])
        #expect(
            t.steps([AMI.hangup(ext), AMI.hangup(moved)])
                == [
                    "finished caller +15551234567 answered", "finished callee 1003 answered",
                    "customer_interaction answered",
                ])
        let summaries = t.events.filter { $0.type == .customerInteraction }
        #expect(summaries.count == 1)
        let callA = t.events.filter { $0.callID == "60.1" }
        let callB = t.events.filter { $0.callID == "61.1" }
        #expect(callA.last?.data["related_call_ids"] == ["61.1"])
        #expect(callB.last?.data["related_call_ids"] == ["60.1"])
        #expect(callA.map(\.sequence) == Array(1...callA.count))
        _ = ext
    }

    @Test("Hold and unhold are updates with the leg state on_hold, repeats are not")
    func holdAndUnhold() {
        var t = Transcript()
        let (alice, _) = Self.talking(&t)
        #expect(t.step(AMI.hold(alice)) == ["updated caller 1001 hold"])
        #expect(t.last(.callUpdated)?.data["leg"]?["state"] == "on_hold")
        #expect(t.step(AMI.unhold(alice)) == ["updated caller 1001 unhold"])
        #expect(t.last(.callUpdated)?.data["leg"]?["state"] == "up")
        #expect(t.step(AMI.unhold(alice)) == [])
        #expect(t.step(AMI.event("MixMonitorStart", alice.fields())) == ["updated caller 1001 recording_started"])
        #expect(t.step(AMI.event("MixMonitorStop", alice.fields())) == ["updated caller 1001 recording_stopped"])
    }
}
