import AMIProtocol
import CallCorrelation
import CallEvents
import Foundation
import TestSupport
import Testing

/// Event ids are `evt_<call id>_<sequence>` and the outbox skips an id it already holds. A restarted
/// process with a fresh correlator adopts the calls still in progress (CoreShowChannels); unless it
/// continues their sequences after what the outbox already holds, it numbers them from 1 again and
/// every id that the previous process used for a *different* event is silently dropped by the
/// outbox (and by receivers de-duplicating on `webhook-id`) — a lost `finished`, typically.
/// This checks, at the correlator level and the way `IngestPipeline` drives it after a restart
/// (`continueSequences(after:)` with the outbox's highest sequence per call, then the resync), that
/// ids after a restart never name a different event than before it. (Found as a bug in this
/// session: before `continueSequences` existed, all 7 captures reused ids.)
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
            // What the outbox holds: the highest sequence published per call.
            var floors: [String: Int] = [:]
            for event in earlier.values { floors[event.callID] = max(floors[event.callID] ?? 0, event.sequence) }
            second.continueSequences(after: floors)
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
        #expect(collisions.isEmpty, "\(collisions.count) reused ids, e.g. \(collisions.prefix(5))")
    }
}
