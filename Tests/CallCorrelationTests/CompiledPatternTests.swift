import Testing

@testable import CallCorrelation

/// ``CompiledPattern/matchesWhole(_:)`` remembers its results: the answers stay those of the
/// regular expression, for repeated texts and after the memo fills up and starts over.
@Suite("Compiled patterns")
struct CompiledPatternTests {
    @Test("Whole matches are the same first time, remembered, and after the memo starts over")
    func rememberedWholeMatches() {
        let pattern = CompiledPattern("^[0-9]{2,6}$")
        let texts = ["1001", "+15551234567", "s", "", "12", "1234567", "anonymous", "99"]
        let expected = [true, false, false, false, true, false, false, true]
        for _ in 0..<3 { #expect(texts.map(pattern.matchesWhole) == expected) }
        // Fill the memo past its limit, then ask again.
        for number in 0..<(CompiledPattern.memoLimit + 10) { _ = pattern.matchesWhole(String(number)) }
        #expect(texts.map(pattern.matchesWhole) == expected)
        #expect(pattern.matchesWhole(String(123_456)) && !pattern.matchesWhole(String(1_234_567)))
        #expect(CompiledPattern("(").matchesWhole("(") == false)
    }
}
