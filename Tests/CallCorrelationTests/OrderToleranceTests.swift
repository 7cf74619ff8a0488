import AMIProtocol
import CallCorrelation
import CallEvents
import Foundation
import Testing
import TestSupport

/// AMI guarantees order only per channel and per bridge (pitfall P1), and a reconnect loses events
/// (P7). Whatever the order or the gaps, the engine must never trap and must keep its published
/// invariants: a leg starts once, finishes once, nothing follows its finish, sequences have no gaps.
@Suite("Order tolerance")
struct OrderToleranceTests {
    /// A deterministic generator (the tests must be reproducible).
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func messages(_ capture: String) throws -> [AMIMessage] {
        var decoder = AMIFrameDecoder()
        let data = try #require(FileManager.default.contents(atPath: Fixtures.path("fixtures/\(capture)")))
        decoder.feed([UInt8](data))
        return decoder.finish().compactMap { if case .message(let message) = $0 { return message } else { return nil } }
    }

    static func invariantProblems(_ events: [CallEvent]) -> [String] {
        var problems: [String] = []
        var sequences: [String: Int] = [:]
        var legState: [String: String] = [:]
        for event in events {
            let expected = (sequences[event.callID] ?? 0) + 1
            if event.sequence != expected { problems.append("\(event.id): sequence \(event.sequence), expected \(expected)") }
            sequences[event.callID] = event.sequence
            guard event.type.isLegEvent, let leg = event.data["leg"]?["id"]?.stringValue else { continue }
            switch (legState[leg], event.type) {
            case (nil, .callStarted): legState[leg] = "live"
            case (nil, _): problems.append("\(event.id): \(event.type.rawValue) before started")
            case ("live", .callStarted): problems.append("\(event.id): second started")
            case ("live", .callFinished): legState[leg] = "ended"
            case ("ended", _): problems.append("\(event.id): \(event.type.rawValue) after finished")
            default: break
            }
        }
        for (leg, state) in legState where state != "ended" { problems.append("leg \(leg) never finished") }
        return problems
    }

    @Test("Neighbouring events swapped at random: invariants hold", arguments: [1, 2, 3, 4, 5] as [UInt64])
    func swappedNeighbours(seed: UInt64) throws {
        var messages = try Self.messages("ami/16-concurrent-10-mixed.ami") + Self.messages("ami/10-queue-ringall-two-agents.ami")
        var random = SplitMix(state: seed)
        for index in messages.indices.dropLast() where random.next() % 4 == 0 { messages.swapAt(index, index + 1) }
        var correlator = CallCorrelator(configuration: .sample)
        var events: [CallEvent] = []
        var instant = EventInstant(microseconds: 0)
        for message in messages {
            if let text = message["Timestamp"], let stamped = EventInstant(amiTimestamp: text) { instant = max(instant, stamped) }
            events += correlator.process(message, at: instant).events
        }
        events += correlator.finish(at: instant).events
        #expect(Self.invariantProblems(events) == [])
        #expect(correlator.liveChannelCount == 0)
    }

    @Test("Random events dropped (a lossy connection): invariants hold", arguments: [11, 12, 13] as [UInt64])
    func droppedEvents(seed: UInt64) throws {
        var random = SplitMix(state: seed)
        let messages = try Self.messages("ami/16-concurrent-10-mixed.ami") + Self.messages("ami/12-blind-transfer.ami")
            + Self.messages("ami/08-inbound-queue-agent-answers.ami")
        var correlator = CallCorrelator(configuration: .sample)
        var events: [CallEvent] = []
        var instant = EventInstant(microseconds: 0)
        for message in messages where random.next() % 10 != 0 {
            if let text = message["Timestamp"], let stamped = EventInstant(amiTimestamp: text) { instant = max(instant, stamped) }
            events += correlator.process(message, at: instant).events
        }
        events += correlator.finish(at: instant).events
        #expect(Self.invariantProblems(events) == [])
        #expect(correlator.liveChannelCount == 0)
    }
}
