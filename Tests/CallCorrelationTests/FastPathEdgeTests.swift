import AMIProtocol
@testable import CallCorrelation
@testable import CallEvents
import Foundation
import Testing

/// Runs `body` over a copy of `bytes` in an allocation of exactly `bytes.count` bytes (none for an
/// empty input): a word load that reaches past either end reads outside the allocation, which
/// AddressSanitizer reports (`swift test --sanitize=address`) instead of letting a neighbouring byte
/// decide the answer.
func withExactAllocation<R>(_ bytes: [UInt8], _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)
    defer { buffer.deallocate() }
    _ = buffer.initialize(from: bytes)
    return try body(UnsafeBufferPointer(buffer))
}

/// The word-at-a-time helpers of the correlator and of CallEvents at the edges their own tests do not
/// reach: inputs that end exactly where their allocation ends, every byte value (0x00–0xFF, not a
/// sample) at every position, literal lengths 1–3 (the byte loop no production caller reaches),
/// keys after a prefix, ids with NUL bytes next to a small string's zero padding, and strings made
/// through Foundation.
@Suite("Fast paths at allocation edges")
struct FastPathEdgeTests {
    // MARK: - sameBytes

    @Test("sameBytes on exactly sized buffers: every length 0–40, a difference at every position and in every bit")
    func sameBytesExactAllocations() {
        var random = SystemRandomNumberGenerator()
        for count in 0...40 {
            let base = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            var others: [[UInt8]] = [base, base + [0], Array(base.dropLast()), Array(base.dropFirst())]
            for position in base.indices {
                for bit in 0..<8 {
                    var changed = base
                    changed[position] ^= 1 << UInt8(bit)
                    others.append(changed)
                }
            }
            for other in others {
                let same = withExactAllocation(base) { left in
                    withExactAllocation(other) { right in sameBytes(left, right) }
                }
                #expect(same == (base == other), "\(base) vs \(other)")
            }
        }
    }

    @Test("sameBytes against the literals it is used with, on exactly sized buffers of every nearby length")
    func sameBytesLiterals() {
        for literal in ["<unknown>", "VM_MESSAGEFILE"] {
            let bytes = Array(literal.utf8)
            var inputs: [[UInt8]] = [bytes, bytes.map { $0 | 0x20 }, Array(bytes.dropLast()), bytes + [0]]
            for position in bytes.indices {
                for byte in UInt8.min...UInt8.max where byte != bytes[position] {
                    var changed = bytes
                    changed[position] = byte
                    inputs.append(changed)
                }
            }
            for input in inputs {
                let result = withExactAllocation(input) { buffer in
                    literal == "<unknown>" ? sameBytes(buffer, "<unknown>") : sameBytes(buffer, "VM_MESSAGEFILE")
                }
                #expect(result == (input == bytes), "\(input)")
            }
        }
    }

    // MARK: - Letter-only compares

    /// One all-letter literal of every length 1–18 (the event names and channel-block keys among
    /// them), for every path of `equalsIgnoringCase(_:from:_:)`: the byte loop (1–3), two 32-bit
    /// loads (4–7), 64-bit words with an overlapping last one (8–18).
    static let letterLiterals: [StaticString] = [
        "a", "id", "cel", "hold", "exten", "varset", "channel", "uniqueid", "timestamp", "newchannel",
        "application", "calleridname", "hanguprequest", "newaccountcode", "queuecallerjoin", "channelstatedesc",
        "connectedlinename", "queuecallerabandon",
    ]

    /// `equalsIgnoringASCIICase` spelled out: ASCII letters lowercased, every other byte as it is.
    static func referenceEquals(_ key: ArraySlice<UInt8>, _ literal: StaticString) -> Bool {
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        return key.count == expected.count
            && zip(key, expected).allSatisfy { ($0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0) == $1 }
    }

    @Test("Letter-only compare after a prefix of 0–4 bytes: every byte value at every position, exact allocations")
    func letterCompareEveryByte() {
        #expect(Self.letterLiterals.map(\.utf8CodeUnitCount) == Array(1...18))
        let prefixes: [[UInt8]] = [[], Array("D".utf8), Array("Dest".utf8), [0xC3, 0xA9], [0x00, 0x20, 0x3A]]
        for literal in Self.letterLiterals {
            let name = Array(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
            var keys: [[UInt8]] = [name, name.map { $0 & ~0x20 }, name + [0x61], Array(name.dropLast()), []]
            for position in name.indices {
                for byte in UInt8.min...UInt8.max {
                    var changed = name
                    changed[position] = byte
                    keys.append(changed)
                }
            }
            for prefix in prefixes {
                for key in keys {
                    let whole = prefix + key
                    let result = withExactAllocation(whole) { equalsIgnoringCase($0, from: prefix.count, literal) }
                    if result != Self.referenceEquals(whole[prefix.count...], literal) {
                        Issue.record("\(literal) vs \(key) after \(prefix): \(result)")
                    }
                }
            }
        }
    }

    @Test("Event names by length and letters: every byte value at every position, exact allocations")
    func eventNamesEveryByte() {
        func searched(_ bytes: [UInt8]) -> AMIEventKind? {
            for (name, kind) in AMIEventKind.allNames
            where name.utf8.count == bytes.count
                && zip(name.utf8, bytes).allSatisfy({ ($1 >= 65 && $1 <= 90 ? $1 | 0x20 : $1) == $0 }) {
                return kind
            }
            return nil
        }
        var inputs: [[UInt8]] = (0...20).map { [UInt8](repeating: 0x00, count: $0) }
        for (name, _) in AMIEventKind.allNames {
            let bytes = Array(name.utf8)
            for position in bytes.indices {
                for byte in UInt8.min...UInt8.max {
                    var changed = bytes
                    changed[position] = byte
                    inputs.append(changed)
                }
            }
        }
        var matched = 0
        for input in inputs {
            let expected = searched(input)
            let named = withExactAllocation(input) { AMIEventKind.named($0) }
            if named != expected { Issue.record("\(input): \(String(describing: named)), expected \(String(describing: expected))") }
            if expected != nil { matched += 1 }
        }
        // Each name unchanged, and with each letter in the other case.
        #expect(matched == AMIEventKind.allNames.reduce(0) { $0 + 2 * $1.0.utf8.count })
    }

    // MARK: - Keys and values read from decoded messages

    /// Decodes `text` (one message, perhaps with malformed lines skipped): its last value ends the
    /// message's storage.
    static func decoded(_ text: String) -> AMIMessage? {
        var decoder = AMIFrameDecoder()
        decoder.feed(Array(text.utf8))
        for frame in decoder.decodeAvailable() {
            if case .message(let message) = frame { return message }
        }
        return nil
    }

    @Test("Event, Timestamp and Variable found in any key case, first occurrence, last field of the message")
    func keysOfDecodedMessages() throws {
        // The event kind, the stamped instant and the VarSet shortcut against `message[key]`, which
        // compares keys by lowercasing both sides.
        let eventKeys = ["Event", "EVENT", "event", "eVeNt", "Even", "Events", "Évent", "Eve\u{0}t"]
        let timestampKeys = ["Timestamp", "TIMESTAMP", "timeStamp", "Timestam", "Timestamps", "Time\u{1}tamp",
                             "Timestamp\u{E9}", "T\u{130}mestamp"]
        let variableKeys = ["Variable", "VARIABLE", "variable", "Variabl", "Variables", "Vari@ble", "Variab\u{1}e"]
        let variableValues = ["VM_MESSAGEFILE", "vm_messagefile", "VM_MESSAGEFIL", "VM_MESSAGEFILEX", "VM_MESSAGEFIL\u{C9}",
                              "VM_MESSAGEFILE\u{0}", ""]
        for (index, eventKey) in eventKeys.enumerated() {
            let timestampKey = timestampKeys[index % timestampKeys.count]
            let variableKey = variableKeys[index % variableKeys.count]
            for value in variableValues {
                for stamp in ["1796415265.891059", "1796415265.89105", "1796415265.8910590", "1796415265x891059"] {
                    // Each key of interest as the last field in turn, and repeated with another value.
                    let lasts = [
                        "\(eventKey): HANGUP\r\n\(timestampKey): \(stamp)\r\n\(variableKey): \(value)\r\n",
                        "\(variableKey): \(value)\r\n\(eventKey): hangup\r\n\(timestampKey): \(stamp)\r\n",
                        "\(timestampKey): \(stamp)\r\n\(variableKey): \(value)\r\n\(eventKey): HangUp\r\n",
                    ]
                    // Alone (the last line of `body` is the message's last field) or before other
                    // fields with the same keys (the first occurrence wins).
                    for body in lasts {
                        for trailer in ["", "Event: Newexten\r\nTimestamp: 1.5\r\nVariable: X\r\n"] {
                            let text = "Privilege: call,all\r\n" + body + trailer + "\r\n"
                            let message = try #require(Self.decoded(text))
                            let expectedKind: AMIEventKind? = message["Event"].flatMap { event in
                                AMIEventKind.allNames.first { $0.0 == event.lowercased() }?.1
                            }
                            #expect(AMIEventKind(of: message) == expectedKind, "\(text.debugDescription)")
                            #expect(CorrelationSession.stampedInstant(of: message)
                                    == message["Timestamp"].flatMap { EventInstant(amiTimestamp: $0) }, "\(text.debugDescription)")
                            let variable = message["Variable"]
                            #expect(CallCorrelator.relevantVariable(of: message, anyName: false)
                                    == (variable == "VM_MESSAGEFILE" ? "VM_MESSAGEFILE" : nil), "\(text.debugDescription)")
                            #expect(CallCorrelator.relevantVariable(of: message, anyName: true) == variable)
                        }
                    }
                }
            }
        }
    }

    // MARK: - Channel block stores

    @Test("ChannelSnapshot.store skips only a value the target already holds: what `if let v = property { target = v }` did")
    func storeAgainstTheProperty() throws {
        // Values on the wire, as bytes: empty, Asterisk's placeholder and near misses, C escapes (the
        // stored text is unescaped), composed and decomposed accents, invalid UTF-8, NUL.
        let wireValues: [[UInt8]] = [
            [], Array("<unknown>".utf8), Array("<unknown".utf8), Array("<Unknown>".utf8), Array("<unknown>x".utf8),
            Array("O\\'Brien".utf8), Array("O'Brien".utf8), Array("\\".utf8), Array("a\\".utf8), Array("1001".utf8),
            Array("caf\u{E9}".utf8), Array("cafe\u{301}".utf8), [0xFF, 0x41], [0x41, 0xC3], [0x41, 0x00, 0x42],
            Array("PJSIP/1001-0000002a;1".utf8), Array("Ringing".utf8),
        ]
        var targets: [String?] = [nil, "", "<unknown>", "other", "O'Brien", "O\\'Brien"]
        targets += wireValues.map { String(decoding: $0, as: UTF8.self) }
        // Each field with its form and the property `refreshChannel` stored before the shortcut.
        let cases: [(ChannelSnapshot.Field, ChannelSnapshot.ValueForm, String, (ChannelSnapshot) -> String?)] = [
            (.stateDesc, .nonEmpty, "ChannelStateDesc", { $0.stateDesc }),
            (.accountCode, .nonEmpty, "AccountCode", { $0.accountCode }),
            (.callerIDNum, .known, "CallerIDNum", { $0.callerIDNum }),
            (.connectedLineNum, .known, "ConnectedLineNum", { $0.connectedLineNum }),
            (.callerIDName, .knownUnescaped, "CallerIDName", { $0.callerIDName }),
        ]
        for (field, form, key, property) in cases {
            for wire in wireValues {
                var bytes = Array("Event: Newstate\r\nUniqueid: 1.1\r\n".utf8)
                bytes += Array(key.utf8) + [0x3A, 0x20] + wire + [0x0D, 0x0A, 0x0D, 0x0A]
                var decoder = AMIFrameDecoder()
                decoder.feed(bytes)
                guard case .message(let message)? = decoder.next() else {
                    Issue.record("expected a message for \(wire)")
                    continue
                }
                let snapshot = ChannelSnapshot(message)
                for target in targets {
                    var stored = target
                    snapshot.store(field, as: form, into: &stored)
                    var expected = target
                    if let value = property(snapshot) { expected = value }
                    // Byte equality: `String ==` would let a composed accent stand for a decomposed one.
                    #expect(stored.map { Array($0.utf8) } == expected.map { Array($0.utf8) },
                            "\(key) \(wire) into \(String(describing: target))")
                }
                // `has` answers whether the (non-empty) value is exactly the bytes of a text.
                for text in targets.compactMap({ $0 }) {
                    let expected = !wire.isEmpty && Array(text.utf8) == wire
                    let linked = try #require(Self.decoded(
                        "Event: Newstate\r\nLinkedid: " + String(decoding: wire, as: UTF8.self) + "\r\n\r\n"))
                    if String(decoding: wire, as: UTF8.self).utf8.elementsEqual(wire) {
                        #expect(ChannelSnapshot(linked).has(.linkedID, equalTo: text) == expected, "\(wire) vs \(text)")
                    }
                }
            }
        }
    }

    // MARK: - AMI Timestamp

    @Test("AMI Timestamp from exactly sized buffers of every length 0–20 agrees with the digit loop")
    func timestampExactAllocations() {
        func reference(_ bytes: [UInt8]) -> Int64? {
            guard let dot = bytes.firstIndex(of: UInt8(ascii: ".")) ?? Optional(bytes.count) else { return nil }
            let whole = bytes[..<dot], fraction = bytes[min(dot + 1, bytes.count)...]
            guard !whole.isEmpty, (whole + fraction).allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            var seconds: Int64 = 0
            for byte in whole {
                seconds = seconds * 10 + Int64(byte - 0x30)
                if seconds > EventInstant.maxAMISeconds { return nil }
            }
            var micros: Int64 = 0
            for position in 0..<6 {
                micros = micros * 10 + (position < fraction.count ? Int64(fraction[fraction.startIndex + position] - 0x30) : 0)
            }
            return seconds * 1_000_000 + micros
        }
        var random = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = Array("0123456789".utf8) + Array(".....".utf8) + [0x2F, 0x3A, 0x00, 0xB0, 0xFF, 0x20]
        for length in 0...20 {
            for round in 0..<400 {
                var bytes = (0..<length).map { _ in UInt8.random(in: 0x30...0x39, using: &random) }
                if round % 2 == 0, length > 0 {
                    // A dot (usually at 10, the canonical place) and sometimes any byte anywhere.
                    bytes[length > 10 && round % 4 == 0 ? 10 : Int.random(in: 0..<length, using: &random)] = UInt8(ascii: ".")
                }
                if round % 3 == 0, length > 0 {
                    bytes[Int.random(in: 0..<length, using: &random)] = alphabet.randomElement(using: &random)!
                }
                let parsed = withExactAllocation(bytes) { EventInstant(amiTimestampUTF8: $0)?.microseconds }
                #expect(parsed == reference(bytes), "\(String(decoding: bytes, as: UTF8.self).debugDescription)")
            }
        }
    }

    // MARK: - StateKey

    /// The same text made in different ways: decoded bytes, large native storage for short text,
    /// Foundation (`NSString`, `Data`), a slice of a longer string, interpolation, and what is left
    /// of a longer non-ASCII string (a small string's ASCII flag, part of its words, must be
    /// recomputed then), or of a long heap string shrunk to a few bytes.
    static func variants(_ bytes: [UInt8]) -> [String] {
        let text = String(decoding: bytes, as: UTF8.self)
        var trimmedEnd = text
        trimmedEnd.unicodeScalars.append("\u{E9}")
        trimmedEnd.unicodeScalars.removeLast()
        var trimmedStart = "\u{E9}" + text
        trimmedStart.unicodeScalars.removeFirst()
        var shrunk = text + String(repeating: "\u{20AC}", count: 12)
        shrunk.unicodeScalars.removeLast(12)
        return [
            trimmedEnd, trimmedStart, shrunk,
            text,
            String(unsafeUninitializedCapacity: max(64, bytes.count)) { _ = $0.initialize(from: bytes); return bytes.count },
            NSString(string: text) as String,
            String(data: Data(bytes), encoding: .utf8) ?? text,
            String(("x" + text + "y").dropFirst().dropLast()),
            "\(text)",
        ]
    }

    @Test("StateKey equality and hashing agree with byte equality for ids with NUL bytes, 15/16-byte edges, non-ASCII")
    func stateKeysWithNULAndPadding() {
        // Small strings hold their bytes zero-padded: `a` and `a\0` differ only in the count.
        let texts: [[UInt8]] = [
            [], [0], [0, 0], Array("a".utf8), Array("a".utf8) + [0], [0] + Array("a".utf8),
            Array("12345678901234".utf8), Array("12345678901234".utf8) + [0], Array("123456789012345".utf8),
            Array("123456789012345".utf8) + [0], Array("1234567".utf8) + [0], Array("12345678".utf8),
            Array("caf\u{E9}".utf8), Array("cafe\u{301}".utf8), Array("1796415266.64".utf8),
            Array("1796415266.6\u{E9}".utf8), Array("r12-1796415266.64".utf8), Array("r12-1796415266.6\u{0}".utf8),
        ]
        for a in texts {
            for b in texts {
                for left in Self.variants(a) {
                    for right in Self.variants(b) {
                        let equal = StateKey(left) == StateKey(right)
                        #expect(equal == (a == b), "\(a) vs \(b)")
                        if a == b {
                            for seed in [0, 1, -1, 0x5EED] {
                                #expect(StateKey(left)._rawHashValue(seed: seed) == StateKey(right)._rawHashValue(seed: seed))
                            }
                            #expect(StateKey(left).hashValue == StateKey(right).hashValue)
                        }
                    }
                }
            }
        }
    }

    @Test("StateKey digest of an exactly sized buffer equals the digest of the String, every length 0–40")
    func stateKeyDigestExactAllocations() {
        var random = SystemRandomNumberGenerator()
        for count in 0...40 {
            for _ in 0..<20 {
                let bytes = (0..<count).map { _ in UInt8.random(in: 0...0x7F, using: &random) }
                let string = String(decoding: bytes, as: UTF8.self)
                for seed: UInt64 in [0, 1, 0xFFFF_FFFF_FFFF_FFFF] {
                    #expect(withExactAllocation(bytes) { StateKey.digest($0, seed: seed) } == StateKey.digest(string, seed: seed))
                }
            }
        }
    }

    @Test("A dictionary keyed by StateKey holds what one keyed by the bytes holds, for ids made every way")
    func stateKeyDictionaryAgainstBytes() {
        var random = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x00, 0x31, 0x2E, 0x61, 0x41, 0xC3, 0xA9, 0x7F]
        var byKey: [StateKey: Int] = [:]
        var byBytes: [[UInt8]: Int] = [:]
        for step in 0..<3000 {
            // Short ids (valid UTF-8 after decoding), lengths around 7/8 and 15/16.
            let length = [0, 1, 7, 8, 9, 14, 15, 16, 17][Int.random(in: 0..<9, using: &random)]
            var bytes = (0..<length).map { _ in alphabet.randomElement(using: &random)! }
            bytes = Array(String(decoding: bytes, as: UTF8.self).utf8)
            let key = Self.variants(bytes).randomElement(using: &random)!
            if step % 3 == 0 {
                #expect(byKey.removeValue(forKey: StateKey(key)) == byBytes.removeValue(forKey: bytes))
            } else {
                #expect(byKey.updateValue(step, forKey: StateKey(key)) == byBytes.updateValue(step, forKey: bytes))
            }
        }
        #expect(byKey.count == byBytes.count)
        for (bytes, value) in byBytes {
            for variant in Self.variants(bytes) { #expect(byKey[StateKey(variant)] == value) }
        }
    }
}
