import AMIProtocol
import CallCorrelation
import CallEvents
import Testing

/// Call-level events: voicemail_received, customer_interaction, call_rating, tenants.
@Suite("Call-level events")
struct CallLevelEventTests {
    @Test("Voicemail: the application answer is an update, MessageWaiting gives voicemail_received in the call")
    func voicemail() {
        var t = Transcript()
        var (alice, bob) = ChannelLifecycleTests.ringing(&t)
        #expect(
            t.steps([AMI.dialEnd(from: alice, to: bob, status: "NOANSWER"), AMI.hangup(bob, cause: 0)])
                == ["finished callee 1002 no_answer"])
        #expect(
            t.steps([
                AMI.newexten(alice, application: "VoiceMail", data: "1002@acme,us"),
                AMI.newstate(&alice, "Up"),
            ]) == ["updated caller 1001 answered_by_application"])
        #expect(
            t.step(AMI.varSet(alice, "VM_MESSAGEFILE", "/var/spool/asterisk/voicemail/acme/1002/INBOX/msg0000"))
                == [])
        #expect(t.step(AMI.messageWaiting(alice, mailbox: "1002@acme", new: 1)) == ["voicemail_received 1002@acme"])
        #expect(t.step(AMI.messageWaiting(alice, mailbox: "1002@acme", new: 1)) == [])
        #expect(t.step(AMI.hangup(alice)) == ["finished caller 1001 voicemail"])
        let message = t.last(.voicemailReceived)!
        #expect(message.callID == "10.1")
        #expect(message.data["caller"]?["number"] == "1001")
        #expect(message.data["new_messages"] == 1)
    }

    @Test("A MessageWaiting without a channel is a new message only when the New count rises")
    func voicemailWithoutChannel() {
        var t = Transcript()
        #expect(t.step(AMI.messageWaiting(nil, mailbox: "1002@acme", new: 1)) == [])  // first sight: a poll
        #expect(t.step(AMI.messageWaiting(nil, mailbox: "1002@acme", new: 2)) == ["voicemail_received 1002@acme"])
        #expect(t.step(AMI.messageWaiting(nil, mailbox: "1002@acme", new: 1)) == [])
    }

    @Test("Tenants are resolved by accountcode, context prefix, channel pattern and variable; main owns the rest")
    func tenants() {
        var configuration = CorrelationConfiguration.sample
        configuration.tenants = [
            TenantRule(name: "acme", match: .accountCode("acme")),
            TenantRule(name: "globex", match: .contextPrefix("globex-")),
            TenantRule(name: "initech", match: .channelPattern("^PJSIP/7[0-9]{3}-")),
            TenantRule(name: "umbrella", match: .variable(name: "TENANT", value: "umbrella")),
        ]
        func tenant(_ caller: TestChannel, variable: String? = nil) -> String {
            var t = Transcript(configuration: configuration)
            var caller = caller
            _ = t.step(AMI.newchannel(caller))
            if let variable { _ = t.step(AMI.varSet(caller, "TENANT", variable)) }
            _ = t.step(AMI.newstate(&caller, "Up"))
            return t.events.first?.tenant ?? "none"
        }
        #expect(tenant(.caller("1.1", "PJSIP/1001-1", number: "1001", dialed: "1002")) == "acme")
        #expect(
            tenant(
                .caller(
                    "1.1", "PJSIP/2001-1", number: "2001", dialed: "2002", account: nil,
                    context: "globex-internal")) == "globex")
        #expect(tenant(.caller("1.1", "PJSIP/7001-1", number: "7001", dialed: "7002", account: nil)) == "initech")
        #expect(
            tenant(
                .caller("1.1", "PJSIP/9001-1", number: "9001", dialed: "9002", account: nil),
                variable: "umbrella") == "umbrella")
        #expect(tenant(.caller("1.1", "PJSIP/9001-1", number: "9001", dialed: "9002", account: nil)) == "main")
    }

    @Test("The tenant comes from facts that arrive before the first event (accountcode set by the dialplan)")
    func tenantFromLateAccountCode() {
        var t = Transcript()
        var caller = TestChannel.caller(
            "2.1", "IAX2/carrier-1", number: "+15551234567", dialed: "+18005550100",
            account: nil)
        _ = t.step(AMI.newchannel(caller))
        caller.accountCode = "globex"
        _ = t.step(AMI.newexten(caller, application: "Set", data: "CHANNEL(accountcode)=globex"))
        #expect(
            t.step(AMI.newstate(&caller, "Up"))
                == ["started caller +15551234567", "updated caller +15551234567 answered_by_application"])
        #expect(t.events.allSatisfy { $0.tenant == "globex" })
    }

    @Test("Rating: cost from the longest matching prefix with 30/6 increments; quality from RTPAUDIOQOS")
    func rating() {
        var configuration = CorrelationConfiguration.sample
        configuration.rating.enabled = true
        configuration.rating.plans.append(
            RatePlan(
                prefix: "+15557", direction: .outbound, perMinute: 0.06, minimumSeconds: 30, incrementSeconds: 6,
                connectionFee: 0.05))
        var t = Transcript(configuration: configuration)
        var alice = TestChannel.caller("70.1", "PJSIP/1001-00000070", number: "1001", dialed: "+15557654321")
        var trunk = TestChannel.callee("70.2", "PJSIP/carrier-00000071", linkedTo: "70.1")
        _ = t.steps([
            AMI.newchannel(alice), AMI.newchannel(trunk), AMI.newCallerID(&trunk, number: "+15557654321"),
            AMI.newstate(&trunk, "Ringing"), AMI.dialBegin(from: alice, to: trunk, dialString: "carrier/+15557654321"),
            AMI.newstate(&trunk, "Up"), AMI.dialEnd(from: alice, to: trunk, status: "ANSWER"),
            AMI.newstate(&alice, "Up"), AMI.bridgeEnter("b", trunk), AMI.bridgeEnter("b", alice),
        ])
        t.seconds += 29  // 31 s of talk (the steps advance 1 s each) → 36 s billed
        _ = t.step(
            AMI.varSet(
                alice, "RTPAUDIOQOS",
                "ssrc=1;themssrc=2;lp=0;rxjitter=0.002000;rxcount=500;txjitter=0.001000;txcount=499;rlp=0;rtt=0.020000;rxmes=88.081670;txmes=86.6"
            ))
        #expect(
            t.steps([AMI.hangup(alice), AMI.hangup(trunk)])
                == [
                    "finished caller 1001 answered", "finished callee +15557654321 answered",
                    "customer_interaction answered", "call_rating",
                ])
        let rating = t.last(.callRating)!
        #expect(rating.data["cost"]?["plan_prefix"] == "+15557")
        #expect(rating.data["cost"]?["talk_seconds"] == 31)
        #expect(rating.data["cost"]?["billed_seconds"] == 36)
        #expect(rating.data["cost"]?["amount"] == .double(0.086))  // 0.05 + 0.06 × 36 / 60
        #expect(rating.data["quality"]?.arrayValue?.count == 1)
        #expect(rating.data["mos"] == .double(4.33))  // min(rx, tx) MES 86.6 / 20
        #expect(rating.sequence == t.last(.customerInteraction)!.sequence + 1)
    }

    @Test("Billing increments, unanswered calls and the MOS formula")
    func ratingArithmetic() {
        let plan = RatePlan(
            prefix: "+1555", perMinute: 0.02, minimumSeconds: 30, incrementSeconds: 6, connectionFee: 0.01)
        #expect(CallRatingProbe.billed(10, plan) == 30)
        #expect(CallRatingProbe.billed(30, plan) == 30)
        #expect(CallRatingProbe.billed(31, plan) == 36)
        #expect(CallRatingProbe.billed(0, plan) == 0)
        #expect(CallRatingProbe.amount(0, plan) == 0)
        #expect(CallRatingProbe.amount(10, plan) == 0.02)
        let plans = [
            RatePlan(prefix: "+1", perMinute: 1), RatePlan(prefix: "+1555", perMinute: 2),
            RatePlan(prefix: "+15551", direction: .inbound, perMinute: 3),
        ]
        #expect(CallRatingProbe.plan("+15551234567", outbound: true, plans)?.perMinute == 2)
        #expect(CallRatingProbe.plan("+15551234567", outbound: false, plans)?.perMinute == 3)
        #expect(CallRatingProbe.plan("+4420", outbound: true, plans) == nil)
        #expect(CallRatingProbe.mos(rttMs: 20, jitterMs: 2, loss: 0) == 4.4)
        #expect(CallRatingProbe.mos(rttMs: 600, jitterMs: 60, loss: 10) < 2.6)
    }

    @Test("Rating enabled but nothing to rate: no call_rating")
    func nothingToRate() {
        var configuration = CorrelationConfiguration.sample
        configuration.rating.enabled = true
        var t = Transcript(configuration: configuration)
        var (alice, bob) = ChannelLifecycleTests.ringing(&t)
        _ = t.steps([
            AMI.newstate(&bob, "Up"), AMI.dialEnd(from: alice, to: bob, status: "ANSWER"),
            AMI.newstate(&alice, "Up"), AMI.bridgeEnter("b", bob), AMI.bridgeEnter("b", alice),
        ])
        #expect(
            t.steps([AMI.hangup(alice), AMI.hangup(bob)])
                == ["finished caller 1001 answered", "finished callee 1002 answered"])
    }
}

@Suite("External parties")
struct ExternalPartyTests {
    @Test("External is decided by the number; a configured trunk pattern also makes anonymous callers external")
    func anonymousCallerOnATrunk() {
        func firstLeg(_ configuration: CorrelationConfiguration) -> CallEvent? {
            var t = Transcript(configuration: configuration)
            var caller = TestChannel.caller("3.1", "PJSIP/carrier-00000001", number: "anonymous", dialed: "+18005550100")
            _ = t.steps([AMI.newchannel(caller), AMI.newstate(&caller, "Up")])
            return t.events.first
        }
        #expect(firstLeg(.sample)?.data["leg"]?["external"] == false)
        // Without trunk knowledge an unknown caller dialling an E.164 number reads as outbound.
        #expect(firstLeg(.sample)?.data["direction"] == "outbound")
        var configuration = CorrelationConfiguration.sample
        configuration.trunkChannelPattern = "^PJSIP/carrier-"
        #expect(firstLeg(configuration)?.data["leg"]?["external"] == true)
        #expect(firstLeg(configuration)?.data["direction"] == "inbound")
    }
}

@Suite("Quality from RTCP")
struct RTCPQualityTests {
    @Test("Without RTPAUDIOQOS variables, RTCP reports give the leg's quality (worst MES, loss, jitter, RTT)")
    func rtcpQuality() {
        var configuration = CorrelationConfiguration.sample
        configuration.rating.enabled = true
        var t = Transcript(configuration: configuration)
        var (alice, bob) = ChannelLifecycleTests.ringing(&t)
        _ = t.steps([AMI.newstate(&bob, "Up"), AMI.dialEnd(from: alice, to: bob, status: "ANSWER"),
                     AMI.newstate(&alice, "Up"), AMI.bridgeEnter("b", bob), AMI.bridgeEnter("b", alice)])
        let report = AMI.event("RTCPReceived", alice.fields() + [
            ("RTT", "0.0500"), ("MES", "70.0"), ("PT", "201(RR)"), ("ReportCount", "1"),
            ("Report0FractionLost", "26"), ("Report0IAJitter", "160"),
        ])
        #expect(t.step(report) == [])
        #expect(t.step(AMI.event("RTCPSent", alice.fields() + [("MES", "80.0")])) == [])
        #expect(t.steps([AMI.hangup(alice), AMI.hangup(bob)])
                == ["finished caller 1001 answered", "finished callee 1002 answered", "call_rating"])
        let quality = t.last(.callRating)?.data["quality"]?.arrayValue ?? []
        #expect(quality.count == 1)
        #expect(quality.first?["source"] == "rtcp")
        #expect(quality.first?["mos"] == .double(3.5))  // the worse MES, 70 / 20
        #expect(quality.first?["rtt_ms"] == .double(50))
        #expect(quality.first?["jitter_ms"] == .double(20))  // 160 samples at 8 kHz
        #expect(quality.first?["loss_percent"] == .double(10.156))  // 26 / 256
        #expect(t.last(.callRating)?.data["cost"] == .null)
    }
}

@Suite("Dialled number")
struct DialledNumberTests {
    @Test("A trunk call delivered to extension s takes the DID routed before the leg is announced")
    func didAfterStartExtension() {
        var t = Transcript()
        var caller = TestChannel.caller("4.1", "PJSIP/carrier-00000004", number: "+15551234567", dialed: "s")
        _ = t.step(AMI.newchannel(caller))
        caller.exten = "+18005550100"
        _ = t.step(AMI.newexten(caller, application: "Goto", data: "did,+18005550100,1"))
        caller.exten = "support"
        _ = t.step(AMI.newexten(caller, application: "Answer"))
        _ = t.step(AMI.newstate(&caller, "Up"))
        #expect(t.events.first?.data["dialed_number"] == "+18005550100")
        #expect(t.events.first?.data["direction"] == "inbound")
    }
}
