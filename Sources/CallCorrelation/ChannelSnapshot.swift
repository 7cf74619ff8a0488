import AMIProtocol

/// Reads Asterisk's standard channel block (`Channel`, `Uniqueid`, `Linkedid`, `CallerIDNum`, …)
/// from a message, optionally with a prefix (`Dest`, `Transferee`, `LocalOne`, …).
///
/// Asterisk's key spelling lives here and nowhere else (ami-reference §2.0). Lookups are
/// case-insensitive because `AMIMessage` compares keys that way (pitfall P8).
///
/// Why positions found in one pass: channel events are most of the stream and the engine reads up
/// to a dozen of these keys from each; a scan of the ~20 fields per key was a tenth of the
/// correlator's time. `init` notes where each key first occurs; a value becomes a `String` only
/// when it is read.
struct ChannelSnapshot {
    let message: AMIMessage
    let prefix: String
    /// Position in `message` of the first field of each ``Field``, -1 when absent.
    private var positions = InlineArray<11, Int32>(repeating: -1)

    init(_ message: AMIMessage, prefix: String = "") {
        self.message = message
        self.prefix = prefix
        var found = InlineArray<11, Int32>(repeating: -1)
        if prefix.isEmpty {
            message.withFields { fields in Self.findUnprefixed(fields, into: &found) }
            positions = found
            return
        }
        var missing = Field.count
        var prefixText = prefix
        prefixText.withUTF8 { prefixBytes in
            let prefixCount = prefixBytes.count
            message.withFields { fields in
                for position in 0..<fields.count {
                    let key = fields.key(position)
                    let length = key.count - prefixCount
                    // Most keys are ruled out by their length alone.
                    guard length >= 5, length <= 17, Field.lengths & (1 << length) != 0 else { continue }
                    if prefixCount > 0 && !hasPrefixIgnoringCase(key, prefixBytes) { continue }
                    guard let field = Field(wireName: key, from: prefixCount), found[field.rawValue] < 0 else {
                        continue
                    }
                    found[field.rawValue] = Int32(position)
                    missing -= 1
                    if missing == 0 { break }
                }
            }
        }
        positions = found
    }

    /// The loop of ``init(_:prefix:)`` for the plain block (no prefix; most channel events): the
    /// same answer as the general loop with `prefixCount` 0 (the first position of each field),
    /// without the prefix's bookkeeping and with a field already found skipped before its name is
    /// compared. The general loop cost ~75 instructions per field of the message.
    @inline(__always)
    static func findUnprefixed(_ fields: AMIMessage.FieldTable, into found: inout InlineArray<11, Int32>) {
        var missing = Field.count
        for position in 0..<fields.count {
            let key = fields.key(position)
            let length = key.count
            // Most keys are ruled out by their length alone.
            guard length >= 5, length <= 17, Field.lengths & (1 &<< length) != 0,
                let field = Field(wireName: key, from: 0), found[field.rawValue] < 0
            else { continue }
            found[field.rawValue] = Int32(truncatingIfNeeded: position)
            missing &-= 1
            if missing == 0 { break }
        }
    }

    /// The keys of the channel block, by their name after the prefix.
    enum Field: Int {
        case uniqueID, linkedID, channel, stateDesc, callerIDNum, callerIDName, connectedLineNum, connectedLineName
        case accountCode, context, exten

        static let count = 11

        /// Bit n set when some field's name has n bytes.
        static let lengths = 1 << 5 | 1 << 7 | 1 << 8 | 1 << 11 | 1 << 12 | 1 << 16 | 1 << 17

        /// The field `key[start...]` names (ASCII case ignored), if it is one of the block's. Most
        /// keys of a message are none of them: length and first two letters rule them out before
        /// any compare.
        @inline(__always)
        init?(wireName key: UnsafeBufferPointer<UInt8>, from start: Int) {
            // `| 0x20` lowercases letters; the names are all letters, so a match stays exact.
            let first = key[start] | 0x20, second = key[start + 1] | 0x20
            let candidate: Field
            switch key.count - start {
            case 5:
                guard first == UInt8(ascii: "e") else { return nil }
                candidate = .exten
            case 7:
                guard first == UInt8(ascii: "c") else { return nil }
                candidate = second == UInt8(ascii: "h") ? .channel : .context
            case 8:
                if first == UInt8(ascii: "u") { candidate = .uniqueID }
                else if first == UInt8(ascii: "l") { candidate = .linkedID }
                else { return nil }
            case 11:
                if first == UInt8(ascii: "c") { candidate = .callerIDNum }
                else if first == UInt8(ascii: "a") { candidate = .accountCode }
                else { return nil }
            case 12:
                guard first == UInt8(ascii: "c") else { return nil }
                candidate = .callerIDName
            case 16:
                guard first == UInt8(ascii: "c") else { return nil }
                candidate = second == UInt8(ascii: "h") ? .stateDesc : .connectedLineNum
            case 17:
                guard first == UInt8(ascii: "c") else { return nil }
                candidate = .connectedLineName
            default:
                return nil
            }
            guard equalsIgnoringCase(key, from: start, candidate.wireName) else { return nil }
            self = candidate
        }

        /// The key after the prefix, in lowercase.
        var wireName: StaticString {
            switch self {
            case .uniqueID: "uniqueid"
            case .linkedID: "linkedid"
            case .channel: "channel"
            case .stateDesc: "channelstatedesc"
            case .callerIDNum: "calleridnum"
            case .callerIDName: "calleridname"
            case .connectedLineNum: "connectedlinenum"
            case .connectedLineName: "connectedlinename"
            case .accountCode: "accountcode"
            case .context: "context"
            case .exten: "exten"
            }
        }
    }

    private func value(_ field: Field) -> String? {
        let position = positions[field.rawValue]
        return position < 0 ? nil : message.value(at: Int(position))
    }

    /// The value when present and not empty (no `String` is made for an empty one).
    private func nonEmptyValue(_ field: Field) -> String? {
        let position = positions[field.rawValue]
        guard position >= 0, !message.valueIsEmpty(at: Int(position)) else { return nil }
        return message.value(at: Int(position))
    }

    var uniqueID: String? { nonEmptyValue(.uniqueID) }
    var linkedID: String? { nonEmptyValue(.linkedID) }
    var channel: String? { nonEmptyValue(.channel) }
    var stateDesc: String? { nonEmptyValue(.stateDesc) }
    var callerIDNum: String? { known(nonEmptyValue(.callerIDNum)) }
    var callerIDName: String? { known(nonEmptyValue(.callerIDName)).map(AMIEscaping.unescape) }
    var connectedLineNum: String? { known(nonEmptyValue(.connectedLineNum)) }
    var connectedLineName: String? { known(nonEmptyValue(.connectedLineName)).map(AMIEscaping.unescape) }
    var accountCode: String? { nonEmptyValue(.accountCode) }
    var context: String? { nonEmptyValue(.context) }
    var exten: String? { nonEmptyValue(.exten) }

    /// How a property turns a field's bytes into its value.
    enum ValueForm {
        /// `nil` when empty.
        case nonEmpty
        /// `nil` when empty or `<unknown>`.
        case known
        /// As `known`, with Asterisk's C escapes undone.
        case knownUnescaped
    }

    /// `if let value = <property of field> { target = value }`, without making a `String` when
    /// `target` already holds the value's bytes: channel events repeat the whole block, and most
    /// of its values are the ones the record has.
    func store(_ field: Field, as form: ValueForm, into target: inout String?) {
        message.withFields { fields in store(field, as: form, into: &target, in: fields) }
    }

    /// ``store(_:as:into:)`` with the message's fields already open: a refresh stores up to seven
    /// fields, and opening them for each (`withFields` retains and releases the message's storage)
    /// cost about as much as the compares.
    func store(_ field: Field, as form: ValueForm, into target: inout String?, in fields: AMIMessage.FieldTable) {
        let position = positions[field.rawValue]
        guard position >= 0 else { return }
        let bytes = fields.value(Int(position))
        // Empty: the property is nil, nothing is stored.
        if bytes.isEmpty { return }
        if form != .nonEmpty && bytes.count == 9 && sameBytes(bytes, "<unknown>") { return }
        if !(form == .knownUnescaped && bytes.contains(UInt8(ascii: "\\"))), let current = target?.utf8,
            current.count == bytes.count,
            current.withContiguousStorageIfAvailable({ sameBytes($0, bytes) }) ?? current.elementsEqual(bytes)
        {
            return
        }
        // The same `String` as `message.value(at:)` (AMIMessage decodes the value's bytes as UTF-8).
        let text = String(decoding: bytes, as: UTF8.self)
        let value: String?
        switch form {
        case .nonEmpty: value = text
        case .known: value = known(text)
        case .knownUnescaped: value = known(text).map(AMIEscaping.unescape)
        }
        if let value { target = value }
    }

    /// Whether the field is present, not empty and holds exactly the bytes of `text`.
    func has(_ field: Field, equalTo text: String) -> Bool {
        message.withFields { fields in has(field, equalTo: text, in: fields) }
    }

    /// ``has(_:equalTo:)`` with the message's fields already open.
    func has(_ field: Field, equalTo text: String, in fields: AMIMessage.FieldTable) -> Bool {
        let position = positions[field.rawValue]
        guard position >= 0 else { return false }
        let bytes = fields.value(Int(position))
        guard !bytes.isEmpty, bytes.count == text.utf8.count else { return false }
        return text.utf8.withContiguousStorageIfAvailable { sameBytes(bytes, $0) } ?? text.utf8.elementsEqual(bytes)
    }

    /// `ChanVariable: NAME=value` lines of this prefix (both syntaxes of ami-reference §2.0).
    func channelVariable(_ name: String) -> String? {
        for line in message.values(for: prefix + "ChanVariable") {
            guard let eq = line.firstIndex(of: "="), line[..<eq] == name else { continue }
            return AMIEscaping.unescape(String(line[line.index(after: eq)...]))
        }
        return nil
    }
}

/// Whether `bytes` starts with `prefix`, ignoring ASCII case.
@inline(__always)
private func hasPrefixIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ prefix: UnsafeBufferPointer<UInt8>) -> Bool {
    guard bytes.count >= prefix.count else { return false }
    // Equal bytes (the prefix in the spelling asked for, the usual case) skip the lowercasing.
    for index in 0..<prefix.count {
        let byte = bytes[index], expected = prefix[index]
        if byte != expected && lowercasedASCII(byte) != lowercasedASCII(expected) { return false }
    }
    return true
}

/// Whether `bytes[start...]` equals `literal`, lowercase ASCII letters only, ignoring the case of
/// `bytes` (the same answer as ``equalsIgnoringASCIICase(_:_:)`` for such a literal).
///
/// Eight (or four) bytes at a time, with `| 0x20` on every byte: it lowercases letters, and for a
/// literal made of letters only no other byte can match. Runs for most keys of every channel
/// event, so a compare is a few loads instead of a loop over the key.
@inline(__always)
func equalsIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int = 0, _ literal: StaticString) -> Bool {
    let count = literal.utf8CodeUnitCount
    guard bytes.count - start == count, let base = bytes.baseAddress else { return false }
    let key = UnsafeRawPointer(base + start), expected = UnsafeRawPointer(literal.utf8Start)
    if count >= 8 {
        let lower: UInt64 = 0x2020_2020_2020_2020
        var offset = 0
        while offset &+ 8 < count {
            guard key.loadUnaligned(fromByteOffset: offset, as: UInt64.self) | lower
                == expected.loadUnaligned(fromByteOffset: offset, as: UInt64.self) else { return false }
            offset &+= 8
        }
        // The last eight bytes (they may overlap the previous word).
        return key.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self) | lower
            == expected.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
    }
    if count >= 4 {
        let lower: UInt32 = 0x2020_2020
        return key.loadUnaligned(as: UInt32.self) | lower == expected.loadUnaligned(as: UInt32.self)
            && key.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self) | lower
                == expected.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
    }
    for index in 0..<count where base[start + index] | 0x20 != literal.utf8Start[index] { return false }
    return true
}

@inline(__always)
private func lowercasedASCII(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte | 0x20 : byte }

/// `nil` for empty values.
func nonEmpty(_ value: String?) -> String? {
    guard let value, !value.isEmpty else { return nil }
    return value
}

/// `nil` for empty values and Asterisk's `<unknown>` placeholder.
func known(_ value: String?) -> String? {
    guard let value, !value.isEmpty, value != "<unknown>" else { return nil }
    return value
}

/// Whether a channel name is one half of a Local channel pair (`Local/…;1` or `Local/…;2`).
func isLocalChannelName(_ name: String) -> Bool {
    var iterator = name.utf8.makeIterator()
    for expected in "local/".utf8 {
        guard let byte = iterator.next(), (byte >= 65 && byte <= 90 ? byte | 0x20 : byte) == expected else {
            return false
        }
    }
    return true
}

/// The other half's name of a Local channel: `…;1` ↔ `…;2` (ami-reference §2.4).
func localPartnerName(_ name: String) -> String? {
    if name.hasSuffix(";1") { return String(name.dropLast()) + "2" }
    if name.hasSuffix(";2") { return String(name.dropLast()) + "1" }
    return nil
}

/// The endpoint part of a channel name: `PJSIP/1001-0000002a` → `1001`, `IAX2/carrier-14580` → `carrier`.
/// Technology-agnostic: strips the technology and the driver's counter suffix.
func endpointName(ofChannel name: String) -> String {
    var rest = Substring(name)
    if let slash = rest.firstIndex(of: "/") { rest = rest[rest.index(after: slash)...] }
    if let dash = rest.lastIndex(of: "-") { rest = rest[..<dash] }
    return String(rest)
}

/// The device part of a channel name: `PJSIP/1001-0000002a` → `PJSIP/1001`.
func deviceName(ofChannel name: String) -> String {
    // Channel names are ASCII: bytes then, without grapheme breaking. Other names take the
    // `Character` path, which can differ from bytes around combining marks.
    var name = name
    let asciiCut: Int?? = name.withUTF8 { bytes in
        var lastDash: Int?
        var slash = false
        for (index, byte) in bytes.enumerated() {
            if byte >= 0x80 { return .none }
            if byte == UInt8(ascii: "-") { lastDash = index }
            if byte == UInt8(ascii: "/") { slash = true }
        }
        return .some(slash ? lastDash : nil)
    }
    switch asciiCut {
    case .some(.some(let cut)): return String(name.utf8.prefix(cut))!
    case .some(.none): return name
    case .none:
        guard let dash = name.lastIndex(of: "-"), name.contains("/") else { return name }
        return String(name[..<dash])
    }
}

/// Whether a key equals the lowercase ASCII `name`, ignoring ASCII case (keys are
/// case-insensitive, pitfall P8).
@inline(__always)
func equalsIgnoringASCIICase(_ key: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> Bool {
    guard key.count == name.utf8CodeUnitCount else { return false }
    let expected = name.utf8Start
    for index in 0..<key.count where lowercasedASCII(key[index]) != expected[index] { return false }
    return true
}

/// Byte equality of two buffers.
///
/// Eight (or four) bytes at a time, the last load overlapping the previous one, never outside
/// either buffer: `store` compares most values of every channel block with what the record holds
/// (a byte loop was ~6 instructions a byte).
@inline(__always)
func sameBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    let count = a.count
    guard count == b.count else { return false }
    guard count > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return true }
    let ra = UnsafeRawPointer(pa), rb = UnsafeRawPointer(pb)
    if count >= 8 {
        var offset = 0
        while offset &+ 8 < count {
            guard ra.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                == rb.loadUnaligned(fromByteOffset: offset, as: UInt64.self) else { return false }
            offset &+= 8
        }
        return ra.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
            == rb.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
    }
    if count >= 4 {
        return ra.loadUnaligned(as: UInt32.self) == rb.loadUnaligned(as: UInt32.self)
            && ra.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
                == rb.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
    }
    for index in 0..<count where pa[index] != pb[index] { return false }
    return true
}

/// Byte equality of a buffer and an ASCII literal.
@inline(__always)
func sameBytes(_ a: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
    sameBytes(a, UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
}
