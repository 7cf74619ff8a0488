/// Asterisk 13.5+ escapes some values with `ast_escape_c_alloc()` (commit f5d5aa67dc,
/// ASTERISK-24934): `\a \b \f \n \r \t \v \\ \' \" \?`. So `O'Brien` arrives as `O\'Brien`.
public enum AMIEscaping {
    /// Undoes Asterisk's C escaping. An unknown escape is kept as written.
    public static func unescape(_ value: String) -> String {
        guard value.utf8.contains(UInt8(ascii: "\\")) else { return value }
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        var iterator = value.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "\\") else { out.append(byte); continue }
            guard let next = iterator.next() else { out.append(byte); break }
            switch next {
            case UInt8(ascii: "a"): out.append(0x07)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "v"): out.append(0x0B)
            case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "?"): out.append(next)
            default: out.append(byte); out.append(next)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
