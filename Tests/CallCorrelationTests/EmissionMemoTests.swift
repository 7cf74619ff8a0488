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
    /// Event bodies of `capture`, encoded as each event is produced (the events themselves are not
    /// kept, so memo entries are updated in place), with the memos kept or dropped before each message.
    static func bodies(of capture: String, dropMemos: Bool) throws -> [[UInt8]] {
        var bodies: [[UInt8]] = []
        try replay(capture) { correlator, message, instant in
            if dropMemos { correlator.dropEmissionMemos() }
            for event in correlator.process(message, at: instant).events { bodies.append(event.encodedJSON()) }
        }
        return bodies
    }

    static func replay(_ capture: String, _ body: (inout CallCorrelator, AMIMessage, EventInstant) throws -> Void) throws {
        let data = try #require(FileManager.default.contents(atPath: Fixtures.path(capture)))
        var decoder = AMIFrameDecoder()
        decoder.feed([UInt8](data))
        var correlator = CallCorrelator(configuration: .sample)
        var last = EventInstant(microseconds: 0)
        for frame in decoder.finish() {
            guard case .message(let message) = frame else { continue }
            last = CorrelationSession.instant(of: message, receivedAt: nil, after: last)
            try body(&correlator, message, last)
        }
    }

    static let captures = [
        "fixtures/ami/17-soak-300-mixed.ami", "fixtures/ami/12-blind-transfer.ami",
        "fixtures/ami/10-queue-ringall-two-agents.ami", "fixtures/ami-pjsip/08-inbound-queue-agent-answers.ami",
    ]

    @Test("Events built with the memos equal events built from scratch", arguments: captures)
    func memosChangeNothing(capture: String) throws {
        let memoised = try Self.bodies(of: capture, dropMemos: false)
        let scratch = try Self.bodies(of: capture, dropMemos: true)
        #expect(!memoised.isEmpty)
        #expect(memoised.count == scratch.count)
        if let first = zip(memoised, scratch).first(where: { $0.0 != $0.1 }) {
            Issue.record("differs: \(String(decoding: first.0, as: UTF8.self)) vs \(String(decoding: first.1, as: UTF8.self))")
        }
    }

    @Test("Events kept by the caller, and a copy of the correlator, never change when entries are updated")
    func updatesInPlaceAreInvisible() throws {
        let capture = "fixtures/ami/17-soak-300-mixed.ami"
        let expected = try Self.bodies(of: capture, dropMemos: true)
        var kept: [CallEvent] = []
        var encodedThen: [[UInt8]] = []
        var copies: [CallCorrelator] = []
        var copyBodies: [[UInt8]] = []
        var messages = 0
        try Self.replay(capture) { correlator, message, instant in
            messages += 1
            // Every 500 messages a copy of the correlator goes on with the next 200 messages on its own.
            if messages % 500 == 0 { copies = [correlator] }
            for index in copies.indices {
                for event in copies[index].process(message, at: instant).events { copyBodies.append(event.encodedJSON()) }
            }
            if messages % 500 == 199 { copies = [] }
            for event in correlator.process(message, at: instant).events {
                kept.append(event)
                encodedThen.append(event.encodedJSON())
            }
        }
        #expect(encodedThen == expected)
        #expect(kept.map { $0.encodedJSON() } == expected)
        // The copies produced the same events as the original for the same messages.
        let expectedSet = Set(expected)
        #expect(!copyBodies.isEmpty)
        #expect(copyBodies.allSatisfy { expectedSet.contains($0) })
    }

    @Test("Leg object cache: a replacement at the found slot, generations, removal")
    func legObjectCache() throws {
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
        let slot = try #require(found?.slot)
        // Held elsewhere: the update makes a new entry and leaves the held one as it was.
        let held = try #require(found?.memo)
        var changed = held.facts
        changed.number = "2001"
        let updated = cache.update(at: slot, to: changed)
        #expect(updated !== held)
        #expect(held.facts.number == "1001" && held.object["number"] == "1001")
        #expect(updated.object == changed.object() && updated.party == changed.party())
        #expect(cache.entry("1.1") === updated)
        // Held by the cache alone: updated in place, with the same result as a new object; a copy
        // of the cache made before keeps its entry as it was.
        let snapshot = cache
        var again = changed
        again.number = "3001"
        again.displayName = "Bob"
        let inPlace = cache.update(at: try #require(cache.entry(StateKey("1.1"))?.slot), to: again)
        #expect(inPlace.object == again.object() && inPlace.party == again.party())
        var snapshotCopy = snapshot
        #expect(snapshotCopy.entry("1.1")?.facts.number == "2001")
        #expect(snapshotCopy.entry("1.1")?.object["number"] == "2001")
        #expect(cache.entry("1.1")?.facts.number == "3001")
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

@Suite("Leg event templates")
struct LegEventTemplateTests {
    @Test("Event fields stored by slot give the data that storing them by key gave, missing ones absent")
    func eventFields() {
        let templates = LegEventTemplates.shared
        let samples: [EventFields] = [
            [:], [.reconstructed: true], [.change: ["reason": "x"]], [.peer: ["id": "1"]],
            [.disposition: "answered", .hangupCause: 16, .hangupCauseText: .null, .ringSeconds: 1.5, .talkSeconds: 0,
             .reconstructed: false, .hangupBy: .null, .forwardedTo: "1002"],
            [.disposition: "answered", .ringSeconds: 2],
            [.change: "a", .change: "b", .peer: .null],
        ]
        for type in [EventName.callStarted, .callConnected, .callUpdated, .callFinished] {
            let template = templates.template(for: type)
            for fields in samples {
                var bySlot = template.blank
                fields.store(into: &bySlot, template: template)
                // What the data held before: the leg event fields, then each pair by key.
                var byKey = template.blank
                for field in CallDataField.allCases where !CallDataField.legEventFields.contains(field) {
                    byKey.removeValue(forKey: field.key)
                }
                for (field, value) in fields.pairs { byKey[field.key] = value }
                #expect(bySlot == byKey, "\(type) \(fields.pairs.map(\.0))")
            }
        }
    }
}

@Suite("Key compares")
struct KeyCompareTests {
    @Test("Word-at-a-time compare of letter-only keys agrees with the byte-by-byte compare")
    func letterKeys() {
        let names: [StaticString] = ["uniqueid", "application", "variable", "timestamp", "event", "exten"]
        var keys = ["Uniqueid", "UNIQUEID", "uniqueid", "Uniqueid ", "Uniqueie", "Uniqu@id", "Linkedid", "Application",
                    "APPLICATIOn", "Applicatio", "Variable", "VARIABLE", "Timestamp", "TimeStamp", "Timestamp1", "Event",
                    "Exten", "EXTEN", "", "u", "Uniq`eid", "\u{0}niqueid"]
        // Every single-byte change of each name, in both cases.
        for name in names {
            let bytes = Array(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            for index in bytes.indices {
                for byte in UInt8(0)...UInt8(255) where byte % 7 == 0 || byte == bytes[index] ^ 0x20 || byte == bytes[index] ^ 0x40 {
                    var changed = bytes
                    changed[index] = byte
                    keys.append(String(decoding: changed, as: UTF8.self))
                }
            }
        }
        for key in keys {
            let bytes = Array(key.utf8)
            bytes.withUnsafeBufferPointer { buffer in
                for name in names {
                    #expect(equalsIgnoringCase(buffer, name) == equalsIgnoringASCIICase(buffer, name), "\(key) \(name)")
                }
            }
        }
    }
}
