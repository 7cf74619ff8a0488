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
    ///
    /// Eight digits at a time in a 64-bit word (SWAR). The sixteen digits, read as one number, are
    /// the microseconds since the epoch: bytes 0–7 are the first eight, and bytes 8–9 with 11–16
    /// (the word at 9, whose first two bytes — the last seconds digit and the `.` — are replaced by
    /// bytes 8–9) the last eight. A digit-by-digit loop was ~110 instructions a message.
    @inline(__always)
    private static func parseCanonicalAMITimestamp(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard text.count == 17, let base = text.baseAddress, base[10] == UInt8(ascii: ".") else { return nil }
        let raw = UnsafeRawPointer(base)
        let high = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
        let low = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 9, as: UInt64.self)) & 0xFFFF_FFFF_FFFF_0000
            | UInt64(truncatingIfNeeded: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
        guard allDigits(high), allDigits(low) else { return nil }
        return Int64(eightDigits(high) &* 100_000_000 &+ eightDigits(low))
    }

    /// Whether each of the eight bytes of `word` is an ASCII digit. After `^ 0x30` a digit is 0–9:
    /// adding 0x76 sets the byte's top bit exactly when it is 10 or more; a byte of 0x80 or more has
    /// it already (and only such a byte can carry into the next one).
    @inline(__always)
    static func allDigits(_ word: UInt64) -> Bool {
        let values = word ^ 0x3030_3030_3030_3030
        return (values &+ 0x7676_7676_7676_7676 | values) & 0x8080_8080_8080_8080 == 0
    }

    /// The number written by eight ASCII digits, the first in the lowest byte (a little-endian
    /// load of the text); every byte must be a digit (``allDigits(_:)``).
    @inline(__always)
    static func eightDigits(_ word: UInt64) -> UInt64 {
        var value = word &- 0x3030_3030_3030_3030
        value = value &* 10 &+ (value &>> 8)  // byte pairs: 10 × first + second
        let pairs: UInt64 = 0x0000_00FF_0000_00FF
        return ((value & pairs) &* (100 &+ 1_000_000 &<< 32)
            &+ ((value &>> 16) & pairs) &* (1 &+ 10_000 &<< 32)) &>> 32
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
