@testable import AMIProtocol
import Testing

/// The decoder's fast path reads the field lines of a message from 64-byte line-feed / key-end bit
/// masks (`AMIFrameDecoder.appendFieldLines`); lines it cannot take that way go line by line. These
/// tests put line feeds, colons and odd key bytes on every position around the block boundaries and
/// compare the frames with a tiny reference decoder and with the same bytes fed one at a time.
@Suite("Decoder block scan")
struct AMIFrameDecoderBlockTests {
    // MARK: - Reference

    /// A deliberately simple decoder for streams of field lines (no `Response: Follows`, lines far
    /// below the limits): split at LF, drop one CR before it, a banner line outside a message, an
    /// empty line ends a message, a line whose key (bytes before the first colon) is empty or has
    /// a byte ≤ 0x20 is reported and skipped.
    static func referenceFrames(_ bytes: [UInt8]) -> [AMIFrame] {
        var frames: [AMIFrame] = []
        var fields: [(String, String)] = []
        var lineStart = 0
        func text(_ slice: ArraySlice<UInt8>) -> String { String(decoding: slice, as: UTF8.self) }
        for index in bytes.indices where bytes[index] == 0x0A {
            var end = index
            if end > lineStart && bytes[end - 1] == 0x0D { end -= 1 }
            let line = bytes[lineStart..<end]
            let offset = lineStart
            lineStart = index + 1
            if line.isEmpty {
                if !fields.isEmpty { frames.append(.message(AMIMessage(fields))) }
                fields = []
                continue
            }
            let banner = Array("Asterisk Call Manager/".utf8)
            if fields.isEmpty && line.starts(with: banner) {
                frames.append(.banner(version: text(line.dropFirst(banner.count))))
                continue
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                  !line[..<colon].contains(where: { $0 <= 0x20 })
            else {
                let excerpt = text(line.prefix(60)).unicodeScalars
                    .map { $0.value < 0x20 || $0.value == 0x7F ? "?" : String($0) }.joined()
                frames.append(.malformed(AMIDecodingDiagnostic(code: .lineWithoutColon, byteOffset: offset,
                                                               skippedBytes: line.count, excerpt: excerpt)))
                continue
            }
            var valueStart = colon + 1
            if valueStart < end && bytes[valueStart] == 0x20 { valueStart += 1 }
            fields.append((text(line[..<colon]), text(bytes[valueStart..<end])))
        }
        return frames
    }

    // MARK: - Feeding

    static func decode(_ bytes: [UInt8], chunks: [Int]? = nil,
                       limits: AMIFrameDecoder.Limits = AMIFrameDecoder.Limits()) -> [AMIFrame] {
        var decoder = AMIFrameDecoder(limits: limits)
        var frames: [AMIFrame] = []
        var start = 0
        var chunkIndex = 0
        while start < bytes.count {
            let size = chunks.map { $0[chunkIndex % $0.count] } ?? bytes.count
            chunkIndex += 1
            let end = min(bytes.count, start + max(1, size))
            decoder.feed(bytes[start..<end])
            frames += decoder.decodeAvailable()
            start = end
        }
        return frames + decoder.finish()
    }

    static func oneByteAtATime(_ bytes: [UInt8], limits: AMIFrameDecoder.Limits = AMIFrameDecoder.Limits())
        -> [AMIFrame]
    {
        decode(bytes, chunks: [1], limits: limits)
    }

    /// xorshift64*: deterministic, so a failure names its seed.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    }

    /// A random stream of messages: ordinary keys and values (colons and spaces inside values,
    /// values of 0–120 bytes so lines cross the 64-byte blocks anywhere), CRLF or LF, sometimes no
    /// space or two spaces after the colon, keys with a space / tab / control byte / CR, empty keys,
    /// lines without a colon, a lone CR line, `Response: Success` (same lengths as `Follows`).
    static func randomStream(seed: UInt64) -> [UInt8] {
        var random = Generator(state: seed | 1)
        let keys = ["Event", "Channel", "ChannelStateDesc", "ConnectedLineName", "Uniqueid", "A", "Privilege",
                    "X-Long-Key-Name-Of-Forty-Bytes-Or-So-Here", "Response", "ActionID"]
        let valueBytes = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 :/.-_<>@,;=!".utf8)
        var out: [UInt8] = []
        if random.below(4) == 0 { out += Array("Asterisk Call Manager/5.0.1\r\n".utf8) }
        for _ in 0..<(1 + random.below(12)) {
            for _ in 0..<(1 + random.below(30)) {
                var line: [UInt8]
                switch random.below(40) {
                case 0: line = Array("Bad Key: value".utf8)
                case 1: line = Array("Ke\ty: value".utf8)
                case 2: line = [0x4B, 0x01, 0x3A, 0x20, 0x76]  // "K\u{1}: v"
                case 3: line = Array(": empty key".utf8)
                case 4: line = Array("No colon at all on this line".utf8)
                case 5: line = [0x0D]  // "\r\r\n": a line of one CR
                case 6: line = Array("Ke\ry: v".utf8)
                case 7: line = Array("Response: Success".utf8)
                case 8: line = Array(" Leading: space".utf8)
                default:
                    line = Array(keys[random.below(keys.count)].utf8)
                    line += [[0x3A, 0x20], [0x3A], [0x3A, 0x20, 0x20]][random.below(3)]
                    let length = random.below(8) == 0 ? 60 + random.below(70) : random.below(40)
                    for _ in 0..<length { line.append(valueBytes[random.below(valueBytes.count)]) }
                }
                out += line
                out += random.below(3) == 0 ? [0x0A] : [0x0D, 0x0A]
            }
            out += random.below(3) == 0 ? [0x0A] : [0x0D, 0x0A]
        }
        return out
    }

    // MARK: - Tests

    @Test("Random streams decode like the reference decoder and like one byte at a time, in any chunking",
          arguments: 0..<60)
    func randomStreamsMatchTheReference(seed: Int) {
        let bytes = Self.randomStream(seed: UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1)
        let expected = Self.referenceFrames(bytes)
        #expect(Self.decode(bytes) == expected, "whole buffer, seed \(seed)")
        #expect(Self.oneByteAtATime(bytes) == expected, "one byte at a time, seed \(seed)")
        var random = Generator(state: UInt64(seed) + 7)
        let chunks = (0..<16).map { _ in 1 + random.below(150) }
        #expect(Self.decode(bytes, chunks: chunks) == expected, "random chunks, seed \(seed)")
    }

    @Test("A message's first line taken by the block scan or by the general loop: same frames")
    func firstLinesOfMessages() {
        // First lines the block scan begins (key bytes) and those it leaves to the general loop (`A`
        // for the banner, a byte that cannot begin a key, an empty line), between ordinary messages,
        // with the first line short, across a 64-byte block and longer than 64 bytes.
        let firstLines = [
            "Event: Newstate", "Asterisk Call Manager/5.0.1", "Action: Ping", "asterisk Call Manager/1.0",
            "A: b", "Ax", " Event: Leading", ":NoKey", "\tTab: x", "\r", "Event:", "e:v",
            "Event: " + String(repeating: "x", count: 70), "NoColonAtAll" + String(repeating: "y", count: 60),
            String(repeating: "K", count: 63) + ": v",
        ]
        var stream = ""
        for (index, first) in firstLines.enumerated() {
            stream += first + (index % 2 == 0 ? "\r\n" : "\n")
            stream += "Privilege: call,all\r\nUniqueid: 1.\(index)\r\n\r\n"
            if index % 3 == 0 { stream += "\r\n" }
        }
        let bytes = Array(stream.utf8)
        let expected = Self.referenceFrames(bytes)
        #expect(expected.count > firstLines.count)
        #expect(Self.decode(bytes) == expected)
        #expect(Self.oneByteAtATime(bytes) == expected)
        for size in [2, 3, 5, 7, 13, 31, 64, 65] {
            #expect(Self.decode(bytes, chunks: [size]) == expected, "chunks of \(size)")
        }
        // Limits the first line alone breaks: the same frames whether it is fed whole or line by line.
        let limits = AMIFrameDecoder.Limits(maxLineBytes: 40, maxMessageBytes: 100, maxFields: 2)
        let whole = Self.decode(bytes, limits: limits)
        #expect(whole.contains { if case .malformed(let d) = $0 { return d.code == .lineTooLong } else { return false } })
        for linesPerChunk in [[1], [2, 3, 1]] {
            #expect(whole == Self.decodeLines(bytes, linesPerChunk: linesPerChunk, limits: limits))
        }
    }

    /// Feeds whole lines only (`linesPerChunk` lines at a time, cycling): no chunk ends inside a
    /// line, so the size limits see the same lines however the stream is cut. (A chunk that ends
    /// inside a line makes the general loop judge the partial line, CR included, as before.)
    static func decodeLines(_ bytes: [UInt8], linesPerChunk: [Int], limits: AMIFrameDecoder.Limits) -> [AMIFrame] {
        var cuts: [Int] = []
        var lines = 0
        var chunk = 0
        for index in bytes.indices where bytes[index] == 0x0A {
            lines += 1
            if lines >= linesPerChunk[chunk % linesPerChunk.count] {
                cuts.append(index + 1)
                lines = 0
                chunk += 1
            }
        }
        var decoder = AMIFrameDecoder(limits: limits)
        var frames: [AMIFrame] = []
        var start = 0
        for cut in cuts + [bytes.count] where cut > start {
            decoder.feed(bytes[start..<cut])
            frames += decoder.decodeAvailable()
            start = cut
        }
        return frames + decoder.finish()
    }

    @Test("With small limits, random streams decode the same whole and fed line by line or a few lines at a time",
          arguments: 0..<30)
    func randomStreamsWithSmallLimits(seed: Int) {
        let bytes = Self.randomStream(seed: UInt64(seed) &+ 1000)
        for limits in [AMIFrameDecoder.Limits(maxLineBytes: 40, maxMessageBytes: 400, maxFields: 8),
                       AMIFrameDecoder.Limits(maxLineBytes: 70, maxMessageBytes: 2000, maxFields: 3)] {
            let whole = Self.decode(bytes, limits: limits)
            #expect(whole.contains { if case .malformed = $0 { return true } else { return false } })
            for linesPerChunk in [[1], [2, 3, 1], [5, 1, 7]] {
                #expect(whole == Self.decodeLines(bytes, linesPerChunk: linesPerChunk, limits: limits),
                        "seed \(seed), \(limits), \(linesPerChunk)")
            }
        }
    }

    @Test("Line feeds on every position around the 8/16/32/64-byte boundaries, CRLF and LF")
    func lineFeedsAtEveryPosition() {
        for lineEnd in [[UInt8]([0x0D, 0x0A]), [0x0A]] {
            var bytes = Array("Event: Test\r\n".utf8)
            // Lines of every length from 3 to 140 bytes, one after the other: their line feeds and
            // colons fall on every offset of the blocks that start at each line.
            for length in 3...140 {
                let key = Array("K\(length)".utf8)
                var line = key + [0x3A, 0x20]
                while line.count + lineEnd.count < length { line.append(UInt8(ascii: "v")) }
                bytes += line + lineEnd
            }
            bytes += lineEnd
            let expected = Self.referenceFrames(bytes)
            #expect(expected.count == 1)
            #expect(Self.decode(bytes) == expected)
            #expect(Self.oneByteAtATime(bytes) == expected)
            for offset in [1, 7, 8, 15, 16, 31, 32, 63, 64, 65] {
                #expect(Self.decode(Array(repeating: 0x0A, count: offset) + bytes)
                        == Self.referenceFrames(Array(repeating: 0x0A, count: offset) + bytes).map { $0 })
            }
        }
    }

    @Test("Key ends (colon, space, tab, control byte) at block positions 7, 8, 15, 16, 31, 32, 62, 63 and 64")
    func keyEndsAtBlockBoundaries() {
        for position in [1, 7, 8, 15, 16, 31, 32, 62, 63, 64] {
            for keyEnd: UInt8 in [0x3A, 0x20, 0x09, 0x01, 0x0D] {
                var bytes = Array("Event: Test\r\n".utf8)
                var line = Array(repeating: UInt8(ascii: "k"), count: position)
                line += [keyEnd] + Array("x: value with a colon: inside".utf8)
                bytes += line + [0x0D, 0x0A]
                bytes += Array("After: line\r\n\r\n".utf8)
                let expected = Self.referenceFrames(bytes)
                #expect(Self.decode(bytes) == expected, "position \(position), key end \(keyEnd)")
                #expect(Self.oneByteAtATime(bytes) == expected, "position \(position), key end \(keyEnd)")
            }
        }
    }

    @Test("Keys and line ends straddling consecutive 64-byte blocks at every offset")
    func keysStraddlingBlocks() {
        for pad in 0..<140 {
            var text = "Event: T\r\nPad: " + String(repeating: "x", count: pad) + "\r\n"
            for index in 0..<12 {
                let key = String(repeating: "K", count: 1 + (index * 7) % 40) + "\(index)"
                text += key + (index % 3 == 0 ? ":" : ": ") + String(repeating: "v", count: (index * 13) % 50) + "\r\n"
            }
            if pad % 5 == 0 { text += "Bad Key: \(pad)\r\n" }
            text += "Last: x\r\n\r\nEvent: Next\r\n\r\n"
            let bytes = Array(text.utf8)
            let expected = Self.referenceFrames(bytes)
            #expect(Self.decode(bytes) == expected, "pad \(pad)")
            #expect(Self.decode(bytes, chunks: [97, 64, 200]) == expected, "pad \(pad)")
        }
    }

    @Test("A colon inside the value and no space after the key's colon")
    func colonInsideTheValue() {
        let bytes = Array("Event: T\r\nEventTV: 2026-12-04T20:14:25.890+0000\r\nKey:a:b: c\r\nEmpty:\r\nSpaced:  two\r\n\r\n".utf8)
        guard case .message(let message)? = Self.decode(bytes).first else {
            Issue.record("expected a message")
            return
        }
        #expect(message.fields.map { "\($0.key)=\($0.value)" }
                == ["Event=T", "EventTV=2026-12-04T20:14:25.890+0000", "Key=a:b: c", "Empty=", "Spaced= two"])
    }

    @Test("A chunk boundary between CR and LF, and lines ending exactly at the end of the buffer")
    func chunkBoundariesAtLineEnds() {
        var head = "Event: Newchannel\r\n"
        for index in 0..<8 { head += "Field\(index): \(String(repeating: "v", count: 10 * index))\r\n" }
        let bytes = Array((head + "Last: x\r\n\r\n").utf8)
        let expected = Self.referenceFrames(bytes)
        for cut in 1..<bytes.count {
            var decoder = AMIFrameDecoder()
            decoder.feed(bytes[..<cut])
            var frames = decoder.decodeAvailable()
            decoder.feed(bytes[cut...])
            frames += decoder.decodeAvailable()
            #expect(frames == expected, "cut at \(cut)")
        }
    }

    @Test("Response: Follows read by the block scan still switches to command output")
    func followsInsideABlock() {
        let bytes = Array(("Response: Follows\r\nPrivilege: Command\r\nActionID: 1\r\n"
            + "line one\nline: two\n--END COMMAND--\r\n\r\nEvent: After\r\nA: b\r\n\r\n"
            + String(repeating: "x", count: 70) + "\r\n").utf8)
        for frames in [Self.decode(bytes), Self.oneByteAtATime(bytes)] {
            let messages = frames.compactMap { frame -> AMIMessage? in
                if case .message(let message) = frame { return message }
                return nil
            }
            #expect(messages.count == 2)
            #expect(messages.first?.commandOutput == ["line one", "line: two"])
            #expect(messages.first?.actionID == "1")
            #expect(messages.last?.eventName == "After")
        }
    }
}

/// The 64-byte masks themselves, against a byte loop, on blocks made of the bytes that matter
/// (LF, CR, colon, space, tab, NUL, the neighbours 0x21/0x39/0x3B/0x0B, bytes ≥ 0x80).
@Suite("Decoder block masks")
struct AMIFrameDecoderBlockMaskTests {
    @Test("blockMasks marks exactly the LF bytes and the colon-or-≤0x20 bytes", arguments: 0..<200)
    func masksMatchAByteLoop(seed: Int) {
        var random = AMIFrameDecoderBlockTests.Generator(state: UInt64(seed) &* 0x2545_F491_4F6C_DD1D &+ 3)
        let interesting: [UInt8] = [0x0A, 0x0D, 0x3A, 0x20, 0x09, 0x00, 0x21, 0x39, 0x3B, 0x0B, 0x1F, 0x80, 0x8A,
                                    0xBA, 0xA0, 0xFF, 0x7F, 0x41, 0x61, 0x30]
        var block = (0..<64).map { _ in
            random.below(3) == 0 ? UInt8(truncatingIfNeeded: random.next()) : interesting[random.below(interesting.count)]
        }
        if seed < 64 { block[seed] = 0x0A }
        var lineFeeds: UInt64 = 0
        var keyEnds: UInt64 = 0
        for (index, byte) in block.enumerated() {
            if byte == 0x0A { lineFeeds |= 1 << UInt64(index) }
            if byte == 0x3A || byte <= 0x20 { keyEnds |= 1 << UInt64(index) }
        }
        let masks = block.withUnsafeBytes { AMIFrameDecoder.blockMasks($0.baseAddress!) }
        #expect(masks.lineFeeds == lineFeeds)
        #expect(masks.keyEnds == keyEnds)
    }
}
