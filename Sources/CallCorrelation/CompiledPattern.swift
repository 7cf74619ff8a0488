/// A configured regular expression compiled once.
///
/// Why a class marked `@unchecked Sendable`: `Regex` holds a compiled program that is immutable after
/// creation; sharing it between copies of the (value-type) engine is safe and avoids recompiling on
/// every copy.
final class CompiledPattern: @unchecked Sendable {
    let source: String
    private let regex: Regex<AnyRegexOutput>?

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
    func matchesWhole(_ text: String) -> Bool {
        guard let regex else { return false }
        return (try? regex.wholeMatch(in: text)) != nil
    }
}
