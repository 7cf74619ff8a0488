/// What the decoder produces from the byte stream.
public enum AMIFrame: Sendable, Hashable {
    /// The greeting line `Asterisk Call Manager/<version>` (not followed by an empty line).
    case banner(version: String)
    /// A complete message (ended by an empty line).
    case message(AMIMessage)
    /// Input the decoder skipped, with the reason. Decoding continues after it.
    case malformed(AMIDecodingDiagnostic)
}

/// Why some input was skipped. Carries the byte offset in the stream so a person can find it.
public struct AMIDecodingDiagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case lineTooLong = "line_too_long"
        case messageTooLarge = "message_too_large"
        case lineWithoutColon = "line_without_colon"
    }
    public var code: Code
    /// Offset of the first skipped byte since the decoder was created.
    public var byteOffset: Int
    /// How many bytes were skipped (for `lineTooLong`/`messageTooLarge`), or the line length.
    public var skippedBytes: Int
    /// The start of the offending line, at most 60 characters, for the log.
    public var excerpt: String

    public init(code: Code, byteOffset: Int, skippedBytes: Int, excerpt: String) {
        self.code = code
        self.byteOffset = byteOffset
        self.skippedBytes = skippedBytes
        self.excerpt = excerpt
    }

    public var description: String {
        switch code {
        case .lineTooLong:
            return "AMI input at byte \(byteOffset): line of \(skippedBytes) bytes exceeds the limit; skipped (\"\(excerpt)…\")"
        case .messageTooLarge:
            return "AMI input at byte \(byteOffset): message exceeds the size limit; \(skippedBytes) bytes skipped (\"\(excerpt)…\")"
        case .lineWithoutColon:
            return "AMI input at byte \(byteOffset): line without \"Key: Value\" ignored (\"\(excerpt)\")"
        }
    }
}

/// Incremental decoder from AMI bytes to frames.
///
/// ## Overview
/// Feed it bytes in any chunking (one byte at a time, whole file, random splits); it yields the same
/// frames. It accepts CRLF and bare LF (Asterisk's own `get_input()` does), treats an
/// `Asterisk Call Manager/…` line between messages as the banner, keeps repeated keys in order, and
/// understands the pre-14 `Response: Follows` command output that ends with `--END COMMAND--`.
///
/// ## How it is fast
/// A message is a contiguous run of bytes in the input buffer. The decoder reads the field lines of
/// a message from bit masks of 64 bytes at a time (line feeds; key ends), so finding a line's key
/// and end takes no loop over its bytes (odd lines and the buffer's tail are scanned eight bytes
/// at a time by the general loop), records where each key and value lie (relative to the message start) in
/// a reused scratch buffer (``FieldSpanScratch``), and at the empty line copies the message's
/// bytes and its spans out in one allocation. No per-line allocation, no per-line `String`.
///
/// ## Bounded memory
/// A line longer than ``Limits/maxLineBytes`` or a message larger than ``Limits/maxMessageBytes``
/// / ``Limits/maxFields`` is dropped with an ``AMIDecodingDiagnostic``. An oversized line inside a
/// message drops that message and skips to its closing empty line; an oversized line between
/// messages is skipped alone. The buffer keeps only the message being assembled (at most
/// `maxMessageBytes` plus one line) and the last chunk fed; the bytes of a line being skipped are
/// discarded as they arrive.
public struct AMIFrameDecoder: Sendable {
    public struct Limits: Sendable, Hashable {
        public var maxLineBytes: Int
        public var maxMessageBytes: Int
        public var maxFields: Int
        public init(maxLineBytes: Int = 64 * 1024, maxMessageBytes: Int = 1024 * 1024, maxFields: Int = 4096) {
            self.maxLineBytes = maxLineBytes
            self.maxMessageBytes = min(maxMessageBytes, Int(Int32.max) / 2)
            self.maxFields = maxFields
        }
    }

    public let limits: Limits

    private var buffer: [UInt8] = []
    /// Stream offset of `buffer[0]`.
    private var bufferBaseOffset = 0
    /// Start of the next line to process.
    private var lineStart = 0
    /// Where the search for the next line end resumes (so a long partial line is scanned once).
    private var scanFrom = 0

    // Message being assembled: `messageStart < 0` means "between messages".
    private var messageStart = -1
    private var messageEnd = 0
    private var spans = FieldSpanScratch()
    private var commandOutput: [String]? = nil
    private var commandOutputBytes = 0
    private var commandEnded = false

    // Skipping after an oversized line / message.
    private var skippingLine = false
    private var skippingLineStart = 0
    private var skippingLineExcerpt = ""
    private var skippingMessage = false

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Bytes held in the input buffer now (for memory checks and metrics).
    public var bufferedByteCount: Int { buffer.count }

    /// Appends bytes read from the stream.
    public mutating func feed<C: Collection<UInt8>>(_ bytes: C) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil when more bytes are needed.
    public mutating func next() -> AMIFrame? {
        spans.makeUnique()  // once per call, not per line (see FieldSpanScratch)
        // The buffer is moved out while it is read, so `self` can be mutated meanwhile: swapped
        // with an empty array and back, where a second reference (`let input = buffer`) cost an
        // atomic retain and release per message. Nothing on this path reads `self.buffer`.
        var input: [UInt8] = []
        swap(&input, &buffer)
        defer { swap(&input, &buffer) }
        return input.withUnsafeBufferPointer { decodeNext($0) }
    }

    /// Decodes everything fed so far (convenience for whole files and tests).
    public mutating func decodeAvailable() -> [AMIFrame] {
        var frames: [AMIFrame] = []
        while let frame = next() { frames.append(frame) }
        return frames
    }

    /// Ends the stream: a last line without its line end and a message without its final empty
    /// line are delivered (a capture may end without one). Returns the remaining frames and resets
    /// the decoder for a new stream.
    public mutating func finish() -> [AMIFrame] {
        var frames = decodeAvailable()
        if skippingLine {
            frames.append(.malformed(AMIDecodingDiagnostic(
                code: .lineTooLong, byteOffset: skippingLineStart,
                skippedBytes: bufferBaseOffset + buffer.count - skippingLineStart, excerpt: skippingLineExcerpt)))
            skippingLine = false
            dropMessage()
        } else if lineStart < buffer.count {
            feed(CollectionOfOne(0x0A))
            frames += decodeAvailable()
        }
        if messageStart >= 0 || commandOutput != nil {
            let input = buffer
            spans.makeUnique()
            if let frame = input.withUnsafeBufferPointer({ emitMessage($0) }) { frames.append(frame) }
        }
        self = AMIFrameDecoder(limits: limits)
        return frames
    }

    // MARK: - Buffer

    private mutating func compact() {
        let keepFrom = messageStart >= 0 ? messageStart : lineStart
        guard keepFrom > 0 else { return }
        if keepFrom == buffer.count {
            bufferBaseOffset += keepFrom
            // After a huge chunk (a 10 MB line fed at once), give the memory back.
            buffer.removeAll(keepingCapacity: buffer.capacity <= 4 * limits.maxLineBytes)
            lineStart = 0
            scanFrom = 0
            return
        }
        guard keepFrom >= buffer.count / 2 else { return }
        buffer.removeSubrange(0..<keepFrom)
        bufferBaseOffset += keepFrom
        lineStart -= keepFrom
        scanFrom -= keepFrom
        if messageStart >= 0 { messageStart -= keepFrom; messageEnd -= keepFrom }
    }

    // MARK: - Lines

    private mutating func decodeNext(_ input: UnsafeBufferPointer<UInt8>) -> AMIFrame? {
        while true {
            // Between messages, a line that begins with a key byte begins the next message: it is
            // started here and its first line goes through the block loop with the others (the
            // loop below took ~260 instructions for that line alone). An empty line, a byte that
            // cannot begin a key (≤ 0x20, `:`) or an `A` (the banner) goes the general way, and so
            // does anything the block loop refuses, as it would have as the message's first line:
            // the general loop treats a message begun here with no field yet exactly as one it
            // has not begun (`messageStart`, `messageEnd` at the line, no spans).
            if messageStart < 0 && !skippingLine && !skippingMessage && commandOutput == nil
                && lineStart < input.count && Self.beginsKey(input[lineStart])
            {
                messageStart = lineStart
                messageEnd = lineStart
                spans.removeAll()
            }
            if messageStart >= 0 && !skippingLine && !skippingMessage && commandOutput == nil
                && appendFieldLines(input)
            {
                return emitMessage(input)
            }
            let start = lineStart
            guard let newline = findNewline(input, from: Swift.max(start, scanFrom)) else {
                scanFrom = input.count
                return partialLine(input, start: start)
            }
            lineStart = newline + 1
            scanFrom = lineStart
            var end = newline
            if end > start && input[end - 1] == 0x0D { end -= 1 }

            if skippingLine {
                skippingLine = false
                return malformed(.lineTooLong, at: skippingLineStart,
                                 skipped: bufferBaseOffset + newline - skippingLineStart, excerpt: skippingLineExcerpt)
            }
            if end - start > limits.maxLineBytes {
                let excerpt = excerptOf(input, start, end)
                dropMessage()
                return malformed(.lineTooLong, at: bufferBaseOffset + start, skipped: newline - start, excerpt: excerpt)
            }
            if skippingMessage {
                if end == start { skippingMessage = false }
                continue
            }
            if commandOutput != nil {
                if let frame = commandLine(input, start, end) { return frame }
                continue
            }
            if end == start {
                if messageStart >= 0 { return emitMessage(input) }
                continue
            }
            if messageStart < 0 {
                if input[start] == UInt8(ascii: "A"), let version = bannerVersion(input, start, end) {
                    return .banner(version: version)
                }
                messageStart = start
                messageEnd = start
                spans.removeAll()
            }
            // Key: no spaces or control bytes, up to the first colon.
            let colon = findKeyEnd(input, start, end)
            guard colon < end, input[colon] == UInt8(ascii: ":"), colon > start else {
                if spans.isEmpty { messageStart = -1 }
                return malformed(.lineWithoutColon, at: bufferBaseOffset + start, skipped: end - start,
                                 excerpt: excerptOf(input, start, end))
            }
            if end - messageStart > limits.maxMessageBytes || spans.count >= limits.maxFields {
                let skipped = end - messageStart
                let excerpt = excerptOf(input, messageStart, end)
                let offset = bufferBaseOffset + messageStart
                dropMessage()
                return malformed(.messageTooLarge, at: offset, skipped: skipped, excerpt: excerpt)
            }
            var valueStart = colon + 1
            if valueStart < end && input[valueStart] == 0x20 { valueStart += 1 }
            // Every offset lies in 0...(end - messageStart), which the size check above keeps within
            // `maxMessageBytes` (≤ Int32.max / 2): no overflow checks needed on this per-line path.
            let base = messageStart
            spans.append(AMIMessage.FieldSpan(keyStart: Int32(truncatingIfNeeded: start &- base),
                                              keyEnd: Int32(truncatingIfNeeded: colon &- base),
                                              valueStart: Int32(truncatingIfNeeded: valueStart &- base),
                                              valueEnd: Int32(truncatingIfNeeded: end &- base)))
            messageEnd = end
            if spans.count <= 3 && colon - start == 8 && end - valueStart == 7
                && matchesLowercase(input, start, "response") && matchesLowercase(input, valueStart, "follows") {
                commandOutput = []
                commandOutputBytes = 0
            }
        }
    }

    /// The common case in a loop of its own: the `Key: Value` lines of a message being assembled
    /// (nothing skipped, no command output), up to its empty line. Returns true when it consumed
    /// that empty line (the message is complete).
    ///
    /// Why: lines are the decoder's unit of work (~20 per message), and the general loop below
    /// re-checks every mode of the decoder and scans each line twice (for its end, then for its
    /// key). Here, while at least 64 bytes follow the line start, one pass over those 64 bytes
    /// gives two bit masks (line feeds; key ends, i.e. colons and bytes ≤ 0x20), and every line
    /// that ends inside them is taken from the masks with `trailingZeroBitCount`: no loop whose
    /// exit depends on the data per line, so few branch mispredictions. The next 64 bytes follow
    /// these (a line that began in them keeps the key end found there), so no byte is read twice.
    /// A line with no line feed in its first 64 bytes, and the last bytes of the buffer, go line
    /// by line as before (``appendLine(_:_:_:_:)``).
    ///
    /// Anything unusual — no complete line left, an over-long or malformed line, the size limits,
    /// a `Response: Follows` — returns false with `lineStart` still at that line, and the general
    /// loop handles it exactly as before.
    private mutating func appendFieldLines(_ input: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let bytes = input.baseAddress else { return false }
        let count = input.count
        var start = lineStart
        var resumeScan = scanFrom
        defer {
            lineStart = start
            scanFrom = resumeScan
        }
        while true {
            if count &- start >= 64 {
                let firstStart = start
                var block = start
                var (lineFeeds, keyEnds) = Self.blockMasks(UnsafeRawPointer(bytes + block))
                // A line feed is a key end too: `keyEnds` has a bit at or before every line feed.
                // The key end of a line that began in the previous 64 bytes (`start < block`).
                var carriedKeyEnd = 0
                let base = messageStart
                let maxLineBytes = limits.maxLineBytes
                let maxFields = limits.maxFields
                // `base` is a buffer index and the limit ≤ Int32.max / 2: no overflow.
                let messageLimit = base &+ limits.maxMessageBytes
                // The spans and the message end are kept in locals while lines are taken and written
                // back at every exit (`commit`): stores to `self` on every line kept the optimiser
                // from holding them in registers (the count and the spans' base were reloaded and
                // stored per line).
                var spanCount = spans.count
                var lastEnd = messageEnd
                while lineFeeds != 0 {
                    // At most 64 lines end in these 64 bytes: no capacity check per line below.
                    let spanBase = spans.reserveFree(64)
                    repeat {
                        let newline = block &+ lineFeeds.trailingZeroBitCount
                        // The first key end at or after `start` (`start &- block` < 64 here).
                        let colon = start >= block
                            ? start &+ (keyEnds &>> UInt64(truncatingIfNeeded: start &- block)).trailingZeroBitCount
                            : carriedKeyEnd
                        var end = newline
                        if end > start && bytes[end &- 1] == 0x0D { end &-= 1 }
                        if end == start {
                            start = newline &+ 1
                            resumeScan = start
                            spans.setCount(spanCount)
                            messageEnd = lastEnd
                            return true
                        }
                        // Same checks, in effect, as `appendLine`.
                        guard colon > start, colon < end, bytes[colon] == UInt8(ascii: ":"),
                            end &- start <= maxLineBytes, end <= messageLimit, spanCount < maxFields
                        else {
                            resumeScan = start
                            spans.setCount(spanCount)
                            messageEnd = lastEnd
                            return false
                        }
                        var valueStart = colon &+ 1
                        if valueStart < end && bytes[valueStart] == 0x20 { valueStart &+= 1 }
                        (spanBase + spanCount).initialize(to: AMIMessage.FieldSpan(
                            keyStart: Int32(truncatingIfNeeded: start &- base),
                            keyEnd: Int32(truncatingIfNeeded: colon &- base),
                            valueStart: Int32(truncatingIfNeeded: valueStart &- base),
                            valueEnd: Int32(truncatingIfNeeded: end &- base)))
                        spanCount &+= 1
                        lastEnd = end
                        let keyStart = start
                        start = newline &+ 1
                        if spanCount <= 3 && colon &- keyStart == 8 && end &- valueStart == 7
                            && Self.matchesLowercase(bytes, keyStart, "response")
                            && Self.matchesLowercase(bytes, valueStart, "follows") {
                            spans.setCount(spanCount)
                            messageEnd = lastEnd
                            commandOutput = []
                            commandOutputBytes = 0
                            resumeScan = start
                            return false
                        }
                        // Drop the line feed just taken (the lowest bit).
                        lineFeeds &= lineFeeds &- 1
                    } while lineFeeds != 0
                    spans.setCount(spanCount)
                    resumeScan = start
                    // The next 64 bytes follow these (no byte read twice); the line at `start`, if it
                    // began in these, keeps the key end found in them, if any.
                    let next = block &+ 64
                    guard count &- next >= 64 else { break }
                    let keyEndsFromStart = start < next ? keyEnds &>> UInt64(truncatingIfNeeded: start &- block) : 0
                    block = next
                    (lineFeeds, keyEnds) = Self.blockMasks(UnsafeRawPointer(bytes + block))
                    carriedKeyEnd = keyEndsFromStart != 0
                        ? start &+ keyEndsFromStart.trailingZeroBitCount
                        : block &+ keyEnds.trailingZeroBitCount
                }
                messageEnd = lastEnd
                // Lines were taken: start again from the line at `start` (fewer than 64 bytes
                // follow the last 64, or no line feed in them). Otherwise the line at `start` has
                // no line feed in its first 64 bytes: line by line below.
                if start != firstStart { continue }
            }
            // Fewer than 64 bytes left, or a line of 64 bytes or more: one line, scanned bytewise.
            guard let (status, newline) = scanLine(input, start, resumeScan) else { return false }
            if status == .other { return false }
            start = newline &+ 1
            resumeScan = start
            if status == .emptyLine { return true }
            if commandOutput != nil { return false }
        }
    }

    private enum LineStatus { case appended, emptyLine, other }

    /// Whether a line beginning with `byte` may begin a message's first field in the block loop:
    /// not an empty line or any byte a key cannot begin with (≤ 0x20, `:`), and not `A`, which
    /// may begin the banner (``bannerVersion(_:_:_:)`` is checked by the general loop only).
    @inline(__always)
    static func beginsKey(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte != UInt8(ascii: ":") && byte != UInt8(ascii: "A")
    }

    /// The line at `start` of ``appendFieldLines(_:)``, scanned bytewise (the line end searched from
    /// `resumeScan`) and taken by ``appendLine(_:_:_:_:)``; `nil` when no line feed follows.
    ///
    /// Not inlined: it runs for the last bytes of the buffer and for long lines only, and inlined
    /// into the block loop its eight-byte search constants were rematerialised on every line there.
    @inline(never)
    private mutating func scanLine(_ input: UnsafeBufferPointer<UInt8>, _ start: Int, _ resumeScan: Int)
        -> (LineStatus, newline: Int)?
    {
        guard let bytes = input.baseAddress else { return nil }
        let keyEnd = findKeyEnd(input, start, input.count)
        guard let newline = findNewline(input, from: Swift.max(keyEnd, resumeScan)) else { return nil }
        return (appendLine(bytes, start, keyEnd, newline), newline)
    }

    /// One line of ``appendFieldLines(_:)``: `keyEnd` is the first colon or byte ≤ 0x20 at or after
    /// `start` (at most `newline`), `newline` the line's LF. Appends the field (and switches to
    /// command output on `Response: Follows`), or reports an empty line, or `.other` for anything
    /// the general loop must handle (the line is then left untouched).
    @inline(__always)
    private mutating func appendLine(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ keyEnd: Int,
                                     _ newline: Int) -> LineStatus {
        var end = newline
        if end > start && bytes[end &- 1] == 0x0D { end &-= 1 }
        if end == start { return .emptyLine }
        let base = messageStart
        let colon = keyEnd
        guard colon > start, colon < end, bytes[colon] == UInt8(ascii: ":"), end &- start <= limits.maxLineBytes,
            end &- base <= limits.maxMessageBytes, spans.count < limits.maxFields
        else { return .other }
        var valueStart = colon &+ 1
        if valueStart < end && bytes[valueStart] == 0x20 { valueStart &+= 1 }
        // Offsets lie within `maxMessageBytes` (≤ Int32.max / 2) of `base`, as checked above.
        spans.append(AMIMessage.FieldSpan(keyStart: Int32(truncatingIfNeeded: start &- base),
                                          keyEnd: Int32(truncatingIfNeeded: colon &- base),
                                          valueStart: Int32(truncatingIfNeeded: valueStart &- base),
                                          valueEnd: Int32(truncatingIfNeeded: end &- base)))
        messageEnd = end
        if spans.count <= 3 && colon &- start == 8 && end &- valueStart == 7
            && Self.matchesLowercase(bytes, start, "response") && Self.matchesLowercase(bytes, valueStart, "follows") {
            commandOutput = []
            commandOutputBytes = 0
        }
        return .appended
    }

    /// Bit masks of the 64 bytes at `raw`: bit i of `lineFeeds` is set when byte i is LF, bit i of
    /// `keyEnds` when byte i is a colon or ≤ 0x20 (a key's end).
    ///
    /// Swift has no movemask, so: vector compares give 0x00/0xFF bytes; byte j of each 8-byte group
    /// keeps bit j (``weightedBits(_:)``); the groups of two vectors are OR-folded together onto one
    /// byte each (``foldGroups(_:_:)``); two narrowing conversions (packs) put the eight LF bytes
    /// and the eight key-end bytes side by side. About 100 instructions for 64 bytes.
    @inline(__always)
    static func blockMasks(_ raw: UnsafeRawPointer) -> (lineFeeds: UInt64, keyEnds: UInt64) {
        let v0 = raw.loadUnaligned(fromByteOffset: 0, as: SIMD16<UInt8>.self)
        let v1 = raw.loadUnaligned(fromByteOffset: 16, as: SIMD16<UInt8>.self)
        let v2 = raw.loadUnaligned(fromByteOffset: 32, as: SIMD16<UInt8>.self)
        let v3 = raw.loadUnaligned(fromByteOffset: 48, as: SIMD16<UInt8>.self)
        let lf = SIMD16<UInt8>(repeating: 0x0A)
        let colon = SIMD16<UInt8>(repeating: 0x3A)
        let space = SIMD16<UInt8>(repeating: 0x20)
        let lf01 = foldGroups(weightedBits(v0 .== lf), weightedBits(v1 .== lf))
        let lf23 = foldGroups(weightedBits(v2 .== lf), weightedBits(v3 .== lf))
        let key01 = foldGroups(weightedBits((v0 .== colon) .| (v0 .<= space)),
                               weightedBits((v1 .== colon) .| (v1 .<= space)))
        let key23 = foldGroups(weightedBits((v2 .== colon) .| (v2 .<= space)),
                               weightedBits((v3 .== colon) .| (v3 .<= space)))
        let lf16 = SIMD8<UInt16>(truncatingIfNeeded: SIMD8<UInt32>(lowHalf: lf01, highHalf: lf23))
        let key16 = SIMD8<UInt16>(truncatingIfNeeded: SIMD8<UInt32>(lowHalf: key01, highHalf: key23))
        let packed = SIMD16<UInt8>(truncatingIfNeeded: SIMD16<UInt16>(lowHalf: lf16, highHalf: key16))
        let words = unsafeBitCast(packed, to: SIMD2<UInt64>.self)
        return (UInt64(littleEndian: words[0]), UInt64(littleEndian: words[1]))
    }

    /// A byte mask (0x00/0xFF) with byte j of each 8-byte group reduced to bit j.
    @inline(__always)
    static func weightedBits(_ mask: SIMDMask<SIMD16<Int8>>) -> SIMD4<UInt32> {
        let weights = SIMD16<UInt8>(1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128)
        return unsafeBitCast(unsafeBitCast(mask, to: SIMD16<UInt8>.self) & weights, to: SIMD4<UInt32>.self)
    }

    /// The four 8-byte groups of `a` then `b` (from ``weightedBits(_:)``), each ORed onto the low
    /// byte of one 32-bit element (the other bytes zero).
    @inline(__always)
    static func foldGroups(_ a: SIMD4<UInt32>, _ b: SIMD4<UInt32>) -> SIMD4<UInt32> {
        var x = SIMD4<UInt32>(a[0], a[2], b[0], b[2]) | SIMD4<UInt32>(a[1], a[3], b[1], b[3])
        x |= x &>> 16
        x |= x &>> 8
        return x & SIMD4(repeating: 0xFF)
    }

    /// No line end in the buffer: start skipping the line if it is already too long.
    private mutating func partialLine(_ input: UnsafeBufferPointer<UInt8>, start: Int) -> AMIFrame? {
        if skippingLine {
            lineStart = input.count
            scanFrom = input.count
        } else if input.count - start > limits.maxLineBytes {
            skippingLine = true
            skippingLineStart = bufferBaseOffset + start
            skippingLineExcerpt = excerptOf(input, start, Swift.min(input.count, start + 60))
            dropMessage()
            lineStart = input.count
            scanFrom = input.count
        }
        return nil
    }

    /// One line of a pre-14 `Response: Follows` body: raw text (bare LF, may be empty) until
    /// `--END COMMAND--`, then the empty line. `Privilege`/`ActionID` come first as fields.
    private mutating func commandLine(_ input: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> AMIFrame? {
        // Every line kept so far (fields, output, or lines ignored after the end marker) counts
        // towards the message limit, so no endless body can grow the buffer or the spans unbounded.
        if end > start && (end - messageStart > limits.maxMessageBytes || spans.count >= limits.maxFields) {
            let offset = bufferBaseOffset + messageStart
            let excerpt = excerptOf(input, messageStart, Swift.min(end, messageStart + 60))
            let skipped = end - messageStart
            dropMessage()
            return malformed(.messageTooLarge, at: offset, skipped: skipped, excerpt: excerpt)
        }
        if commandEnded {
            return end == start ? emitMessage(input) : nil
        }
        let marker = "--END COMMAND--"
        let text = String(decoding: UnsafeBufferPointer(rebasing: input[start..<end]), as: UTF8.self)
        if text.hasSuffix(marker) {
            let before = String(text.dropLast(marker.count))
            if !before.isEmpty { commandOutput?.append(before) }
            commandEnded = true
            return nil
        }
        if commandOutput?.isEmpty == true, end > start,
           matchesKey(input, start, end, "privilege") || matchesKey(input, start, end, "actionid") {
            let colon = input[start..<end].firstIndex(of: UInt8(ascii: ":"))!
            var valueStart = colon + 1
            if valueStart < end && input[valueStart] == 0x20 { valueStart += 1 }
            let base = messageStart
            spans.append(AMIMessage.FieldSpan(keyStart: Int32(start - base), keyEnd: Int32(colon - base),
                                              valueStart: Int32(valueStart - base), valueEnd: Int32(end - base)))
            messageEnd = end
            return nil
        }
        commandOutputBytes += end - start + 1
        if commandOutputBytes + (messageEnd - messageStart) > limits.maxMessageBytes {
            let offset = bufferBaseOffset + messageStart
            let excerpt = excerptOf(input, messageStart, Swift.min(messageEnd, messageStart + 60))
            let skipped = commandOutputBytes + (messageEnd - messageStart)
            dropMessage()
            return malformed(.messageTooLarge, at: offset, skipped: skipped, excerpt: excerpt)
        }
        commandOutput?.append(text)
        return nil
    }

    private mutating func emitMessage(_ input: UnsafeBufferPointer<UInt8>) -> AMIFrame? {
        defer {
            messageStart = -1
            spans.removeAll()
            commandOutput = nil
            commandEnded = false
        }
        guard messageStart >= 0, !spans.isEmpty || commandOutput != nil else { return nil }
        // One allocation: the message's bytes and spans are copied into a single buffer.
        let text = UnsafeBufferPointer(rebasing: input[messageStart..<Swift.max(messageStart, messageEnd)])
        return spans.withUnsafeBufferPointer {
            .message(AMIMessage(text: text, spans: $0, commandOutput: commandOutput))
        }
    }

    /// Drops the message being assembled. If it already had fields, the rest of it (up to the
    /// empty line) is skipped too: a message that lost a line is incomplete.
    private mutating func dropMessage() {
        if messageStart >= 0 && (!spans.isEmpty || commandOutput != nil) { skippingMessage = true }
        messageStart = -1
        spans.removeAll()
        commandOutput = nil
        commandEnded = false
    }

    private func malformed(_ code: AMIDecodingDiagnostic.Code, at offset: Int, skipped: Int,
                           excerpt: String) -> AMIFrame {
        .malformed(AMIDecodingDiagnostic(code: code, byteOffset: offset, skippedBytes: skipped, excerpt: excerpt))
    }

    // MARK: - Byte helpers

    /// Index of the next LF at or after `from`, eight bytes at a time.
    @inline(__always)
    private func findNewline(_ input: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        var index = from
        let end = input.count
        if let base = input.baseAddress {
            let raw = UnsafeRawPointer(base)
            // Indices are within the buffer's count: no overflow checks in the loop.
            while index &+ 8 <= end {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let x = word ^ 0x0A0A_0A0A_0A0A_0A0A
                let found = (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
                if found != 0 { return index &+ found.trailingZeroBitCount &>> 3 }
                index &+= 8
            }
        }
        while index < end {
            if input[index] == 0x0A { return index }
            index += 1
        }
        return nil
    }

    /// Index of the first byte in `start..<end` that is a colon or ≤ 0x20 (space, control), or
    /// `end`. Eight bytes at a time: keys are short, but this runs for every line.
    ///
    /// `input[end]` must be the line's CR or LF: being ≤ 0x20 it stops the word scan, which may
    /// therefore read up to the end of the buffer instead of the line (short lines would
    /// otherwise fall to the byte loop).
    @inline(__always)
    private func findKeyEnd(_ input: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        var index = start
        if let base = input.baseAddress {
            let raw = UnsafeRawPointer(base)
            while index &+ 8 <= input.count {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let x = word ^ 0x3A3A_3A3A_3A3A_3A3A  // ':'
                let colon = (x &- 0x0101_0101_0101_0101) & ~x
                let low = word &- 0x2121_2121_2121_2121  // bytes < 0x21
                let found = (colon | (low & ~word)) & 0x8080_8080_8080_8080
                if found != 0 { return Swift.min(index &+ found.trailingZeroBitCount &>> 3, end) }
                index &+= 8
            }
        }
        while index < end {
            let byte = input[index]
            if byte == UInt8(ascii: ":") || byte <= 0x20 { return index }
            index += 1
        }
        return end
    }

    private func bannerVersion(_ input: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String? {
        let prefix = "Asterisk Call Manager/".utf8
        guard end - start >= prefix.count,
              UnsafeBufferPointer(rebasing: input[start..<(start + prefix.count)]).elementsEqual(prefix)
        else { return nil }
        return String(decoding: UnsafeBufferPointer(rebasing: input[(start + prefix.count)..<end]), as: UTF8.self)
    }

    @inline(__always)
    private static func matchesLowercase(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ lowered: StaticString) -> Bool {
        lowered.withUTF8Buffer { text in
            for offset in 0..<text.count where asciiLower(bytes[start &+ offset]) != text[offset] { return false }
            return true
        }
    }

    private func matchesLowercase(_ input: UnsafeBufferPointer<UInt8>, _ start: Int, _ lowered: StaticString) -> Bool {
        let count = lowered.utf8CodeUnitCount
        guard start + count <= input.count else { return false }
        return lowered.withUTF8Buffer { text in
            for offset in 0..<count where asciiLower(input[start + offset]) != text[offset] { return false }
            return true
        }
    }

    private func matchesKey(_ input: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int,
                            _ lowered: StaticString) -> Bool {
        let count = lowered.utf8CodeUnitCount
        return end - start > count && input[start + count] == UInt8(ascii: ":")
            && matchesLowercase(input, start, lowered)
    }

    private func excerptOf(_ input: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        let slice = UnsafeBufferPointer(rebasing: input[start..<Swift.min(end, start + 60)])
        return String(decoding: slice, as: UTF8.self).unicodeScalars
            .map { $0.value < 0x20 || $0.value == 0x7F ? "?" : String($0) }.joined()
    }
}
