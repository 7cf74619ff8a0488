import AMIProtocol
import CallEvents
@testable import CallCorrelation
import Testing

/// The hot-path shortcuts give exactly what the plain code gave (output bytes are golden-tested;
/// these pin the edges the captures do not reach). No timing here.
@Suite("Fast paths")
struct FastPathTests {
    @Test("ISO 8601 written in place matches the calendar, including edges and the general path")
    func iso8601() {
        let cases: [(Int64, String)] = [
            (0, "1970-01-01T00:00:00.000Z"),
            (1, "1970-01-01T00:00:00.000Z"),
            (1_796_415_266_399_431, "2026-12-04T20:14:26.399Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (-1001, "1969-12-31T23:59:59.998Z"),
            (951_782_400_123_456, "2000-02-29T00:00:00.123Z"),
            (253_402_300_799_999_999, "9999-12-31T23:59:59.999Z"),
            (-62_135_596_800_000_000, "0001-01-01T00:00:00.000Z"),
            // Years the 24-byte layout cannot hold take the general (padded pieces) path.
            (253_402_300_800_000_000, "10000-01-01T00:00:00.000Z"),
        ]
        for (micros, text) in cases {
            #expect(EventInstant(microseconds: micros).iso8601 == text)
        }
    }

    @Test("An object made from a template equals one built key by key")
    func template() {
        let facts = LegFacts(uniqueIDForTest: "1.1", name: "PJSIP/1001-0000002a")
        var byKey: [String: JSONValue] = [:]
        byKey["id"] = "1.1"
        byKey["role"] = "caller"
        byKey["channel"] = "PJSIP/1001-0000002a"
        byKey["device"] = "PJSIP/1001"
        byKey["number"] = "1001"
        byKey["name"] = nil
        byKey["name"] = .null
        byKey["state"] = "ringing"
        byKey["external"] = false
        byKey["account_code"] = .null
        byKey["started_at"] = "1970-01-01T00:00:01.000Z"
        byKey["answered_at"] = .null
        byKey["ended_at"] = .null
        #expect(facts.object() == byKey)
        var later = facts
        later.legState = .up
        later.answeredAt = EventInstant(microseconds: 2_000_000)
        #expect(later.object(updating: facts.object(), builtFrom: facts) == later.object())
    }

    @Test("Event names and channel-block keys match in any ASCII case, and only whole names")
    func names() {
        let spellings = ["Hangup", "HANGUP", "hangup", "hAnGuP"]
        for name in spellings {
            #expect(AMIEventKind(of: AMIMessage([("Event", name)])) == .hangup)
            #expect(AMIEventKind(of: AMIMessage([("EVENT", name)])) == .hangup)
        }
        #expect(AMIEventKind(of: AMIMessage([("Event", "Hangu")])) == nil)
        #expect(AMIEventKind(of: AMIMessage([("Event", "HangupX")])) == nil)
        #expect(AMIEventKind(of: AMIMessage([("Event", "CEL")])) == nil)
        #expect(AMIEventKind(of: AMIMessage([("Response", "Success")])) == nil)
        let message = AMIMessage([("UNIQUEID", "1.1"), ("uniqueid", "2.2"), ("DestUniqueid", "3.3"),
                                  ("channelSTATEdesc", "Up"), ("CallerIDNum", "<unknown>")])
        #expect(ChannelSnapshot(message).uniqueID == "1.1")
        #expect(ChannelSnapshot(message, prefix: "Dest").uniqueID == "3.3")
        #expect(ChannelSnapshot(message).stateDesc == "Up")
        #expect(ChannelSnapshot(message).callerIDNum == nil)
    }
}

extension LegFacts {
    init(uniqueIDForTest id: String, name: String) {
        var record = ChannelRecord(
            uniqueID: id, name: name, linkedID: id, callID: id, isLocal: false, order: 0,
            createdAt: EventInstant(microseconds: 1_000_000), lastActivity: EventInstant(microseconds: 1_000_000))
        record.role = .caller
        record.number = "1001"
        self.init(reading: record)
    }
}
