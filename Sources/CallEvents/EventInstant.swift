/// A point in time as integer microseconds since the Unix epoch.
///
/// Why not `Date`: the correlation core must not read a clock, and integer microseconds compare
/// and format exactly (AMI's `Timestamp: 1796414998.475033` is microseconds already).
public struct EventInstant: Sendable, Hashable, Comparable, Codable {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }
    public init(seconds: Double) { self.microseconds = Int64((seconds * 1_000_000).rounded()) }

    /// Parses AMI's `Timestamp:` value (`<epoch seconds>.<microseconds>`) without floating point.
    /// Byte-wise: it runs once per AMI message, so no Unicode character classification here.
    public init?(amiTimestamp text: String) {
        var text = text
        guard let microseconds = text.withUTF8({ Self.parseAMITimestamp($0) }) else { return nil }
        self.microseconds = microseconds
    }

    /// ``init(amiTimestamp:)`` from the value's UTF-8 bytes, for callers that read them in place
    /// (`CorrelationSession`, once per AMI message: no `String` is made).
    public init?(amiTimestampUTF8 text: UnsafeBufferPointer<UInt8>) {
        guard let microseconds = Self.parseAMITimestamp(text) else { return nil }
        self.microseconds = microseconds
    }

    /// The bytes of a `Timestamp:` value as microseconds; over the contiguous UTF-8 bytes because
    /// the `String.UTF8View` iterator costs several times the parse itself.
    private static func parseAMITimestamp(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        if let canonical = parseCanonicalAMITimestamp(text) { return canonical }
        // Wrapping arithmetic is exact here: `seconds` is checked against `maxAMISeconds` after each
        // digit, so `seconds * 10 + 9` stays far below `Int64.max`; `micros` has at most 6 digits.
        var seconds: Int64 = 0
        var micros: Int64 = 0
        var fractionDigits = 0
        var sawDigit = false
        var inFraction = false
        for byte in text {
            let digit = byte &- UInt8(ascii: "0")
            if digit <= 9 {
                if inFraction {
                    if fractionDigits < 6 { micros = micros &* 10 &+ Int64(digit); fractionDigits &+= 1 }
                } else {
                    seconds = seconds &* 10 &+ Int64(digit)
                    // Past 9999-12-31 is no PBX clock; refusing it keeps `seconds * 1_000_000`
                    // (and later arithmetic on instants) far from overflow on hostile input.
                    guard seconds <= maxAMISeconds else { return nil }
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
        while fractionDigits < 6 { micros = micros &* 10; fractionDigits &+= 1 }
        return seconds &* 1_000_000 &+ micros
    }

    /// The shape Asterisk always sends, `<10 digits>.<6 digits>`, without the general loop's
    /// per-byte state: this runs for every AMI message. `nil` for any other shape (the general
    /// parse decides those). Ten digits of seconds are always below ``maxAMISeconds``.
    @inline(__always)
    private static func parseCanonicalAMITimestamp(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard text.count == 17, let base = text.baseAddress, base[10] == UInt8(ascii: ".") else { return nil }
        var seconds: Int64 = 0
        var micros: Int64 = 0
        var notDigit: UInt8 = 0  // any byte outside '0'...'9' leaves a value above 9 here
        for offset in 0..<10 {
            let digit = base[offset] &- UInt8(ascii: "0")
            notDigit |= digit > 9 ? 1 : 0
            seconds = seconds &* 10 &+ Int64(digit)
        }
        for offset in 11..<17 {
            let digit = base[offset] &- UInt8(ascii: "0")
            notDigit |= digit > 9 ? 1 : 0
            micros = micros &* 10 &+ Int64(digit)
        }
        return notDigit == 0 ? seconds &* 1_000_000 &+ micros : nil
    }

    /// 9999-12-31T23:59:59Z, the largest `Timestamp:` accepted.
    static let maxAMISeconds: Int64 = 253_402_300_799

    public static func < (lhs: EventInstant, rhs: EventInstant) -> Bool { lhs.microseconds < rhs.microseconds }

    public func adding(seconds: Double) -> EventInstant {
        EventInstant(microseconds: microseconds + Int64((seconds * 1_000_000).rounded()))
    }

    /// Seconds from `earlier` to `self`.
    public func seconds(since earlier: EventInstant) -> Double {
        Double(microseconds - earlier.microseconds) / 1_000_000
    }

    /// ISO 8601 in UTC with milliseconds, e.g. `2026-05-01T10:00:00.123Z` (computed without Foundation
    /// so the output is the same on every machine and locale).
    ///
    /// Written byte by byte into the string's own storage: every published event carries several
    /// of these (each leg's `started_at`/`answered_at`/`ended_at`), and building them from padded
    /// pieces cost ~7,000 instructions each. Years outside 0…9999 take the general path.
    public var iso8601: String {
        let parts = civilParts
        guard parts.year >= 0, parts.year <= 9999 else { return generalISO8601(parts) }
        return String(unsafeUninitializedCapacity: 24) { buffer in
            @inline(__always) func put(_ value: Int, _ width: Int, at offset: Int) {
                var value = value
                var index = offset + width - 1
                while index >= offset {
                    buffer[index] = UInt8(truncatingIfNeeded: 48 + value % 10)
                    value /= 10
                    index -= 1
                }
            }
            put(Int(parts.year), 4, at: 0)
            buffer[4] = UInt8(ascii: "-")
            put(parts.month, 2, at: 5)
            buffer[7] = UInt8(ascii: "-")
            put(parts.day, 2, at: 8)
            buffer[10] = UInt8(ascii: "T")
            put(parts.hour, 2, at: 11)
            buffer[13] = UInt8(ascii: ":")
            put(parts.minute, 2, at: 14)
            buffer[16] = UInt8(ascii: ":")
            put(parts.second, 2, at: 17)
            buffer[19] = UInt8(ascii: ".")
            put(parts.millis, 3, at: 20)
            buffer[23] = UInt8(ascii: "Z")
            return 24
        }
    }

    /// The UTC calendar fields of this instant, milliseconds truncated towards the past.
    private var civilParts: (year: Int64, month: Int, day: Int, hour: Int, minute: Int, second: Int, millis: Int) {
        let totalMillis = microseconds >= 0 ? microseconds / 1000 : (microseconds - 999) / 1000
        var seconds = totalMillis >= 0 ? totalMillis / 1000 : (totalMillis - 999) / 1000
        let millis = Int(totalMillis - seconds * 1000)
        var days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        seconds -= days * 86_400
        let hour = Int(seconds / 3600), minute = Int(seconds % 3600 / 60), second = Int(seconds % 60)
        // Civil-from-days (Howard Hinnant's algorithm).
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        var year = yearOfEra + era * 400
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        if month <= 2 { year += 1 }
        return (year, month, day, hour, minute, second, millis)
    }

    /// The original padded-pieces formatting, kept for years the fixed 24-byte layout cannot hold.
    private func generalISO8601(
        _ parts: (year: Int64, month: Int, day: Int, hour: Int, minute: Int, second: Int, millis: Int)
    ) -> String {
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        return "\(pad(Int(parts.year), 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))T\(pad(parts.hour, 2)):"
            + "\(pad(parts.minute, 2)):\(pad(parts.second, 2)).\(pad(parts.millis, 3))Z"
    }
}
