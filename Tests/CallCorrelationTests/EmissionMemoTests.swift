import AMIProtocol
@testable import CallCorrelation
import CallEvents
import Foundation
import TestSupport
import Testing

/// The emission memos (leg objects, per-call parts of leg events) are pure caches: the events are
/// the same with them as when every event is built from scratch. The captures cover the ordinary
/// changes of a leg (ringing → up → down, caller id, transfers, queues); these tests replay them
/// with the memos dropped before every message and compare the events value for value.
@Suite("Emission memos")
struct EmissionMemoTests {
    /// Events of `capture`, with the memos kept (`dropMemos == false`) or dropped before each message.
    static func events(of capture: String, dropMemos: Bool) throws -> [CallEvent] {
        let data = try #require(FileManager.default.contents(atPath: Fixtures.path(capture)))
        var decoder = AMIFrameDecoder()
        decoder.feed([UInt8](data))
        var correlator = CallCorrelator(configuration: .sample)
        var last = EventInstant(microseconds: 0)
        var events: [CallEvent] = []
        for frame in decoder.finish() {
            guard case .message(let message) = frame else { continue }
            last = CorrelationSession.instant(of: message, receivedAt: nil, after: last)
            if dropMemos { correlator.dropEmissionMemos() }
            events += correlator.process(message, at: last).events
        }
        return events
    }

    @Test(
        "Events built with the memos equal events built from scratch",
        arguments: [
            "fixtures/ami/17-soak-300-mixed.ami", "fixtures/ami/12-blind-transfer.ami",
            "fixtures/ami/10-queue-ringall-two-agents.ami", "fixtures/ami-pjsip/08-inbound-queue-agent-answers.ami",
        ])
    func memosChangeNothing(capture: String) throws {
        let memoised = try Self.events(of: capture, dropMemos: false)
        let scratch = try Self.events(of: capture, dropMemos: true)
        #expect(memoised.count == scratch.count)
        #expect(!memoised.isEmpty)
        for (with, without) in zip(memoised, scratch) where with != without {
            Issue.record("\(with.id) differs: \(with.data.jsonString) vs \(without.data.jsonString)")
            break
        }
        #expect(memoised.map { $0.encodedJSON() } == scratch.map { $0.encodedJSON() })
    }

    @Test("Leg object cache: a replacement at the found slot, generations, removal")
    func legObjectCache() {
        func memo(_ id: String, number: String) -> LegObjectMemo {
            var facts = LegFacts(uniqueIDForTest: id, name: "PJSIP/1001-0000002a")
            facts.number = number
            return LegObjectMemo(facts: facts, object: facts.object(), party: facts.party())
        }
        var cache = LegObjectCache()
        #expect(cache.entry("1.1") == nil)
        cache.store(memo("1.1", number: "1001"), for: "1.1")
        cache.store(memo("1.2", number: "1002"), for: "1.2")
        let found = cache.entry(StateKey("1.1"))
        #expect(found?.memo.facts.number == "1001")
        #expect(found?.slot != nil)
        cache.store(memo("1.1", number: "2001"), for: StateKey("1.1"), at: found?.slot)
        #expect(cache.entry("1.1")?.facts.number == "2001")
        #expect(cache.entry("1.2")?.facts.number == "1002")
        // Fill a whole generation: the first entries move to the older one and are still found
        // (without a slot: they are stored again in the current generation).
        for index in 0..<LegObjectCache.generationLimit { cache.store(memo("2.\(index)", number: "3"), for: "2.\(index)") }
        let moved = cache.entry(StateKey("1.2"))
        #expect(moved?.memo.facts.number == "1002")
        #expect(moved?.slot == nil)
        #expect(cache.entry(StateKey("1.2"))?.slot != nil)
        cache.remove("1.2")
        #expect(cache.entry("1.2") == nil)
    }
}

@Suite("Event ids")
struct EventIDTests {
    @Test("Written into one buffer, an event id equals the interpolated one")
    func eventIDs() {
        for callID in ["1796415266.64", "r12-1796415266.64-1796415266.70", "", "é.1", "1.1-1.2"] {
            for sequence in [0, 1, 9, 10, 99, 100, 12_345, Int.max, -1, -10] {
                #expect(eventID(callID: callID, sequence: sequence) == "evt_\(callID)_\(sequence)")
            }
        }
    }
}

@Suite("Bridge kinds")
struct BridgeKindTests {
    @Test("Comparing without lowercasing gives what lowercased() == gave, ASCII or not")
    func lowercasedCompare() {
        let names: [StaticString] = ["holding_bridge", "parking", "holding"]
        let texts = [
            "holding_bridge", "HOLDING_BRIDGE", "Holding_Bridge", "holding_bridgE ", "parking", "PARKING", "Parking",
            "parkin", "holding", "HoLdInG", "basic", "simple_bridge", "", "PAR\u{212A}ING", "PARKİNG", "párking",
            "holding@bridge", "HOLDING[BRIDGE",
        ]
        for text in texts {
            for name in names {
                #expect(lowercasedEquals(text, name) == (text.lowercased() == name.description), "\(text) \(name)")
            }
        }
    }
}
