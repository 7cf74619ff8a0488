import AMIProtocol
import CallCorrelation
import CallEvents
import EventPublisher
import Foundation
import TestSupport
import Testing

/// Every scenario of both manifests (IAX2 captures in `fixtures/ami`, their PJSIP twins in
/// `fixtures/ami-pjsip`), replayed through ``ReplayRunner`` and held to the manifest's
/// `expected_calls` / totals and the event model's invariants. One test per scenario, named after it.
@Suite("Replaying real Asterisk captures")
struct ReplayTests {
    static func assertScenario(
        _ name: String, _ folder: String = "ami", sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let scenario = try ManifestScenario.named(name, in: folder)
        let output = try ReplayRunner.run(capture: scenario.capturePath, configuration: .sample)
        #expect(output.decodingDiagnostics.isEmpty, sourceLocation: sourceLocation)
        let problems = ReplayVerifier.verify(output.events, against: scenario)
        #expect(problems == [], "\(folder)/\(name)", sourceLocation: sourceLocation)
        #expect(!output.events.isEmpty, sourceLocation: sourceLocation)
    }

    @Test("01-internal-answered-caller-hangup") func scenario01() throws {
        try Self.assertScenario("01-internal-answered-caller-hangup")
    }
    @Test("02-internal-answered-callee-hangup") func scenario02() throws {
        try Self.assertScenario("02-internal-answered-callee-hangup")
    }
    @Test("03-internal-no-answer") func scenario03() throws { try Self.assertScenario("03-internal-no-answer") }
    @Test("04-internal-busy") func scenario04() throws { try Self.assertScenario("04-internal-busy") }
    @Test("05-internal-caller-cancel") func scenario05() throws { try Self.assertScenario("05-internal-caller-cancel") }
    @Test("06-inbound-external-answered") func scenario06() throws {
        try Self.assertScenario("06-inbound-external-answered")
    }
    @Test("07-outbound-external-answered") func scenario07() throws {
        try Self.assertScenario("07-outbound-external-answered")
    }
    @Test("08-inbound-queue-agent-answers") func scenario08() throws {
        try Self.assertScenario("08-inbound-queue-agent-answers")
    }
    @Test("10-queue-ringall-two-agents") func scenario10() throws {
        try Self.assertScenario("10-queue-ringall-two-agents")
    }
    @Test("11-voicemail-left") func scenario11() throws { try Self.assertScenario("11-voicemail-left") }
    @Test("12-blind-transfer") func scenario12() throws { try Self.assertScenario("12-blind-transfer") }
    @Test("16-concurrent-10-mixed") func scenario16() throws { try Self.assertScenario("16-concurrent-10-mixed") }
    @Test("17-soak-300-mixed") func scenario17() throws { try Self.assertScenario("17-soak-300-mixed") }

    @Test("PJSIP 01-internal-answered-caller-hangup") func pjsip01() throws {
        try Self.assertScenario("01-internal-answered-caller-hangup", "ami-pjsip")
    }
    @Test("PJSIP 06-inbound-external-answered") func pjsip06() throws {
        try Self.assertScenario("06-inbound-external-answered", "ami-pjsip")
    }
    @Test("PJSIP 08-inbound-queue-agent-answers") func pjsip08() throws {
        try Self.assertScenario("08-inbound-queue-agent-answers", "ami-pjsip")
    }
    @Test("PJSIP 12-blind-transfer") func pjsip12() throws { try Self.assertScenario("12-blind-transfer", "ami-pjsip") }

    @Test("Every manifest scenario has a test above")
    func everyScenarioIsCovered() throws {
        let names = try ManifestScenario.all(in: "ami").map(\.name) + ManifestScenario.all(in: "ami-pjsip").map(\.name)
        #expect(names.count == 17)
    }

    @Test("After the 320-call soak every call has been dropped: nothing is left in memory")
    func soakLeavesNothingBehind() throws {
        var session = CorrelationSession(configuration: .sample)
        var decoder = AMIFrameDecoder()
        let data = try #require(
            FileManager.default.contents(atPath: Fixtures.path("fixtures/ami/17-soak-300-mixed.ami")))
        decoder.feed([UInt8](data))
        var events = 0
        for frame in decoder.finish() {
            if case .message(let message) = frame { events += session.ingest(message).events.count }
        }
        #expect(events > 1800)
        #expect(session.correlator.liveCallCount == 0)
        #expect(session.correlator.liveChannelCount == 0)
        #expect(session.finish().isEmpty)
    }

    @Test("Replaying a capture twice gives byte-identical output")
    func replayIsDeterministic() throws {
        let path = Fixtures.path("fixtures/ami/16-concurrent-10-mixed.ami")
        let first = try ReplayRunner.run(capture: path).jsonLines
        let second = try ReplayRunner.run(capture: path).jsonLines
        #expect(first == second)
        #expect(first.contains("\"id\":\"evt_"))
    }

    @Test("With rating enabled the PJSIP captures give call_rating with a MOS from RTPAUDIOQOS")
    func pjsipRating() throws {
        var configuration = CorrelationConfiguration.sample
        configuration.rating.enabled = true
        let output = try ReplayRunner.run(
            capture: Fixtures.path("fixtures/ami-pjsip/06-inbound-external-answered.ami"), configuration: configuration)
        let ratings = output.events.filter { $0.type == .callRating }
        #expect(ratings.count == 1)
        let quality = ratings.first?.data["quality"]?.arrayValue ?? []
        #expect(quality.count == 2)
        #expect(quality.allSatisfy { ($0["mos"]?.doubleValue ?? 0) > 4 && $0["source"] == "rtpaudioqos" })
        #expect(ratings.first?.data["cost"] == .null)  // inbound call, the sample plan rates outbound only
        #expect(output.events.last?.type == .callRating)
    }

    @Test("With rating enabled an outbound call to +1555… costs the connection fee plus 30 s")
    func outboundCost() throws {
        var configuration = CorrelationConfiguration.sample
        configuration.rating.enabled = true
        let output = try ReplayRunner.run(
            capture: Fixtures.path("fixtures/ami/07-outbound-external-answered.ami"), configuration: configuration)
        let cost = output.events.first { $0.type == .callRating }?.data["cost"]
        #expect(cost?["billed_seconds"] == 30)
        #expect(cost?["amount"] == .double(0.02))
        #expect(cost?["currency"] == "USD")
    }
}
