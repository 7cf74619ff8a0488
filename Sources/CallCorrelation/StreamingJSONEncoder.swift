/// Compact JSON for the per-entry state rows, written straight into one byte buffer.
///
/// Why not Foundation's `JSONEncoder`: it first builds a tree of every value and then serialises
/// it, ~10× the work of writing the bytes (measured in docs/PERFORMANCE.md), and the daemon encodes
/// every channel and call that changed after every stored batch. The output is ordinary JSON that
/// `JSONDecoder` reads with the same strategies as ``CallCorrelator/snapshot()`` (non-finite doubles
/// as `"+inf"`, `"-inf"`, `"nan"`), so a restore assembles the rows into the snapshot envelope and
/// decodes that (one decoding path for both formats). Keys come in declaration order, and
/// dictionaries in their iteration order: the bytes are not canonical, the decoded values are.
///
/// Works for any `Encodable` (new fields of the state records are persisted without touching this
/// file). Containers are closed lazily: the `Encoder` protocol never says when a container is
/// finished, so each level is closed when something is written at a shallower level, or at the end.
struct StreamingJSONEncoder {
    /// Appends `value` as JSON to `bytes`.
    static func encode<T: Encodable>(_ value: T, into bytes: inout [UInt8]) throws {
        let sink = JSONSink(bytes)
        bytes = []
        defer { bytes = sink.takeBytes() }
        try sink.encodeValue(value, depth: 0)
        sink.close(above: 0)
    }

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        try encode(value, into: &bytes)
        return bytes
    }
}

/// The shared output and the stack of open containers (their closing bytes and whether they have
/// an element yet, for commas).
///
/// `@exclusivity(unchecked)`: the sink is private to one `encode` call on one thread, and the
/// dynamic exclusivity checks on every append were a third of the encoding time (perf).
private final class JSONSink {
    @exclusivity(unchecked) var bytes: [UInt8]
    @exclusivity(unchecked) private var closers: [UInt8] = []
    @exclusivity(unchecked) private var hasElement: [Bool] = []

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func takeBytes() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }

    var depth: Int { closers.count }

    /// Closes every container deeper than `depth`.
    func close(above depth: Int) {
        while closers.count > depth {
            bytes.append(closers.removeLast())
            hasElement.removeLast()
        }
    }

    func open(_ opener: UInt8, _ closer: UInt8, at depth: Int) {
        close(above: depth)
        bytes.append(opener)
        closers.append(closer)
        hasElement.append(false)
    }

    /// Starts the next element of the container at `level` (1-based): closes deeper ones, writes
    /// the comma, and the key when the container is an object.
    func beginElement(at level: Int, key: String?) {
        close(above: level)
        if hasElement[level - 1] { bytes.append(UInt8(ascii: ",")) } else { hasElement[level - 1] = true }
        if let key {
            writeString(key)
            bytes.append(UInt8(ascii: ":"))
        }
    }

    func writeString(_ string: String) {
        // Fast path: most strings (keys, ids, numbers) need no escaping and are contiguous UTF-8.
        let copied: Bool? = string.utf8.withContiguousStorageIfAvailable { utf8 in
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                return false
            }
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: utf8)
            bytes.append(UInt8(ascii: "\""))
            return true
        }
        if copied == true { return }
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    func writeRaw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    func writeInteger<T: BinaryInteger>(_ value: T) { writeRaw(String(value)) }

    func writeDouble(_ value: Double) {
        if value.isNaN { writeString("nan") } else if value == .infinity { writeString("+inf") }
        else if value == -.infinity { writeString("-inf") } else { writeRaw(value.description) }
    }

    /// Writes a value whose slot (key or comma) is already written, at `depth` open containers.
    func encodeValue<T: Encodable>(_ value: T, depth: Int) throws {
        switch value {
        case let string as String: writeString(string)
        case let int as Int: writeInteger(int)
        case let int as Int64: writeInteger(int)
        case let bool as Bool: writeRaw(bool ? "true" : "false")
        case let double as Double: writeDouble(double)
        default:
            let before = bytes.count
            try value.encode(to: StreamEncoder(sink: self, depth: depth))
            // A value that encoded nothing at all (no container): JSONEncoder writes `{}`.
            if bytes.count == before && self.depth == depth { writeRaw("{}") }
        }
    }
}

private struct StreamEncoder: Encoder {
    let sink: JSONSink
    /// Open containers when this encoder's value starts.
    let depth: Int
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        sink.open(UInt8(ascii: "{"), UInt8(ascii: "}"), at: depth)
        return KeyedEncodingContainer(KeyedStream<Key>(sink: sink, level: depth + 1))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        sink.open(UInt8(ascii: "["), UInt8(ascii: "]"), at: depth)
        return UnkeyedStream(sink: sink, level: depth + 1)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleStream(sink: sink, depth: depth) }
}

private struct KeyedStream<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let sink: JSONSink
    /// This container's position in the stack (1-based).
    let level: Int
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws {
        sink.beginElement(at: level, key: key.stringValue)
        sink.writeRaw("null")
    }
    mutating func encode(_ value: Bool, forKey key: Key) throws { slot(key); sink.writeRaw(value ? "true" : "false") }
    mutating func encode(_ value: String, forKey key: Key) throws { slot(key); sink.writeString(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { slot(key); sink.writeDouble(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { slot(key); sink.writeDouble(Double(value)) }
    mutating func encode(_ value: Int, forKey key: Key) throws { slot(key); sink.writeInteger(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { slot(key); sink.writeInteger(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { slot(key); sink.writeInteger(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { slot(key); sink.writeInteger(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { slot(key); sink.writeInteger(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { slot(key); sink.writeInteger(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { slot(key); sink.writeInteger(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { slot(key); sink.writeInteger(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { slot(key); sink.writeInteger(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { slot(key); sink.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try put(value, key) }

    private func put<T: Encodable>(_ value: T, _ key: Key) throws {
        slot(key)
        try sink.encodeValue(value, depth: level)
    }

    private func slot(_ key: Key) { sink.beginElement(at: level, key: key.stringValue) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        sink.beginElement(at: level, key: key.stringValue)
        return StreamEncoder(sink: sink, depth: level).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        sink.beginElement(at: level, key: key.stringValue)
        return StreamEncoder(sink: sink, depth: level).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        sink.beginElement(at: level, key: "super")
        return StreamEncoder(sink: sink, depth: level)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        sink.beginElement(at: level, key: key.stringValue)
        return StreamEncoder(sink: sink, depth: level)
    }
}

private struct UnkeyedStream: UnkeyedEncodingContainer {
    let sink: JSONSink
    let level: Int
    var codingPath: [any CodingKey] { [] }
    private(set) var count = 0

    init(sink: JSONSink, level: Int) {
        self.sink = sink
        self.level = level
    }

    mutating func encodeNil() throws {
        sink.beginElement(at: level, key: nil)
        sink.writeRaw("null")
        count += 1
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        sink.beginElement(at: level, key: nil)
        try sink.encodeValue(value, depth: level)
        count += 1
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        sink.beginElement(at: level, key: nil)
        count += 1
        return StreamEncoder(sink: sink, depth: level).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        sink.beginElement(at: level, key: nil)
        count += 1
        return StreamEncoder(sink: sink, depth: level).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        sink.beginElement(at: level, key: nil)
        count += 1
        return StreamEncoder(sink: sink, depth: level)
    }
}

private struct SingleStream: SingleValueEncodingContainer {
    let sink: JSONSink
    let depth: Int
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { sink.writeRaw("null") }
    mutating func encode(_ value: Bool) throws { sink.writeRaw(value ? "true" : "false") }
    mutating func encode(_ value: String) throws { sink.writeString(value) }
    mutating func encode(_ value: Double) throws { sink.writeDouble(value) }
    mutating func encode(_ value: Float) throws { sink.writeDouble(Double(value)) }
    mutating func encode(_ value: Int) throws { sink.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { sink.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { sink.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { sink.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { sink.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { sink.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { sink.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { sink.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { sink.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { sink.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try sink.encodeValue(value, depth: depth) }
}
