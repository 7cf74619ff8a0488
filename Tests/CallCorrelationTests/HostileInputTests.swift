import AMIProtocol
import CallCorrelation
import CallEvents
import Testing

/// Numbers in AMI fields come from the network: absurd ones are ignored, never a trap.
@Suite("Hostile numbers in AMI fields")
struct HostileInputTests {
    @Test("A Timestamp too large for microseconds is refused instead of overflowing")
    func hugeTimestamp() {
        #expect(EventInstant(amiTimestamp: "99999999999999999") == nil)
        #expect(EventInstant(amiTimestamp: "9223372036854.775807") == nil)
        #expect(EventInstant(amiTimestamp: "253402300799.999999")?.microseconds == 253_402_300_799_999_999)
        #expect(EventInstant(amiTimestamp: "1796414998.475033")?.microseconds == 1_796_414_998_475_033)
        var session = CorrelationSession(configuration: .sample)
        let message = AMIMessage([("Event", "Newchannel"), ("Timestamp", "99999999999999999.5"),
                                  ("Channel", "PJSIP/1001-1"), ("Uniqueid", "1.1"), ("Linkedid", "1.1")])
        _ = session.ingest(message, receivedAt: EventInstant(microseconds: 1_796_414_998_000_000))
        #expect(session.lastInstant.microseconds == 1_796_414_998_000_000)
    }

    @Test("RTPAUDIOQOS counts of nan, inf or 1e300 do not trap")
    func hostileQualityCounts() {
        var configuration = CorrelationConfiguration.sample
        configuration.rating.enabled = true
        var t = Transcript(configuration: configuration)
        let (alice, bob) = ChannelLifecycleTests.ringing(&t)
        _ = t.step(AMI.varSet(alice, "RTPAUDIOQOS", "lp=nan;rxcount=1e300;txcount=inf;rlp=-5;rxjitter=0.01;rtt=0.02"))
        _ = t.step(AMI.varSet(bob, "RTPAUDIOQOS", "lp=9e18;rxcount=9e18;txcount=9e18;rlp=9e18;rxjitter=0.01"))
        _ = t.steps([AMI.hangup(alice), AMI.hangup(bob)])
        #expect(t.last(.callFinished) != nil)
    }

    @Test("A rate plan with an absurd increment bills without overflowing")
    func hugeIncrement() {
        let plan = RatePlan(prefix: "+1", perMinute: 0.02, minimumSeconds: 30, incrementSeconds: Int.max, connectionFee: 0)
        #expect(CallRatingProbe.billed(32, plan) == Int.max)
        #expect(CallRatingProbe.billed(20, plan) == 30)
        let normal = RatePlan(prefix: "+1", perMinute: 0.02, minimumSeconds: 30, incrementSeconds: 6, connectionFee: 0)
        #expect(CallRatingProbe.billed(31, normal) == 36)
        #expect(CallRatingProbe.billed(36, normal) == 36)
        #expect(CallRatingProbe.billed(37, normal) == 42)
    }

    @Test("A JSON number too large for Int64 has no intValue")
    func hugeJSONInteger() {
        #expect(JSONValue.double(1e300).intValue == nil)
        #expect(JSONValue.double(.infinity).intValue == nil)
        #expect(JSONValue.double(42).intValue == 42)
    }
}
