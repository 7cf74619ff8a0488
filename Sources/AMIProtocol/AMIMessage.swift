/// One AMI message: an ordered list of `Key: Value` fields as they arrived.
///
/// Why bytes and ranges instead of `[String: String]`: AMI repeats keys (`ChanVariable`, `Output`),
/// keys are case-insensitive, and a busy PBX sends tens of thousands of messages per second. The
/// message keeps its raw bytes in one buffer and materialises `String`s only for the keys that are
/// asked for, so decoding costs two allocations per message (the bytes and the field spans).
///
/// The byte layout of `storage` is private: a decoded message keeps the wire text (separators
/// included) while a message built from fields keeps keys and values back to back. Equality and
/// hashing therefore compare fields (keys exactly, values exactly, in order) and command output.
///
/// Values are returned as they were on the wire. Asterisk 13.5+ C-escapes some values
/// (`CallerIDName`, `ConnectedLineName`, `Value`, `ChanVariable`); use ``unescapedValue(_:)`` or
/// ``AMIEscaping/unescape(_:)`` for those (ami-reference §1.10).
public struct AMIMessage: Sendable, Hashable {
    /// Raw bytes the field spans point into.
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
        var key = key
        return key.withUTF8 { keyBytes in
            spans.compactMap { keyMatches($0, keyBytes) ? string(Int($0.valueStart), Int($0.valueEnd)) : nil }
        }
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
    public func isEvent(_ name: String) -> Bool { valueEquals("Event", name) }

    /// Whether the first value for `key` equals `text`, both compared ignoring ASCII case, without
    /// allocating. False when the key is absent.
    public func valueEquals(_ key: String, _ text: String) -> Bool {
        guard let index = firstIndex(of: key) else { return false }
        let span = spans[index]
        var text = text
        return text.withUTF8 { equalsIgnoringCase(Int(span.valueStart), Int(span.valueEnd), $0) }
    }

    // MARK: - Equality

    public static func == (lhs: AMIMessage, rhs: AMIMessage) -> Bool {
        guard lhs.spans.count == rhs.spans.count, lhs.commandOutput == rhs.commandOutput else { return false }
        return lhs.storage.withUnsafeBufferPointer { l in
            rhs.storage.withUnsafeBufferPointer { r in
                for (a, b) in zip(lhs.spans, rhs.spans) {
                    guard bytesEqual(l, Int(a.keyStart), Int(a.keyEnd), r, Int(b.keyStart), Int(b.keyEnd)),
                          bytesEqual(l, Int(a.valueStart), Int(a.valueEnd), r, Int(b.valueStart), Int(b.valueEnd))
                    else { return false }
                }
                return true
            }
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(spans.count)
        hasher.combine(commandOutput)
        storage.withUnsafeBufferPointer { raw in
            for span in spans {
                hasher.combine(Int(span.keyEnd - span.keyStart))
                hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: raw[Int(span.keyStart)..<Int(span.keyEnd)])))
                hasher.combine(Int(span.valueEnd - span.valueStart))
                hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: raw[Int(span.valueStart)..<Int(span.valueEnd)])))
            }
        }
    }

    // MARK: - Byte helpers

    @usableFromInline
    func firstIndex(of key: String) -> Int? {
        var key = key
        return key.withUTF8 { keyBytes in
            for index in spans.indices where keyMatches(spans[index], keyBytes) { return index }
            return nil
        }
    }

    private func keyMatches(_ span: FieldSpan, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = Int(span.keyStart)
        let length = Int(span.keyEnd) - start
        guard length == key.count else { return false }
        return storage.withUnsafeBufferPointer { raw in
            for offset in 0..<length where asciiLower(raw[start + offset]) != asciiLower(key[offset]) { return false }
            return true
        }
    }

    private func equalsIgnoringCase(_ start: Int, _ end: Int, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard end - start == text.count else { return false }
        return storage.withUnsafeBufferPointer { raw in
            for offset in 0..<text.count where asciiLower(raw[start + offset]) != asciiLower(text[offset]) {
                return false
            }
            return true
        }
    }

    private func string(_ start: Int, _ end: Int) -> String {
        storage.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[start..<end]), as: UTF8.self) }
    }
}

@inline(__always)
private func bytesEqual(_ l: UnsafeBufferPointer<UInt8>, _ ls: Int, _ le: Int,
                        _ r: UnsafeBufferPointer<UInt8>, _ rs: Int, _ re: Int) -> Bool {
    guard le - ls == re - rs else { return false }
    for offset in 0..<(le - ls) where l[ls + offset] != r[rs + offset] { return false }
    return true
}

@inline(__always) func asciiLower(_ byte: UInt8) -> UInt8 { (byte >= 65 && byte <= 90) ? byte | 0x20 : byte }

func lowercaseASCII(_ bytes: inout [UInt8]) {
    for index in bytes.indices { bytes[index] = asciiLower(bytes[index]) }
}

extension AMIMessage: CustomStringConvertible {
    public var description: String { fields.map { "\($0.key): \($0.value)" }.joined(separator: "\\r\\n") }
}

extension AMIMessage {
    /// The wire form: `Key: Value` lines with CRLF and a closing empty line. A pre-14 command
    /// output is written in its old shape (raw lines with bare LF, then `--END COMMAND--`).
    /// Used by test servers and capture writers; the decoder turns it back into an equal message.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(storage.count + spans.count * 4 + 2)
        storage.withUnsafeBufferPointer { raw in
            for span in spans {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: raw[Int(span.keyStart)..<Int(span.keyEnd)]))
                out.append(UInt8(ascii: ":"))
                out.append(UInt8(ascii: " "))
                out.append(contentsOf: UnsafeBufferPointer(rebasing: raw[Int(span.valueStart)..<Int(span.valueEnd)]))
                out.append(0x0D)
                out.append(0x0A)
            }
        }
        if let commandOutput {
            for line in commandOutput {
                out.append(contentsOf: line.utf8)
                out.append(0x0A)
            }
            out.append(contentsOf: "--END COMMAND--\r\n".utf8)
        }
        out.append(0x0D)
        out.append(0x0A)
        return out
    }
}
