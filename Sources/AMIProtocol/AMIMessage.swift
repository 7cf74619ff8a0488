/// One AMI message: an ordered list of `Key: Value` fields as they arrived.
///
/// Why bytes and ranges instead of `[String: String]`: AMI repeats keys (`ChanVariable`, `Output`),
/// keys are case-insensitive, and a busy PBX sends tens of thousands of messages per second. The
/// message keeps its raw bytes and its field spans in one immutable buffer (a single allocation
/// per decoded message) and materialises `String`s only for the keys that are asked for.
///
/// The byte layout is private: a decoded message keeps the wire text (separators included) while
/// a message built from fields keeps keys and values back to back. Equality and hashing therefore
/// compare fields (keys exactly, values exactly, in order) and command output.
///
/// Values are returned as they were on the wire. Asterisk 13.5+ C-escapes some values
/// (`CallerIDName`, `ConnectedLineName`, `Value`, `ChanVariable`); use ``unescapedValue(_:)`` or
/// ``AMIEscaping/unescape(_:)`` for those (ami-reference §1.10).
public struct AMIMessage: Sendable, Hashable {
    /// Spans and bytes, never mutated after creation (see ``AMIMessageStorage``).
    @usableFromInline let storage: AMIMessageStorage
    @usableFromInline var box: AMIMessageBox { @inline(__always) get { storage.box } }
    /// Raw output lines of a pre-Asterisk-14 `Response: Follows` (`Command` action), if any.
    public var commandOutput: [String]?

    @usableFromInline
    struct FieldSpan: Sendable, Hashable {
        @usableFromInline var keyStart: Int32
        @usableFromInline var keyEnd: Int32
        @usableFromInline var valueStart: Int32
        @usableFromInline var valueEnd: Int32
    }

    /// Creates a message from ordered fields (used by encoders, tests and the capture builder).
    public init(_ fields: [(String, String)], commandOutput: [String]? = nil) {
        var text: [UInt8] = []
        var spans: [FieldSpan] = []
        spans.reserveCapacity(fields.count)
        for (key, value) in fields {
            let keyStart = text.count
            text.append(contentsOf: key.utf8)
            let keyEnd = text.count
            text.append(contentsOf: value.utf8)
            spans.append(FieldSpan(keyStart: Int32(keyStart), keyEnd: Int32(keyEnd),
                                   valueStart: Int32(keyEnd), valueEnd: Int32(text.count)))
        }
        storage = AMIMessageStorage(box: text.withUnsafeBufferPointer { textBuffer in
            spans.withUnsafeBufferPointer { AMIMessageBox.make(text: textBuffer, spans: $0) }
        })
        self.commandOutput = commandOutput
    }

    /// The decoder's path: copies `text` and `spans` (offsets into `text`) into one allocation.
    init(text: UnsafeBufferPointer<UInt8>, spans: UnsafeBufferPointer<FieldSpan>, commandOutput: [String]?) {
        storage = AMIMessageStorage(box: AMIMessageBox.make(text: text, spans: spans))
        self.commandOutput = commandOutput
    }

    /// Number of fields (repeated keys counted each time).
    public var count: Int { box.header.fieldCount }

    /// The fields in wire order, keys as sent.
    public var fields: [(key: String, value: String)] {
        box.withParts { spans, text in
            spans.map { (Self.string(text, $0.keyStart, $0.keyEnd), Self.string(text, $0.valueStart, $0.valueEnd)) }
        }
    }

    /// The first value for `key`, compared case-insensitively (AMI keys are case-insensitive).
    public subscript(key: String) -> String? {
        // The key's bytes read in place: `withUTF8` needs a mutable copy (a retain and a
        // uniqueness check), and this runs several times per channel event.
        let value: String?? = key.utf8.withContiguousStorageIfAvailable { keyBytes in
            box.withParts { spans, text in
                for span in spans where Self.keyMatches(span, text, keyBytes) {
                    return Self.string(text, span.valueStart, span.valueEnd)
                }
                return nil
            }
        }
        return value ?? values(for: key).first  // not reached on Linux: every String is UTF-8
    }

    /// Every value for `key`, in order (e.g. repeated `ChanVariable` or `Output` lines).
    public func values(for key: String) -> [String] {
        var key = key
        return key.withUTF8 { keyBytes in
            box.withParts { spans, text in
                spans.compactMap {
                    Self.keyMatches($0, text, keyBytes) ? Self.string(text, $0.valueStart, $0.valueEnd) : nil
                }
            }
        }
    }

    /// Calls `body` with a read-only view of the fields, for readers that want several keys: one
    /// pass over the fields instead of one scan per key (the correlator reads up to a dozen keys
    /// of a channel block from every channel event). Inlinable so that pass is compiled in the
    /// caller's module, with no call per field.
    @inlinable
    public func withFields<R>(_ body: (FieldTable) throws -> R) rethrows -> R {
        try box.withParts { spans, text in try body(FieldTable(spans: spans, text: text)) }
    }

    /// The fields of a message during ``withFields(_:)``: raw key bytes by position, in wire order.
    @frozen
    public struct FieldTable {
        @usableFromInline let spans: UnsafeBufferPointer<FieldSpan>
        @usableFromInline let text: UnsafePointer<UInt8>

        @inlinable init(spans: UnsafeBufferPointer<FieldSpan>, text: UnsafePointer<UInt8>) {
            self.spans = spans
            self.text = text
        }

        /// Number of fields.
        @inlinable public var count: Int { spans.count }

        /// The value of the field at `position` as sent (valid only inside ``withFields(_:)``).
        @inlinable public func value(_ position: Int) -> UnsafeBufferPointer<UInt8> {
            let span = spans[position]
            return UnsafeBufferPointer(start: text + Int(span.valueStart), count: Int(span.valueEnd - span.valueStart))
        }

        /// The key of the field at `position` as sent (valid only inside ``withFields(_:)``).
        @inlinable public func key(_ position: Int) -> UnsafeBufferPointer<UInt8> {
            let span = spans[position]
            return UnsafeBufferPointer(start: text + Int(span.keyStart), count: Int(span.keyEnd - span.keyStart))
        }
    }

    /// The value of the field at `position` (as given by ``forEachKey(_:)``), as on the wire.
    public func value(at position: Int) -> String {
        box.withParts { spans, text in
            precondition(position >= 0 && position < spans.count, "field position out of range")
            return Self.string(text, spans[position].valueStart, spans[position].valueEnd)
        }
    }

    /// Whether the value of the field at `position` is empty.
    public func valueIsEmpty(at position: Int) -> Bool {
        box.withParts { spans, _ in
            precondition(position >= 0 && position < spans.count, "field position out of range")
            return spans[position].valueEnd == spans[position].valueStart
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
        var key = key
        var text = text
        return key.withUTF8 { keyBytes in
            text.withUTF8 { textBytes in
                box.withParts { spans, bytes in
                    for span in spans where Self.keyMatches(span, bytes, keyBytes) {
                        return Self.equalsIgnoringCase(bytes, Int(span.valueStart), Int(span.valueEnd), textBytes)
                    }
                    return false
                }
            }
        }
    }

    // MARK: - Equality

    public static func == (lhs: AMIMessage, rhs: AMIMessage) -> Bool {
        if lhs.box === rhs.box { return lhs.commandOutput == rhs.commandOutput }
        guard lhs.count == rhs.count, lhs.commandOutput == rhs.commandOutput else { return false }
        return lhs.box.withParts { lSpans, l in
            rhs.box.withParts { rSpans, r in
                for (a, b) in zip(lSpans, rSpans) {
                    guard bytesEqual(l, Int(a.keyStart), Int(a.keyEnd), r, Int(b.keyStart), Int(b.keyEnd)),
                          bytesEqual(l, Int(a.valueStart), Int(a.valueEnd), r, Int(b.valueStart), Int(b.valueEnd))
                    else { return false }
                }
                return true
            }
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        hasher.combine(commandOutput)
        box.withParts { spans, text in
            for span in spans {
                hasher.combine(Int(span.keyEnd - span.keyStart))
                hasher.combine(bytes: UnsafeRawBufferPointer(start: text + Int(span.keyStart),
                                                             count: Int(span.keyEnd - span.keyStart)))
                hasher.combine(Int(span.valueEnd - span.valueStart))
                hasher.combine(bytes: UnsafeRawBufferPointer(start: text + Int(span.valueStart),
                                                             count: Int(span.valueEnd - span.valueStart)))
            }
        }
    }

    // MARK: - Byte helpers

    @usableFromInline
    func firstIndex(of key: String) -> Int? {
        var key = key
        return key.withUTF8 { keyBytes in
            box.withParts { spans, text in spans.firstIndex { Self.keyMatches($0, text, keyBytes) } }
        }
    }

    private static func keyMatches(_ span: FieldSpan, _ text: UnsafePointer<UInt8>,
                                   _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = Int(span.keyStart)
        let length = Int(span.keyEnd) - start
        guard length == key.count else { return false }
        // Keys usually come in the spelling asked for: equal bytes are settled without lowercasing
        // either side (~4 instead of ~14 instructions a byte).
        for offset in 0..<length {
            let byte = text[start + offset], expected = key[offset]
            if byte != expected && asciiLower(byte) != asciiLower(expected) { return false }
        }
        return true
    }

    private static func equalsIgnoringCase(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int,
                                           _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard end - start == text.count else { return false }
        for offset in 0..<text.count where asciiLower(bytes[start + offset]) != asciiLower(text[offset]) {
            return false
        }
        return true
    }

    private static func string(_ text: UnsafePointer<UInt8>, _ start: Int32, _ end: Int32) -> String {
        String(decoding: UnsafeBufferPointer(start: text + Int(start), count: Int(end - start)), as: UTF8.self)
    }
}

@usableFromInline
struct AMIMessageHeader {
    @usableFromInline var fieldCount: Int
    @usableFromInline var textCount: Int
}

/// Holds an ``AMIMessageBox`` in a `Sendable` message.
///
/// `@unchecked Sendable`: the box's contents are written once in `AMIMessageBox.make` before the
/// box is shared and never mutated afterwards (no API mutates it), so concurrent reads are safe.
/// (`ManagedBuffer` subclasses cannot conform to `Sendable` themselves.)
@usableFromInline
struct AMIMessageStorage: @unchecked Sendable {
    @usableFromInline let box: AMIMessageBox
}

/// The immutable storage of an ``AMIMessage``: the field spans, then the text bytes, in one
/// tail-allocated object.
@usableFromInline
final class AMIMessageBox: ManagedBuffer<AMIMessageHeader, AMIMessage.FieldSpan> {
    static func make(text: UnsafeBufferPointer<UInt8>, spans: UnsafeBufferPointer<AMIMessage.FieldSpan>)
        -> AMIMessageBox
    {
        let spanSize = MemoryLayout<AMIMessage.FieldSpan>.stride
        let capacity = spans.count + (text.count + spanSize - 1) / spanSize
        let buffer = create(minimumCapacity: max(capacity, 1)) { _ in
            AMIMessageHeader(fieldCount: spans.count, textCount: text.count)
        }
        buffer.withUnsafeMutablePointerToElements { elements in
            if let base = spans.baseAddress, spans.count > 0 { elements.initialize(from: base, count: spans.count) }
            let textStart = UnsafeMutableRawPointer(elements + spans.count)
            if let base = text.baseAddress, text.count > 0 {
                textStart.copyMemory(from: base, byteCount: text.count)
            }
        }
        return unsafeDowncast(buffer, to: AMIMessageBox.self)
    }

    /// Calls `body` with the spans and a pointer to the text bytes the spans index into.
    @inlinable @inline(__always)
    func withParts<R>(_ body: (UnsafeBufferPointer<AMIMessage.FieldSpan>, UnsafePointer<UInt8>) throws -> R)
        rethrows -> R
    {
        try withUnsafeMutablePointers { header, elements in
            let count = header.pointee.fieldCount
            let text = UnsafeRawPointer(elements + count).assumingMemoryBound(to: UInt8.self)
            return try body(UnsafeBufferPointer(start: elements, count: count), text)
        }
    }
}

@inline(__always)
private func bytesEqual(_ l: UnsafePointer<UInt8>, _ ls: Int, _ le: Int,
                        _ r: UnsafePointer<UInt8>, _ rs: Int, _ re: Int) -> Bool {
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
        box.withParts { spans, text in
            var out: [UInt8] = []
            out.reserveCapacity(box.header.textCount + spans.count * 4 + 2)
            for span in spans {
                out.append(contentsOf: UnsafeBufferPointer(start: text + Int(span.keyStart),
                                                           count: Int(span.keyEnd - span.keyStart)))
                out.append(UInt8(ascii: ":"))
                out.append(UInt8(ascii: " "))
                out.append(contentsOf: UnsafeBufferPointer(start: text + Int(span.valueStart),
                                                           count: Int(span.valueEnd - span.valueStart)))
                out.append(0x0D)
                out.append(0x0A)
            }
            return out + encodedTail()
        }
    }

    private func encodedTail() -> [UInt8] {
        var out: [UInt8] = []
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
