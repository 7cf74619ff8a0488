/// One AMI message: an ordered list of `Key: Value` fields as they arrived.
///
/// Why bytes and ranges instead of `[String: String]`: AMI repeats keys (`ChanVariable`, `Output`),
/// keys are case-insensitive, and a busy PBX sends tens of thousands of messages per second. The
/// message keeps its raw bytes in one buffer and materialises `String`s only for the keys that are
/// asked for, so decoding costs two allocations per message.
///
/// Values are returned as they were on the wire. Asterisk 13.5+ C-escapes some values
/// (`CallerIDName`, `ConnectedLineName`, `Value`, `ChanVariable`); use ``unescapedValue(_:)`` or
/// ``AMIEscaping/unescape(_:)`` for those (ami-reference §1.10).
public struct AMIMessage: Sendable, Hashable {
    /// Raw bytes of all field lines (keys and values), without line terminators.
    @usableFromInline var storage: [UInt8]
    /// For each field: key range and value range into `storage`.
    @usableFromInline var spans: [FieldSpan]
    /// Raw output lines of a pre-Asterisk-14 `Response: Follows` (`Command` action), if any.
    public var commandOutput: [String]?

    @usableFromInline
    struct FieldSpan: Sendable, Hashable {
        var keyStart: Int32
        var keyEnd: Int32
        var valueStart: Int32
        var valueEnd: Int32
    }

    /// Creates a message from ordered fields (used by encoders, tests and the capture builder).
    public init(_ fields: [(String, String)], commandOutput: [String]? = nil) {
        storage = []
        spans = []
        spans.reserveCapacity(fields.count)
        for (key, value) in fields { appendField(key: Array(key.utf8), value: Array(value.utf8)) }
        self.commandOutput = commandOutput
    }

    init(storage: [UInt8], spans: [FieldSpan], commandOutput: [String]?) {
        self.storage = storage
        self.spans = spans
        self.commandOutput = commandOutput
    }

    mutating func appendField<K: Collection<UInt8>, V: Collection<UInt8>>(key: K, value: V) {
        let keyStart = storage.count
        storage.append(contentsOf: key)
        let keyEnd = storage.count
        storage.append(contentsOf: value)
        spans.append(FieldSpan(keyStart: Int32(keyStart), keyEnd: Int32(keyEnd),
                               valueStart: Int32(keyEnd), valueEnd: Int32(storage.count)))
    }

    /// Number of fields (repeated keys counted each time).
    public var count: Int { spans.count }

    /// The fields in wire order, keys as sent.
    public var fields: [(key: String, value: String)] {
        spans.map { (string(Int($0.keyStart), Int($0.keyEnd)), string(Int($0.valueStart), Int($0.valueEnd))) }
    }

    /// The first value for `key`, compared case-insensitively (AMI keys are case-insensitive).
    public subscript(key: String) -> String? {
        guard let index = firstIndex(of: key) else { return nil }
        let span = spans[index]
        return string(Int(span.valueStart), Int(span.valueEnd))
    }

    /// Every value for `key`, in order (e.g. repeated `ChanVariable` or `Output` lines).
    public func values(for key: String) -> [String] {
        var keyBytes = Array(key.utf8)
        lowercaseASCII(&keyBytes)
        return spans.compactMap { keyMatches($0, keyBytes) ? string(Int($0.valueStart), Int($0.valueEnd)) : nil }
    }

    /// Whether the message has `key` (case-insensitive).
    public func contains(_ key: String) -> Bool { firstIndex(of: key) != nil }

    /// The first value for `key` with Asterisk's C escapes (`\'`, `\"`, `\\`, `\n` …) undone.
    public func unescapedValue(_ key: String) -> String? { self[key].map(AMIEscaping.unescape) }

    /// `Event:` value, if this is an event.
    public var eventName: String? { self["Event"] }
    /// `Response:` value (`Success`, `Error`, `Follows`, `Goodbye`), if this is a response.
    public var response: String? { self["Response"] }
    /// `Action:` value, if this is an action (client → server).
    public var action: String? { self["Action"] }
    /// `ActionID:` value.
    public var actionID: String? { self["ActionID"] }

    /// Whether `eventName` equals `name`, ignoring case, without allocating.
    public func isEvent(_ name: String) -> Bool {
        guard let index = firstIndex(of: "Event") else { return false }
        let span = spans[index]
        return equalsIgnoringCase(Int(span.valueStart), Int(span.valueEnd), name)
    }

    // MARK: - Byte helpers

    @usableFromInline
    func firstIndex(of key: String) -> Int? {
        var keyBytes = Array(key.utf8)
        lowercaseASCII(&keyBytes)
        for (index, span) in spans.enumerated() where keyMatches(span, keyBytes) { return index }
        return nil
    }

    private func keyMatches(_ span: FieldSpan, _ lowered: [UInt8]) -> Bool {
        let start = Int(span.keyStart)
        let length = Int(span.keyEnd) - start
        guard length == lowered.count else { return false }
        return storage.withUnsafeBufferPointer { raw in
            for offset in 0..<length where asciiLower(raw[start + offset]) != lowered[offset] { return false }
            return true
        }
    }

    private func equalsIgnoringCase(_ start: Int, _ end: Int, _ text: String) -> Bool {
        var index = start
        for byte in text.utf8 {
            guard index < end, asciiLower(storage[index]) == asciiLower(byte) else { return false }
            index += 1
        }
        return index == end
    }

    private func string(_ start: Int, _ end: Int) -> String {
        storage.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[start..<end]), as: UTF8.self) }
    }
}

@inline(__always) func asciiLower(_ byte: UInt8) -> UInt8 { (byte >= 65 && byte <= 90) ? byte | 0x20 : byte }

func lowercaseASCII(_ bytes: inout [UInt8]) {
    for index in bytes.indices { bytes[index] = asciiLower(bytes[index]) }
}

extension AMIMessage: CustomStringConvertible {
    public var description: String { fields.map { "\($0.key): \($0.value)" }.joined(separator: "\\r\\n") }
}
