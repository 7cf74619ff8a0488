import AMIProtocol
@testable import CallEvents
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

    @Test("Event names picked by length and letters give what a search of every name gives")
    func eventNamesAgainstSearch() {
        // The plain search the switch replaced: every handled name, compared byte by byte.
        func searched(_ bytes: [UInt8]) -> AMIEventKind? {
            for (name, kind) in AMIEventKind.allNames where name.utf8.count == bytes.count {
                if zip(name.utf8, bytes).allSatisfy({ $0 == $1 | 0x20 }) { return kind }
            }
            return nil
        }
        func named(_ bytes: [UInt8]) -> AMIEventKind? { bytes.withUnsafeBufferPointer { AMIEventKind.named($0) } }
        #expect(AMIEventKind.allNames.count == 32)
        #expect(Set(AMIEventKind.allNames.map(\.0)).count == 32)
        var inputs: [[UInt8]] = []
        for (name, _) in AMIEventKind.allNames {
            let lower = Array(name.utf8)
            inputs.append(lower)
            inputs.append(Array(name.uppercased().utf8))
            inputs.append(lower.enumerated().map { $0.offset % 2 == 0 ? $0.element & ~0x20 : $0.element })
            // Every position changed to every other letter and to the bytes `| 0x20` confuses.
            for position in lower.indices {
                for byte in Array(UInt8(ascii: "a")...UInt8(ascii: "z")) + [0x40, 0x60, 0x5B, 0x7B, 0x00, 0xE0] {
                    var changed = lower
                    changed[position] = byte
                    inputs.append(changed)
                }
            }
            inputs.append(lower + [UInt8(ascii: "s")])
            inputs.append(Array(lower.dropLast()))
            inputs.append(Array(lower.dropFirst()))
        }
        for length in 0...20 { inputs.append([UInt8](repeating: UInt8(ascii: "e"), count: length)) }
        var matched = 0
        for input in inputs {
            let expected = searched(input)
            #expect(named(input) == expected, "\(String(decoding: input, as: UTF8.self))")
            if expected != nil { matched += 1 }
        }
        #expect(matched >= 32 * 3)
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

@Suite("Fast paths of CallEvents")
struct CallEventsFastPathTests {
    /// The escaping JSONValue did byte by byte before runs were copied at once.
    private func referenceEncoding(_ string: String) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        let hex = Array("0123456789abcdef".utf8)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [92, 34]
            case UInt8(ascii: "\\"): out += [92, 92]
            case 0x0A: out += [92, UInt8(ascii: "n")]
            case 0x0D: out += [92, UInt8(ascii: "r")]
            case 0x09: out += [92, UInt8(ascii: "t")]
            case 0..<0x20, 0x7F: out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        return out + [UInt8(ascii: "\"")]
    }

    @Test("JSON strings: runs copied at once give the byte-by-byte escaping")
    func jsonStrings() {
        var cases = ["", "plain", "\"", "\\", "a\"b\\c", "\u{0}\u{1}\u{1F}\u{7F}", "tab\there\r\nnew",
                     "ünïcødé → ✓ 🎉", "end\"", "\"start", String(repeating: "x", count: 1000) + "\n"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let scalars = (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                Unicode.Scalar(UInt8.random(in: 0...0x7F, using: &generator))
            }
            cases.append(String(String.UnicodeScalarView(scalars)))
        }
        for text in cases {
            #expect(JSONValue.string(text).encoded() == referenceEncoding(text), "\(text.debugDescription)")
        }
        let object: JSONValue = ["b": "1", "a": ["z": 1, "y": "\n"], "c": .null]
        #expect(object.jsonString == #"{"a":{"y":"\n","z":1},"b":"1","c":null}"#)
    }

    @Test("JSON strings: the eight-bytes-at-a-time check never misses a byte that needs an escape")
    func jsonWordCheck() {
        func needsEscape(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F }
        for byte in UInt8.min...UInt8.max {
            for position in 0..<8 {
                for filler: UInt8 in [UInt8(ascii: "a"), 0x21, 0x5D, 0x80, 0xFF] where !needsEscape(filler) {
                    var bytes = [UInt8](repeating: filler, count: 8)
                    bytes[position] = byte
                    let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                    #expect(JSONValue.mayNeedEscape(word) == needsEscape(byte), "byte \(byte) at \(position)")
                }
            }
        }
        // Strings long enough for whole words, an escape at every offset from a word boundary.
        for offset in 0..<24 {
            for special in ["\"", "\\", "\n", "\u{1}", "\u{7F}", "é"] {
                let text = String(repeating: "x", count: offset) + special + String(repeating: "y", count: 19)
                #expect(JSONValue.string(text).encoded() == referenceEncoding(text), "\(text.debugDescription)")
            }
        }
    }

    @Test("The event body written directly equals the envelope encoded as a JSON object")
    func eventBody() {
        for name in EventName.allCases {
            let sample = EventCatalog.description(of: name).sample
            guard let data = sample["data"], let id = sample["id"]?.stringValue else { continue }
            let event = CallEvent(id: id, type: name, timestamp: EventInstant(microseconds: 1_796_415_266_399_431),
                                  tenant: "acme \"eu\"", sequence: 12, callID: "1.1", data: data)
            #expect(event.encodedJSON() == event.envelope.encoded(), "\(name)")
        }
    }

    @Test("Channel blocks read by the unprefixed loop and by the prefixed one give the first value of each key")
    func channelBlockLoops() {
        let names = ["Uniqueid", "Linkedid", "Channel", "ChannelStateDesc", "CallerIDNum", "CallerIDName",
                     "ConnectedLineNum", "ConnectedLineName", "AccountCode", "Context", "Exten"]
        // Keys of the block's lengths and first letters that are none of its names, and others.
        let decoys = ["Uniqueie", "Linkedia", "Channez", "ChannelStateDesx", "CallerIDNuq", "AccountCodf",
                      "Contexu", "Extem", "Event", "Privilege", "Priority", "Language", "Application", "E",
                      "ChannelState", "DestUniqueid", "Uniqueid2", "Exten ", "Contex"]
        var random = SystemRandomNumberGenerator()
        func randomCase(_ text: String) -> String {
            String(text.map { Bool.random(using: &random) ? Character($0.uppercased()) : Character($0.lowercased()) })
        }
        func reference(_ fields: [(String, String)], _ name: String) -> String? {
            guard let first = fields.first(where: { $0.0.lowercased() == name.lowercased() }), !first.1.isEmpty
            else { return nil }
            return first.1
        }
        func values(_ snapshot: ChannelSnapshot) -> [String?] {
            [snapshot.uniqueID, snapshot.linkedID, snapshot.channel, snapshot.stateDesc, snapshot.callerIDNum,
             snapshot.callerIDName, snapshot.connectedLineNum, snapshot.connectedLineName, snapshot.accountCode,
             snapshot.context, snapshot.exten]
        }
        for round in 0..<500 {
            var fields: [(String, String)] = []
            for _ in 0..<Int.random(in: 0...30, using: &random) {
                let pool = Bool.random(using: &random) ? names : decoys
                let key = randomCase(pool.randomElement(using: &random)!)
                let value = ["", "v\(round)", "x\(fields.count)", "Up", "s", "1.\(fields.count)"]
                    .randomElement(using: &random)!
                fields.append((key, value))
            }
            let plain = ChannelSnapshot(AMIMessage(fields))
            // The prefix in any case; keys under a near-miss prefix (`Desk…`, `Des…`) are none of the block's.
            var prefixedFields: [(String, String)] = []
            for field in fields {
                if Int.random(in: 0..<4, using: &random) == 0 {
                    prefixedFields.append((["Desk", "Des", "DestX"].randomElement(using: &random)! + field.0, "decoy"))
                }
                prefixedFields.append((randomCase("Dest") + field.0, field.1))
            }
            let prefixed = ChannelSnapshot(AMIMessage(prefixedFields), prefix: "Dest")
            let expected: [String?] = names.map { reference(fields, $0) }
            // `<unknown>` never occurs in these values, so `known` changes nothing here.
            #expect(values(plain) == expected, "\(fields)")
            #expect(values(prefixed) == expected, "\(fields)")
        }
    }

    @Test("sameBytes word by word agrees with a byte compare at every length and difference position")
    func sameBytesWordWise() {
        var random = SystemRandomNumberGenerator()
        for count in 0...40 {
            let base = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            var cases: [[UInt8]] = [base, base + [0], Array(base.dropLast())]
            for position in base.indices {
                for delta: UInt8 in [1, 0x20, 0x80] {
                    var changed = base
                    changed[position] = changed[position] &+ delta
                    cases.append(changed)
                }
            }
            for other in cases {
                // Both sides inside larger arrays, so a read past either end would be a wrong answer
                // for the differing padding bytes around them.
                let left = [0xAA] + base + [0xBB], right = [0xCC] + other + [0xDD]
                let same = left.withUnsafeBufferPointer { l in
                    right.withUnsafeBufferPointer { r in
                        sameBytes(UnsafeBufferPointer(rebasing: l[1..<(1 + base.count)]),
                                  UnsafeBufferPointer(rebasing: r[1..<(1 + other.count)]))
                    }
                }
                #expect(same == (base == other), "\(base) vs \(other)")
            }
        }
    }

    @Test("VisitedIDs answers as a Set does, below, at and past its eight inline ids")
    func visitedIDsAgainstASet() {
        var random = SystemRandomNumberGenerator()
        for poolSize in 1...30 {
            // Small (inline) and long (heap) strings, some equal in text but separate objects.
            let pool = (0..<poolSize).map { $0 % 2 == 0 ? "1.\($0)" : "r7-1796415266.\($0)-long-id" }
            var visited = VisitedIDs()
            var reference: Set<String> = []
            for _ in 0..<(poolSize * 4) {
                let id = String(decoding: Array(pool.randomElement(using: &random)!.utf8), as: UTF8.self)
                #expect(visited.insert(StateKey(id)) == reference.insert(id).inserted, "\(id) of \(poolSize)")
                let probe = pool.randomElement(using: &random)!
                #expect(visited.contains(StateKey(probe)) == reference.contains(probe))
            }
        }
    }

    @Test("BuiltLegs finds the first entry of a leg as an array search does, inline and past four")
    func builtLegsAgainstAnArray() {
        for count in 0...9 {
            // Ids repeat (0, 1, 2, 0, 1, 2, …) so "first" matters on both sides of the inline four.
            let memos = (0..<count).map { index -> LegObjectMemo in
                let facts = LegFacts(uniqueIDForTest: "1.\(index % 3)", name: "PJSIP/100\(index)-0000000\(index)")
                return LegObjectMemo(facts: facts, object: facts.object(), party: facts.party())
            }
            var built = BuiltLegs()
            for memo in memos { built.append(memo) }
            #expect(built.all.map(ObjectIdentifier.init) == memos.map(ObjectIdentifier.init))
            for id in ["1.0", "1.1", "1.2", "1.3"] {
                let expected = memos.first { $0.facts.uniqueID == id }
                #expect(built.first(withUniqueID: id).map(ObjectIdentifier.init) == expected.map(ObjectIdentifier.init),
                        "\(id) among \(count)")
            }
        }
    }

    @Test("AMI Timestamp: the canonical shape and the general parse agree")
    func timestamps() {
        let cases: [(String, Int64?)] = [
            ("1796415265.891059", 1_796_415_265_891_059),
            ("0000000000.000000", 0),
            ("9999999999.999999", 9_999_999_999_999_999),
            ("1796415265.89105x", nil),
            ("179641526x.891059", nil),
            ("1796415265,891059", nil),
            ("1796415265.8910591", 1_796_415_265_891_059),
            ("1796415265.8", 1_796_415_265_800_000),
            ("1796415265", 1_796_415_265_000_000),
            ("/796415265.891059", nil),
            (":796415265.891059", nil),
            ("1796415265..91059", nil),
        ]
        for (text, micros) in cases {
            #expect(EventInstant(amiTimestamp: text)?.microseconds == micros, "\(text)")
        }
    }

    @Test("AMI Timestamp: the eight-digits-at-a-time parse agrees with a digit loop on every byte at every position")
    func timestampsEveryByte() {
        // The general parse, digit by digit (the behaviour the word-wise canonical path must keep).
        func reference(_ bytes: [UInt8]) -> Int64? {
            var seconds: Int64 = 0, micros: Int64 = 0, fractionDigits = 0
            var sawDigit = false, inFraction = false
            for byte in bytes {
                if byte >= 0x30 && byte <= 0x39 {
                    let digit = Int64(byte - 0x30)
                    if inFraction {
                        if fractionDigits < 6 { micros = micros * 10 + digit; fractionDigits += 1 }
                    } else {
                        seconds = seconds * 10 + digit
                        guard seconds <= 253_402_300_799 else { return nil }
                        sawDigit = true
                    }
                } else if byte == UInt8(ascii: ".") {
                    guard !inFraction, sawDigit else { return nil }
                    inFraction = true
                } else {
                    return nil
                }
            }
            guard sawDigit else { return nil }
            while fractionDigits < 6 { micros *= 10; fractionDigits += 1 }
            return seconds * 1_000_000 + micros
        }
        func parsed(_ bytes: [UInt8]) -> Int64? {
            bytes.withUnsafeBufferPointer { EventInstant(amiTimestampUTF8: $0)?.microseconds }
        }
        var generator = SystemRandomNumberGenerator()
        var bases = ["1796415265.891059", "0000000000.000000", "9999999999.999999", "1234567890.123456",
                     "0987654321.654321"].map { Array($0.utf8) }
        for _ in 0..<200 {
            var text = (0..<17).map { _ in UInt8.random(in: 0x30...0x39, using: &generator) }
            text[10] = UInt8(ascii: ".")
            bases.append(text)
        }
        var canonical = 0
        for base in bases {
            #expect(parsed(base) == reference(base), "\(String(decoding: base, as: UTF8.self))")
            if parsed(base) != nil { canonical += 1 }
            for position in base.indices {
                for byte in UInt8.min...UInt8.max {
                    var changed = base
                    changed[position] = byte
                    let expected = reference(changed)
                    if parsed(changed) != expected {
                        Issue.record("\(changed) parsed as \(String(describing: parsed(changed))), expected \(String(describing: expected))")
                    }
                }
            }
        }
        #expect(canonical == bases.count)
    }
}
