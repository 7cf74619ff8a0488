import Synchronization

/// A configured regular expression compiled once.
///
/// Why a class marked `@unchecked Sendable`: `Regex` holds a compiled program that is immutable after
/// creation; sharing it between copies of the (value-type) engine is safe and avoids recompiling on
/// every copy.
final class CompiledPattern: @unchecked Sendable {
    let source: String
    private let regex: Regex<AnyRegexOutput>?
    /// ``matchesWhole(_:)`` results by text (see there), emptied when it reaches `memoLimit`.
    private let wholeMatches = Mutex<[StateKey: Bool]>([:])
    static let memoLimit = 4096

    init(_ source: String) {
        self.source = source
        self.regex = try? Regex(source)
    }

    var isValid: Bool { regex != nil }

    /// Whether the pattern matches somewhere in `text` (channel-name rules: `^PJSIP/7` works).
    func matches(_ text: String) -> Bool {
        guard let regex else { return false }
        return (try? regex.firstMatch(in: text)) != nil
    }

    /// Whether the pattern matches all of `text` (`numbers.internal` is a whole-number pattern).
    ///
    /// Remembered by text: a `Regex` match costs ~5,000 instructions, it runs for every leg that
    /// starts and every caller-ID change, and a PBX has few distinct numbers (its extensions and
    /// the recent callers). The result depends on the text alone, so the memo changes nothing but
    /// the time; it is bounded (`memoLimit` entries, then it starts over).
    func matchesWhole(_ text: String) -> Bool {
        guard let regex else { return false }
        let key = StateKey(text)
        if let known = wholeMatches.withLock({ $0[key] }) { return known }
        let matches = (try? regex.wholeMatch(in: text)) != nil
        wholeMatches.withLock { memo in
            if memo.count >= Self.memoLimit { memo.removeAll(keepingCapacity: true) }
            memo[key] = matches
        }
        return matches
    }
}
