import AMIProtocol
import CallCorrelation
import CallEvents
import Testing

/// Queues and Local channel pairs: the caller waits (updates, not connects), members ring through
/// Local halves that are never legs, one answers, the rest are cancelled, optimisation is silent.
@Suite("Local channels and queues")
struct LocalChannelAndQueueTests {
    struct Member {
        var one: TestChannel
        var two: TestChannel
        var phone: TestChannel
    }

    /// An external caller answered by the PBX and queued; `members` ring through Local pairs.
    static func queued(_ t: inout Transcript, members: [String]) -> (TestChannel, [Member]) {
        var caller = TestChannel.caller(
            "40.1", "IAX2/carrier-100", number: "+15552223333", name: "Sam",
            dialed: "+18005550102", account: nil, context: "from-carrier")
        #expect(t.step(AMI.newchannel(caller)) == [])
        caller.accountCode = "acme"
        #expect(t.step(AMI.newexten(caller, application: "Answer")) == [])
        #expect(
            t.step(AMI.newstate(&caller, "Up"))
                == ["started caller +15552223333", "updated caller +15552223333 answered_by_application"])
        #expect(t.step(AMI.queueCallerJoin(caller, queue: "sales")) == ["updated caller +15552223333 queue_joined"])
        var result: [Member] = []
        var sentences: [String] = []
        for (index, number) in members.enumerated() {
            let base = 2 + index * 3
            let one = TestChannel(
                id: "40.\(base)", name: "Local/\(number)@agents-0000000\(index);1",
                linkedID: "40.1", state: "Down")
            var two = TestChannel(
                id: "40.\(base + 1)", name: "Local/\(number)@agents-0000000\(index);2",
                linkedID: "40.1", state: "Ring")
            var phone = TestChannel.callee("40.\(base + 2)", "IAX2/\(number)-\(index)", linkedTo: "40.1")
            sentences += t.steps([
                AMI.newchannel(one), AMI.newchannel(two), AMI.localBridge(one, two),
                AMI.dialBegin(from: caller, to: one, dialString: "\(number)@agents"),
                AMI.newchannel(phone), AMI.newCallerID(&phone, number: number),
                AMI.newstate(&phone, "Ringing"),
                AMI.dialBegin(from: two, to: phone, dialString: number),
            ])
            two.state = "Ring"
            result.append(Member(one: one, two: two, phone: phone))
        }
        #expect(sentences == members.map { "started callee \($0)" })
        return (caller, result)
    }

    @Test("Ring-all queue: one member answers, the other is cancelled, the Local pair optimises away silently")
    func ringAllQueue() {
        var t = Transcript()
        var (caller, members) = Self.queued(&t, members: ["1003", "1004"])
        var winner = members[1], loser = members[0]
        // 1004 answers: its ;2 bridges with the phone, the ;1 with the caller.
        #expect(
            t.steps([
                AMI.newstate(&winner.phone, "Up"),
                AMI.dialEnd(from: winner.two, to: winner.phone, status: "ANSWER"),
                AMI.newstate(&winner.two, "Up"), AMI.bridgeEnter("b-agent", winner.phone),
                AMI.newstate(&winner.one, "Up"),
                AMI.dialEnd(from: caller, to: winner.one, status: "ANSWER"),
                AMI.dialEnd(from: caller, to: loser.one, status: "CANCEL"),
                AMI.hangup(loser.one, cause: 26),
            ]) == [])
        #expect(t.steps([AMI.queueCallerLeave(caller, queue: "sales")]) == ["updated caller +15552223333 queue_left"])
        #expect(
            t.steps([
                AMI.dialEnd(from: loser.two, to: loser.phone, status: "CANCEL"),
                AMI.hangup(loser.phone, cause: 26), AMI.hangup(loser.two, cause: 26),
            ])
                == ["finished callee 1003 cancelled"])
        #expect(
            t.steps([
                AMI.bridgeEnter("b-agent", winner.two), AMI.bridgeEnter("b-caller", winner.one),
                AMI.bridgeEnter("b-caller", caller),
            ])
                == ["connected caller +15552223333", "connected callee 1004"])
        // Local optimisation: the phone is swapped into the caller's bridge; same peer, no event.
        #expect(
            t.steps([
                AMI.bridgeLeave("b-agent", winner.phone), AMI.bridgeLeave("b-caller", winner.one),
                AMI.bridgeEnter("b-caller", winner.phone, swap: winner.one.id),
                AMI.hangup(winner.one), AMI.bridgeLeave("b-agent", winner.two), AMI.hangup(winner.two),
            ]) == [])
        #expect(
            t.steps([AMI.hangup(winner.phone), AMI.hangup(caller)])
                == [
                    "finished callee 1004 answered", "finished caller +15552223333 answered",
                    "customer_interaction answered",
                ])
        #expect(t.events.allSatisfy { !($0.data["leg"]?["channel"]?.stringValue ?? "").hasPrefix("Local/") })
        let summary = t.last(.customerInteraction)!
        #expect(summary.data["answered_by"]?["number"] == "1004")
        #expect(summary.data["queue"]?["name"] == "sales")
        _ = caller
    }

    @Test("A caller who gives up in the queue abandons it; the member that rang without answer is no_answer")
    func abandonedQueueCall() {
        var t = Transcript()
        let (caller, members) = Self.queued(&t, members: ["1001"])
        let member = members[0]
        #expect(t.step(AMI.agentRingNoAnswer(caller: caller, member: member.one, queue: "sales")) == [])
        #expect(
            t.steps([
                AMI.dialEnd(from: member.two, to: member.phone, status: "CANCEL"),
                AMI.hangup(member.phone), AMI.hangup(member.two), AMI.hangup(member.one),
            ])
                == ["finished callee 1001 no_answer"])
        #expect(
            t.step(AMI.queueCallerAbandon(caller, queue: "sales")) == ["updated caller +15552223333 queue_abandoned"])
        #expect(t.step(AMI.queueCallerLeave(caller, queue: "sales")) == ["updated caller +15552223333 queue_left"])
        #expect(
            t.step(AMI.hangup(caller)) == ["finished caller +15552223333 cancelled", "customer_interaction abandoned"])
    }

    @Test("Parallel ring group: the first to answer connects, the others are cancelled (answered elsewhere)")
    func ringGroup() {
        var t = Transcript()
        var alice = TestChannel.caller("50.1", "PJSIP/1001-00000050", number: "1001", dialed: "600")
        var phones = [
            TestChannel.callee("50.2", "PJSIP/1002-00000051", linkedTo: "50.1"),
            TestChannel.callee("50.3", "PJSIP/1003-00000052", linkedTo: "50.1"),
        ]
        _ = t.step(AMI.newchannel(alice))
        var sentences: [String] = []
        for index in phones.indices {
            sentences += t.steps([
                AMI.newchannel(phones[index]),
                AMI.newCallerID(&phones[index], number: "100\(index + 2)"),
                AMI.newstate(&phones[index], "Ringing"),
                AMI.dialBegin(from: alice, to: phones[index], dialString: "100\(index + 2)"),
            ])
        }
        #expect(sentences == ["started caller 1001", "started callee 1002", "started callee 1003"])
        #expect(
            t.steps([
                AMI.newstate(&phones[1], "Up"), AMI.dialEnd(from: alice, to: phones[1], status: "ANSWER"),
                AMI.dialEnd(from: alice, to: phones[0], status: "CANCEL"),
                AMI.hangup(phones[0], cause: 26, text: "Answered elsewhere"),
                AMI.newstate(&alice, "Up"), AMI.bridgeEnter("b", phones[1]), AMI.bridgeEnter("b", alice),
            ])
                == ["finished callee 1002 cancelled", "connected caller 1001", "connected callee 1003"])
    }

    @Test("A forward (302) ends the first dial and rings the new target; the caller gets an update")
    func forward() {
        var t = Transcript()
        let (alice, bob) = ChannelLifecycleTests.ringing(&t)
        #expect(
            t.step(AMI.dialEnd(from: alice, to: bob, status: "CANCEL", forward: "1005"))
                == ["updated caller 1001 forwarded"])
        #expect(t.step(AMI.hangup(bob)) == ["finished callee 1002 cancelled"])
        var carol = TestChannel.callee("10.3", "PJSIP/1005-00000003", linkedTo: "10.1")
        #expect(
            t.steps([
                AMI.newchannel(carol), AMI.newCallerID(&carol, number: "1005"),
                AMI.newstate(&carol, "Ringing"), AMI.dialBegin(from: alice, to: carol, dialString: "1005"),
            ])
                == ["started callee 1005"])
        #expect(t.last(.callFinished)?.data["forwarded_to"] == "1005")
    }
}

@Suite("Bridge merges")
struct BridgeMergeTests {
    @Test("BridgeMerge moves the members of one bridge into another and connects the legs it joins")
    func bridgeMerge() {
        var t = Transcript()
        var alice = TestChannel.caller("90.1", "PJSIP/1001-00000090", number: "1001", dialed: "800")
        var bob = TestChannel.caller("91.1", "PJSIP/1002-00000091", number: "1002", dialed: "800")
        _ = t.steps([
            AMI.newchannel(alice), AMI.newstate(&alice, "Up"), AMI.bridgeEnter("conf-a", alice),
            AMI.newchannel(bob), AMI.newstate(&bob, "Up"), AMI.bridgeEnter("conf-b", bob),
        ])
        let merge = AMI.event(
            "BridgeMerge",
            [
                ("ToBridgeUniqueid", "conf-a"), ("ToBridgeType", "basic"),
                ("FromBridgeUniqueid", "conf-b"), ("FromBridgeType", "basic"),
            ])
        #expect(t.step(merge) == ["connected caller 1001", "connected caller 1002"])
        // Two calls now talk to each other: they are linked.
        #expect(t.last(.callConnected)?.data["related_call_ids"] == ["90.1"])
    }
}
