import AMIProtocol
import CallCorrelation
import CallEvents
import Foundation
import TestSupport
import Testing

/// Event ids are `evt_<call id>_<sequence>` and the outbox skips an id it already holds. A restarted
/// process has a fresh correlator: for a call still in progress it adopts the live channels
/// (CoreShowChannels) and numbers that call's events from 1 again. Any id it produces that the
/// previous process already used for a *different* event is silently dropped by the outbox (and
/// by receivers de-duplicating on `webhook-id`). This checks, at the correlator level, that the
/// ids after a restart never name a different event than before it.
@Suite("Event identity across a restart")
struct EventIdentityAcrossRestartTests {
    @Test("After a restart mid-call, no event id is reused for a different event",
          arguments: ["01-internal-answered-caller-hangup.ami", "06-inbound-external-answered.ami",
                      "08-inbound-queue-agent-answers.ami", "10-queue-ringall-two-agents.ami",
                      "11-voicemail-left.ami", "12-blind-transfer.ami", "16-concurrent-10-mixed.ami"])
    func idsAreNotReusedAfterRestart(captureName: String) throws {
        let messages = try AMIReplayServer.streamableMessages(ofCapture: Fixtures.path("fixtures/ami/\(captureName)"))
        var collisions: [String] = []
        var restarts = 0
        // Restart at several points: before each Hangup.
        for split in messages.indices where messages[split].isEvent("Hangup") {
            restarts += 1
            let before = Array(messages[..<split]), after = Array(messages[split...])
            var first = CallCorrelator(configuration: .sample)
            var earlier: [String: CallEvent] = [:]
            var instant = EventInstant(microseconds: 0)
            for message in before {
                if let stamped = message["Timestamp"].flatMap(EventInstant.init(amiTimestamp:)) { instant = max(instant, stamped) }
                for event in first.process(message, at: instant).events { earlier[event.id] = event }
            }
            var second = CallCorrelator(configuration: .sample)
            var later = second.resynchronize(with: RestartDuringCallTests.liveChannels(after: before), at: instant).events
            for message in after {
                if let stamped = message["Timestamp"].flatMap(EventInstant.init(amiTimestamp:)) { instant = max(instant, stamped) }
                later += second.process(message, at: instant).events
            }
            for event in later {
                if let old = earlier[event.id],
                   old.type != event.type || old.data["leg"]?["id"] != event.data["leg"]?["id"] {
                    collisions.append("split \(split): \(event.id) was \(old.type.rawValue), now \(event.type.rawValue)")
                }
            }
            if collisions.count > 5 { break }
        }
        #expect(restarts > 0)
        withKnownIssue("event ids restart at sequence 1 in a new process (reported)", isIntermittent: true) {
            #expect(collisions.isEmpty, "\(collisions.count) reused ids, e.g. \(collisions.prefix(5))")
        }
    }
}
