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
/// frames. It accepts CRLF and bare LF (Asterisk's own `get_input()` does), treats the first
/// `Asterisk Call Manager/…` line as the banner, keeps repeated keys in order, and understands the
/// pre-14 `Response: Follows` command output that ends with `--END COMMAND--`.
///
/// ## Bounded memory
/// A line longer than ``Limits/maxLineBytes`` or a message larger than ``Limits/maxMessageBytes``
/// / ``Limits/maxFields`` is dropped with a ``AMIDecodingDiagnostic``; the decoder skips to the next
/// line (or the next empty line) and goes on. The internal buffer never holds more than one
/// maximal line plus one read chunk.
public struct AMIFrameDecoder: Sendable {
    public struct Limits: Sendable, Hashable {
        public var maxLineBytes: Int
        public var maxMessageBytes: Int
        public var maxFields: Int
        public init(maxLineBytes: Int = 64 * 1024, maxMessageBytes: Int = 1024 * 1024, maxFields: Int = 4096) {
            self.maxLineBytes = maxLineBytes
            self.maxMessageBytes = maxMessageBytes
            self.maxFields = maxFields
        }
    }

    public let limits: Limits
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// Stream offset of `buffer[0]`.
    private var bufferBaseOffset = 0
    private var sawAnyLine = false

    // Message being assembled.
    private var current = AMIMessage([])
    private var currentBytes = 0
    private var commandOutput: [String]? = nil
    private var commandEnded = false
    // Skipping state after an oversized line / message.
    private var skippingLine = false
    private var skippingLineStart = 0
    private var skippingLineExcerpt = ""
    private var skippingMessage = false
    private var pending: [AMIFrame] = []
    private var pendingIndex = 0

    public init(limits: Limits = Limits()) { self.limits = limits }

    /// Appends bytes read from the stream.
    public mutating func feed<C: Collection<UInt8>>(_ bytes: C) {
        if readIndex > 0 && readIndex >= buffer.count / 2 {
            buffer.removeSubrange(0..<readIndex)
            bufferBaseOffset += readIndex
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil when more bytes are needed.
    public mutating func next() -> AMIFrame? {
        while true {
            if pendingIndex < pending.count {
                let frame = pending[pendingIndex]
                pendingIndex += 1
                if pendingIndex == pending.count { pending.removeAll(keepingCapacity: true); pendingIndex = 0 }
                return frame
            }
            guard processOneLine() else { return nil }
        }
    }

    /// Decodes everything fed so far (convenience for whole files and tests).
    public mutating func decodeAvailable() -> [AMIFrame] {
        var frames: [AMIFrame] = []
        while let frame = next() { frames.append(frame) }
        return frames
    }

    /// Ends the stream: a message without its final empty line is delivered (a capture may end
    /// without one). Returns the remaining frames.
    public mutating func finish() -> [AMIFrame] {
        var frames = decodeAvailable()
        if readIndex < buffer.count && !skippingLine {
            let line = buffer[readIndex..<buffer.count]
            readIndex = buffer.count
            handleLine(line, lineStart: bufferBaseOffset + buffer.count - line.count)
            frames += decodeAvailable()
        }
        if current.count > 0 || commandOutput != nil { emitCurrent() }
        frames += decodeAvailable()
        return frames
    }

    // MARK: - Lines

    /// Processes one line from the buffer. Returns false when no complete line is available.
    private mutating func processOneLine() -> Bool {
        let newline = buffer.withUnsafeBufferPointer { raw -> Int? in
            var index = readIndex
            let end = raw.count
            while index < end {
                if raw[index] == 0x0A { return index }
                index += 1
            }
            return nil
        }
        guard let newline else {
            let pendingLength = buffer.count - readIndex
            if !skippingLine && pendingLength > limits.maxLineBytes {
                // Start skipping this oversized line; keep only its excerpt.
                skippingLine = true
                skippingLineStart = bufferBaseOffset + readIndex
                skippingLineExcerpt = excerpt(buffer[readIndex..<min(buffer.count, readIndex + 60)])
                readIndex = buffer.count
            } else if skippingLine {
                readIndex = buffer.count
            }
            return false
        }
        let lineStart = bufferBaseOffset + readIndex
        var lineEnd = newline
        if lineEnd > readIndex && buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
        let line = buffer[readIndex..<lineEnd]
        readIndex = newline + 1
        if skippingLine {
            skippingLine = false
            let skipped = bufferBaseOffset + newline - skippingLineStart
            pending.append(.malformed(AMIDecodingDiagnostic(code: .lineTooLong, byteOffset: skippingLineStart,
                                                            skippedBytes: skipped, excerpt: skippingLineExcerpt)))
            dropCurrentMessage()
            return true
        }
        if line.count > limits.maxLineBytes {
            pending.append(.malformed(AMIDecodingDiagnostic(code: .lineTooLong, byteOffset: lineStart,
                                                            skippedBytes: line.count, excerpt: excerpt(line.prefix(60)))))
            dropCurrentMessage()
            return true
        }
        handleLine(line, lineStart: lineStart)
        return true
    }

    private mutating func dropCurrentMessage() {
        // A message that lost a line is incomplete: drop it whole and skip to its end.
        if current.count > 0 || commandOutput != nil { skippingMessage = true }
        current = AMIMessage([])
        currentBytes = 0
        commandOutput = nil
        commandEnded = false
    }

    private mutating func handleLine(_ line: ArraySlice<UInt8>, lineStart: Int) {
        defer { sawAnyLine = true }
        if skippingMessage {
            if line.isEmpty { skippingMessage = false }
            return
        }
        // Pre-14 `Response: Follows` body: raw lines (bare LF, may be empty) until --END COMMAND--.
        if var output = commandOutput {
            if commandEnded {
                if line.isEmpty { emitCurrent() }
                return
            }
            let text = String(decoding: line, as: UTF8.self)
            if text.hasSuffix("--END COMMAND--") {
                let before = String(text.dropLast("--END COMMAND--".count))
                if !before.isEmpty { output.append(before) }
                commandEnded = true
                commandOutput = output
                return
            }
            if output.isEmpty, let colon = colonIndex(line), isHeaderOfFollows(line[line.startIndex..<colon]) {
                appendField(line, colon: colon)
                return
            }
            output.append(text)
            commandOutput = output
            return
        }
        if line.isEmpty {
            if current.count > 0 { emitCurrent() }
            return
        }
        if current.count == 0, startsWithBanner(line) {
            let text = String(decoding: line, as: UTF8.self)
            let version = text.split(separator: "/", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
            pending.append(.banner(version: version))
            return
        }
        guard let colon = colonIndex(line) else {
            pending.append(.malformed(AMIDecodingDiagnostic(code: .lineWithoutColon, byteOffset: lineStart,
                                                            skippedBytes: line.count, excerpt: excerpt(line.prefix(60)))))
            return
        }
        if currentBytes + line.count > limits.maxMessageBytes || current.count >= limits.maxFields {
            pending.append(.malformed(AMIDecodingDiagnostic(code: .messageTooLarge, byteOffset: lineStart,
                                                            skippedBytes: currentBytes + line.count,
                                                            excerpt: excerpt(line.prefix(60)))))
            dropCurrentMessage()
            skippingMessage = true
            return
        }
        appendField(line, colon: colon)
        if current.count == 1 || current.count <= 3, isFollowsResponse(line, colon: colon) {
            commandOutput = []
        }
    }

    private mutating func appendField(_ line: ArraySlice<UInt8>, colon: Int) {
        var valueStart = colon + 1
        if valueStart < line.endIndex && line[valueStart] == 0x20 { valueStart += 1 }
        current.appendField(key: line[line.startIndex..<colon], value: line[valueStart..<line.endIndex])
        currentBytes += line.count
    }

    private mutating func emitCurrent() {
        var message = current
        message.commandOutput = commandOutput
        pending.append(.message(message))
        current = AMIMessage([])
        currentBytes = 0
        commandOutput = nil
        commandEnded = false
    }

    private func colonIndex(_ line: ArraySlice<UInt8>) -> Int? {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else { return nil }
        return colon
    }

    private func startsWithBanner(_ line: ArraySlice<UInt8>) -> Bool {
        let prefix = "Asterisk Call Manager/".utf8
        return line.count >= prefix.count && line.prefix(prefix.count).elementsEqual(prefix)
    }

    private func isFollowsResponse(_ line: ArraySlice<UInt8>, colon: Int) -> Bool {
        let key = line[line.startIndex..<colon]
        guard key.count == 8, key.map(asciiLower).elementsEqual("response".utf8) else { return false }
        var valueStart = colon + 1
        if valueStart < line.endIndex && line[valueStart] == 0x20 { valueStart += 1 }
        return line[valueStart..<line.endIndex].map(asciiLower).elementsEqual("follows".utf8)
    }

    private func isHeaderOfFollows(_ key: ArraySlice<UInt8>) -> Bool {
        let lowered = String(decoding: key.map(asciiLower), as: UTF8.self)
        return lowered == "privilege" || lowered == "actionid"
    }

    private func excerpt<C: Collection<UInt8>>(_ bytes: C) -> String {
        String(decoding: bytes, as: UTF8.self).unicodeScalars
            .map { $0.value < 0x20 || $0.value == 0x7F ? "?" : String($0) }.joined()
    }
}
