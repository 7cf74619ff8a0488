import Foundation
import Testing

@testable import CallCorrelation

/// ``StateKey`` (the key of the state dictionaries) and ``TrackedDictionary`` over it: equal keys
/// hash equal at every seed, the dictionary behaves as a `[String: Value]`, and its encoded form
/// is still the plain `[String: Value]` that older snapshots and rows hold.
@Suite("State keys")
struct StateKeyTests {
    /// Ids of every length around the word size, as Asterisk sends them and as a replay rewrites them.
    static let ids: [String] = ["", "1", "1796", "1796415", "17964152", "179641526", "1796415266.64",
                                "r12-1796415266.64", "1796415266.64-1796415266.65", "Local/1001@ctx-0000;1", "caf\u{E9}"]

    @Test("Keys with the same bytes are equal and hash equal; other keys are not equal")
    func equalityAndHash() {
        for (i, a) in Self.ids.enumerated() {
            for (j, b) in Self.ids.enumerated() {
                // A copy made from bytes is a different string object with the same contents.
                let copy = String(decoding: Array(b.utf8), as: UTF8.self)
                #expect((StateKey(a) == StateKey(copy)) == (i == j))
                if i == j {
                    for seed in [0, 1, -7, Int.max] {
                        #expect(StateKey(a)._rawHashValue(seed: seed) == StateKey(copy)._rawHashValue(seed: seed))
                    }
                    #expect(StateKey(a).hashValue == StateKey(copy).hashValue)
                }
            }
        }
    }

    @Test("Equality decided from the strings' words agrees with byte equality, however the strings were made")
    func equalityFromWords() {
        func variants(_ text: String) -> [String] {
            let bytes = Array(text.utf8)
            return [
                text, String(decoding: bytes, as: UTF8.self), String(Substring(text)),
                String(text.utf8.prefix(bytes.count))!,
                // A large buffer for short text: may be stored out of line even when it would fit inline.
                String(unsafeUninitializedCapacity: 64) { buffer in
                    _ = buffer.initialize(from: bytes)
                    return bytes.count
                },
                (text + "x").dropLast().description,
            ]
        }
        let texts = Self.ids + ["123456789012345", "1234567890123456", "12345678901234", "r1-1796415266.64"]
        for a in texts {
            for b in texts {
                for left in variants(a) {
                    for right in variants(b) {
                        #expect((StateKey(left) == StateKey(right)) == (a.utf8.elementsEqual(b.utf8)), "\(a) \(b)")
                    }
                }
            }
        }
        // The flag is the small-string bit of this platform's `String` layout.
        let small = unsafeBitCast("1796415266.64", to: (UInt64, UInt64).self)
        let large = unsafeBitCast(String(decoding: Array("r12-1796415266.64-1796415266.65".utf8), as: UTF8.self),
                                  to: (UInt64, UInt64).self)
        #expect(small.1 & StateKey.smallStringFlag != 0)
        #expect(large.1 & StateKey.smallStringFlag == 0)
    }

    @Test("Different ids of the same length get different digests")
    func digestsSpread() {
        let ids = (0..<2000).map { "r\($0 % 40)-1796415266.\($0)" }
        let digests = Set(ids.map { StateKey.digest($0, seed: 0) })
        #expect(digests.count == ids.count)
        // The low bits (the bucket) spread too.
        let buckets = Set(digests.map { $0 & 4095 })
        #expect(buckets.count > 1000)
    }

    @Test("A tracked dictionary reads, writes, iterates and encodes like [String: Value]")
    func trackedDictionary() throws {
        var tracked = TrackedDictionary<Int>()
        var plain: [String: Int] = [:]
        for (index, id) in Self.ids.enumerated() {
            tracked[id] = index
            plain[id] = index
        }
        tracked["1"] = nil
        plain["1"] = nil
        tracked["1796", default: 0] += 10
        plain["1796", default: 0] += 10
        #expect(tracked.count == plain.count)
        for (key, value) in plain { #expect(tracked[key] == value) }
        #expect(Dictionary(uniqueKeysWithValues: tracked.map { ($0.key, $0.value) }) == plain)
        #expect(tracked.keys.sorted() == plain.keys.sorted())
        #expect(tracked.mapValues { $0 * 2 } == plain.mapValues { $0 * 2 })
        tracked.isTracking = true
        tracked.removeAll { $0.value < 3 }
        #expect(tracked.count == plain.filter { $0.value >= 3 }.count)
        // Expired entries are recorded as changed (incremental persistence deletes their rows).
        let doomed = Set(plain.filter { $0.value < 3 }.keys)
        #expect(!doomed.isEmpty)
        #expect(Set(tracked.changedKeys) == doomed)
        for key in doomed { #expect(tracked[key] == nil) }
        tracked.isTracking = false
        tracked.clearChanges()

        // The encoded form is the plain dictionary's, both ways.
        let encoded = try JSONEncoder().encode(tracked)
        #expect(try JSONDecoder().decode([String: Int].self, from: encoded) == tracked.mapValues { $0 })
        let decoded = try JSONDecoder().decode(TrackedDictionary<Int>.self, from: JSONEncoder().encode(plain))
        #expect(decoded.mapValues { $0 } == plain)
    }
}
