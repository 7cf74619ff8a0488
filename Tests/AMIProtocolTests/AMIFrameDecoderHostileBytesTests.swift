@testable import AMIProtocol
import Foundation
import Testing

/// Adversarial checks of the decoder's fast paths (the 64-byte block scan, the eight-bytes-at-a-time
/// line and key searches, the span scratch) with the bytes the other decoder tests do not use: NUL
/// and other control bytes, CR alone and CR CR LF, bytes 0x80–0xFF (UTF-8 and invalid UTF-8) in
/// keys and values, messages of 63–65 and 127–129 fields, chunks that are `Data` slices or exactly
/// sized buffers. Frames are compared byte for byte (keys and values as raw bytes, not as repaired
/// `String`s) with a byte-level reference decoder written here.
///
/// Meant to be run under AddressSanitizer too (`swift test --sanitize=address`): the exactly sized
/// allocations make a read past an end a reported error, not a silently wrong byte.
@Suite("Decoder hostile bytes")
struct AMIFrameDecoderHostileBytesTests {
    // MARK: - Byte-level reference

    /// A frame with its bytes as they were on the wire.
    enum Frame: Equatable, CustomStringConvertible {
        case banner([UInt8])
        /// Keys and values alternately.
        case message([[UInt8]])
        case malformed(AMIDecodingDiagnostic.Code, offset: Int, skipped: Int)

        var description: String {
            switch self {
            case .banner(let version): return "banner(\(version))"
            case .message(let parts): return "message(\(parts))"
            case .malformed(let code, let offset, let skipped): return "malformed(\(code), \(offset), \(skipped))"
            }
        }
    }

    static func frames(_ decoded: [AMIFrame]) -> [Frame] {
        decoded.map { frame in
            switch frame {
            case .banner(let version): return .banner(Array(version.utf8))
            case .message(let message):
                #expect(message.commandOutput == nil)
                return .message(message.withFields { fields in
                    (0..<fields.count).flatMap { [Array(fields.key($0)), Array(fields.value($0))] }
                })
            case .malformed(let diagnostic):
                return .malformed(diagnostic.code, offset: diagnostic.byteOffset, skipped: diagnostic.skippedBytes)
            }
        }
    }

    /// The decoder's rules for streams of field lines far below the limits, with no banner and no
    /// `Response: Follows`: a line ends at LF, one CR before the LF is dropped, an empty line ends a
    /// message, the key runs to the first colon and must be non-empty with no byte ≤ 0x20, one
    /// space after the colon is dropped. A message still open at the end is delivered (`finish`).
    static func reference(_ bytes: [UInt8]) -> [Frame] {
        var frames: [Frame] = []
        var parts: [[UInt8]] = []
        var lineStart = 0
        for index in bytes.indices where bytes[index] == 0x0A {
            var end = index
            if end > lineStart && bytes[end - 1] == 0x0D { end -= 1 }
            let line = Array(bytes[lineStart..<end])
            let offset = lineStart
            lineStart = index + 1
            if line.isEmpty {
                if !parts.isEmpty { frames.append(.message(parts)) }
                parts = []
                continue
            }
            let keyEnd = line.firstIndex { $0 == UInt8(ascii: ":") || $0 <= 0x20 } ?? line.count
            guard keyEnd > 0, keyEnd < line.count, line[keyEnd] == UInt8(ascii: ":") else {
                frames.append(.malformed(.lineWithoutColon, offset: offset, skipped: line.count))
                continue
            }
            var valueStart = keyEnd + 1
            if valueStart < line.count && line[valueStart] == 0x20 { valueStart += 1 }
            parts.append(Array(line[..<keyEnd]))
            parts.append(Array(line[valueStart...]))
        }
        precondition(lineStart == bytes.count, "streams here end with a line feed")
        if !parts.isEmpty { frames.append(.message(parts)) }
        return frames
    }

    // MARK: - Streams

    typealias Generator = AMIFrameDecoderBlockTests.Generator

    /// Key bytes: letters (no `f`/`F`, so no `Response: Follows`; no `k`/`K`, so no banner), digits,
    /// punctuation next to the bytes the scans look for, DEL, and bytes 0x80–0xFF (a valid `é` and
    /// `€`, lone continuation and lead bytes, 0xFF).
    static let keyBytes: [UInt8] = Array("abcdeghijlmnopqrstuvwxyzABCDEGHIJLMNOPQRSTUVWXYZ0123456789-_./@[`{!;".utf8)
        + [0x7F, 0x80, 0x8A, 0xA0, 0xBA, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xFF, 0xFE, 0xC0]
    /// Value bytes: key bytes and everything a value may hold but a key may not (NUL, controls,
    /// tab, CR, space, colon).
    static let valueBytes: [UInt8] = keyBytes + [0x00, 0x01, 0x09, 0x0B, 0x0C, 0x0D, 0x1F, 0x20, 0x3A, 0x3A, 0x20]

    static func hostileStream(seed: UInt64) -> [UInt8] {
        var random = Generator(state: seed | 1)
        func pick(_ bytes: [UInt8], _ count: Int) -> [UInt8] { (0..<count).map { _ in bytes[random.below(bytes.count)] } }
        let lineEnds: [[UInt8]] = [[0x0A], [0x0D, 0x0A], [0x0D, 0x0A], [0x0D, 0x0D, 0x0A]]
        var out: [UInt8] = []
        for _ in 0..<(1 + random.below(8)) {
            // Field counts around the scratch's 64-span steps, or small.
            let sizes = [1, 2, 5, 20, 63, 64, 65, 127, 128, 129]
            let fieldCount = sizes[random.below(sizes.count)]
            for _ in 0..<fieldCount {
                var line: [UInt8]
                switch random.below(30) {
                case 0: line = pick(keyBytes, 1 + random.below(20)) + [[0x00, 0x09, 0x0D, 0x20, 0x01][random.below(5)]]
                    + pick(keyBytes, random.below(4)) + [0x3A, 0x20] + pick(valueBytes, random.below(30))
                case 1: line = [0x3A] + pick(valueBytes, random.below(40))  // empty key
                case 2: line = pick(keyBytes, 1 + random.below(90))  // no colon at all
                case 3: line = [UInt8](repeating: 0x0D, count: 1 + random.below(3))  // CRs only
                case 4: line = [[0x00], [0x09], [0x20], [0x0B]][random.below(4)] + Array("Key: v".utf8)
                default:
                    // Keys of 1–90 bytes and values of 0–150 bytes: line ends and key ends fall on
                    // every position of the 64-byte blocks.
                    let keyLength = random.below(6) == 0 ? 30 + random.below(60) : 1 + random.below(20)
                    line = pick(keyBytes, keyLength)
                    line += [[0x3A], [0x3A, 0x20], [0x3A, 0x20, 0x20], [0x3A, 0x3A]][random.below(4)]
                    line += pick(valueBytes, random.below(6) == 0 ? 60 + random.below(90) : random.below(40))
                }
                out += line + lineEnds[random.below(lineEnds.count)]
            }
            out += [[0x0A], [0x0D, 0x0A]][random.below(2)]
            if random.below(4) == 0 { out += [0x0D, 0x0A] }  // an extra empty line between messages
        }
        return out
    }

    // MARK: - Feeding

    enum Feeding: CaseIterable {
        /// `[UInt8]` slices (non-zero start index).
        case arraySlices
        /// Foundation `Data` slices: `startIndex` is the offset in the whole `Data`.
        case dataSlices
        /// Each chunk copied into an allocation of exactly its size.
        case exactBuffers
    }

    static func decode(_ bytes: [UInt8], chunks: [Int], feeding: Feeding = .arraySlices) -> [AMIFrame] {
        var decoder = AMIFrameDecoder()
        var frames: [AMIFrame] = []
        let data = Data(bytes)
        var start = 0
        var chunkIndex = 0
        while start < bytes.count {
            let end = min(bytes.count, start + max(1, chunks[chunkIndex % chunks.count]))
            chunkIndex += 1
            switch feeding {
            case .arraySlices: decoder.feed(bytes[start..<end])
            case .dataSlices:
                let slice = data[start..<end]
                precondition(slice.startIndex == start)
                decoder.feed(slice)
            case .exactBuffers:
                let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: end - start)
                _ = buffer.initialize(from: bytes[start..<end])
                decoder.feed(UnsafeBufferPointer(buffer))
                buffer.deallocate()
            }
            frames += decoder.decodeAvailable()
            start = end
        }
        return frames + decoder.finish()
    }

    // MARK: - Tests

    @Test("Streams of control, NUL, CR-only and 0x80–0xFF bytes decode like the byte-level reference in any chunking",
          arguments: 0..<40)
    func hostileStreamsMatchTheReference(seed: Int) {
        let bytes = Self.hostileStream(seed: UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 11)
        let expected = Self.reference(bytes)
        #expect(expected.contains { if case .message = $0 { return true } else { return false } })
        #expect(Self.frames(Self.decode(bytes, chunks: [bytes.count])) == expected, "whole, seed \(seed)")
        #expect(Self.frames(Self.decode(bytes, chunks: [1])) == expected, "one byte at a time, seed \(seed)")
        // Chunks ending just before, at and after the 64-byte block size, and random ones.
        #expect(Self.frames(Self.decode(bytes, chunks: [63, 64, 65, 1, 127, 128, 129, 7, 8, 9])) == expected,
                "block-sized chunks, seed \(seed)")
        var random = Generator(state: UInt64(seed) &+ 99)
        let chunks = (0..<16).map { _ in 1 + random.below(300) }
        for feeding in Feeding.allCases {
            #expect(Self.frames(Self.decode(bytes, chunks: chunks, feeding: feeding)) == expected,
                    "random chunks as \(feeding), seed \(seed)")
        }
    }

    @Test("Every prefix of a hostile stream, fed whole, then the rest: the last bytes of a chunk at every position")
    func everyCutOfAHostileStream() {
        // A short stream (two messages) so every cut point is tried: the block and word scans then
        // meet the end of the buffer at every offset of a line and of a block.
        var bytes = Array("Ev\u{E9}nt: N\u{0}ew\r\nK\u{FF}: \r\r\n:x\r\n".utf8)
        bytes += [0xC3, 0x3A, 0x20, 0x80, 0x0D, 0x0A]  // a key of one lead byte, a value of one continuation byte
        bytes += Array((String(repeating: "k", count: 70) + ":" + String(repeating: "\u{1}", count: 61) + "\n").utf8)
        bytes += Array("Tab\there: x\nA:\n\n\r\nZ:z\r\n\r\n".utf8)
        let expected = Self.reference(bytes)
        #expect(expected.count == 4)
        for cut in 0...bytes.count {
            for feeding in Feeding.allCases {
                #expect(Self.frames(Self.decode(bytes, chunks: [max(cut, 1), bytes.count], feeding: feeding)) == expected,
                        "cut at \(cut), \(feeding)")
            }
        }
    }

    @Test("A hostile stream cut anywhere and finished: the frames of the stream completed by a line feed",
          arguments: 0..<20)
    func truncatedHostileStreamsFinish(seed: Int) {
        // `finish()` ends the last line and delivers an unfinished message; the last bytes of the
        // buffer are then a partial line of any bytes (a lone CR, a key without its colon, …).
        let bytes = Self.hostileStream(seed: UInt64(seed) &+ 500)
        var random = Generator(state: UInt64(seed) &+ 77)
        for _ in 0..<12 {
            let prefix = Array(bytes[..<random.below(bytes.count + 1)])
            let expected = Self.reference(prefix + [0x0A])
            #expect(Self.frames(Self.decode(prefix, chunks: [max(prefix.count, 1)])) == expected, "seed \(seed), \(prefix.count) bytes")
            #expect(Self.frames(Self.decode(prefix, chunks: [64, 1, 63, 65])) == expected, "seed \(seed), \(prefix.count) bytes")
        }
    }

    @Test("With each size limit binding in turn (64 fields, 64-byte lines, …), hostile streams decode the same whole and line by line",
          arguments: 0..<20)
    func hostileStreamsWithSmallLimits(seed: Int) {
        // Whole, the block scan checks the limits; fed a line or a few at a time, the line-by-line
        // path does. Each limit binding in turn: fields at the span reserve size (64) and one
        // past it, lines at the block size and one below, the message size; then all three small.
        let bytes = Self.hostileStream(seed: UInt64(seed) &+ 2000)
        let roomy = 1 << 20
        for limits in [AMIFrameDecoder.Limits(maxLineBytes: roomy, maxMessageBytes: roomy, maxFields: 64),
                       AMIFrameDecoder.Limits(maxLineBytes: roomy, maxMessageBytes: roomy, maxFields: 65),
                       AMIFrameDecoder.Limits(maxLineBytes: 64, maxMessageBytes: roomy, maxFields: 4096),
                       AMIFrameDecoder.Limits(maxLineBytes: 63, maxMessageBytes: roomy, maxFields: 4096),
                       AMIFrameDecoder.Limits(maxLineBytes: roomy, maxMessageBytes: 640, maxFields: 4096),
                       AMIFrameDecoder.Limits(maxLineBytes: 30, maxMessageBytes: 300, maxFields: 5)] {
            let whole = AMIFrameDecoderBlockTests.decode(bytes, limits: limits)
            for linesPerChunk in [[1], [2, 3, 1], [64, 1]] {
                #expect(whole == AMIFrameDecoderBlockTests.decodeLines(bytes, linesPerChunk: linesPerChunk, limits: limits),
                        "seed \(seed), \(limits), \(linesPerChunk)")
            }
        }
    }

    @Test("Response: Follows in any case switches to command output by the block scan and line by line, in the first three fields only")
    func followsInAnyCase() {
        for (response, isCommand) in [("rEsPoNsE: FoLlOwS", true), ("RESPONSE:FOLLOWS", true), ("Response: Follows ", false),
                                      ("Response: Follow", false), ("Respons\u{E9}: Follows", false)] {
            for position in 0..<5 {
                var text = ""
                for index in 0..<position { text += "Field\(index): \(String(repeating: "x", count: 30))\r\n" }
                text += response + "\r\nPrivilege: Command\r\nline one\n--END COMMAND--\r\n\r\n"
                text += "Event: After" + String(repeating: "y", count: 70) + "\r\n\r\n"
                let bytes = Array(text.utf8)
                let expectCommand = isCommand && position < 3
                for frames in [AMIFrameDecoderBlockTests.decode(bytes), AMIFrameDecoderBlockTests.oneByteAtATime(bytes)] {
                    let messages = frames.compactMap { frame -> AMIMessage? in
                        if case .message(let message) = frame { return message }
                        return nil
                    }
                    #expect(messages.first?.commandOutput == (expectCommand ? ["line one"] : nil), "\(response) at \(position)")
                    #expect(messages.last?.eventName?.hasPrefix("After") == true, "\(response) at \(position)")
                }
            }
        }
    }

    @Test("Messages of 63–65, 127–129 and 300 fields fed a line or a byte at a time keep every field in order")
    func manyFieldsAppendedOneByOne() {
        // Fed in small pieces, fewer than 64 bytes follow each line start, so the spans are appended
        // one at a time (`FieldSpanScratch.append` and its growth), not reserved 64 at a time.
        for count in [63, 64, 65, 127, 128, 129, 300] {
            var bytes: [UInt8] = []
            var expectedParts: [[UInt8]] = []
            for index in 0..<count {
                let key = Array("K\(index)\u{E9}".utf8)
                // 0x40–0x7F and 0xC0–0xFF: never a line end.
                let value: [UInt8] = [0x00, 0x80, UInt8(truncatingIfNeeded: index) | 0x40, 0x3A]
                bytes += key + [0x3A, 0x20] + value + (index % 2 == 0 ? [0x0D, 0x0A] : [0x0A])
                expectedParts += [key, value]
            }
            bytes += [0x0D, 0x0A]
            let expected = [Frame.message(expectedParts)]
            #expect(Self.reference(bytes) == expected)
            #expect(Self.frames(Self.decode(bytes, chunks: [1])) == expected, "\(count) fields, one byte at a time")
            #expect(Self.frames(Self.decode(bytes, chunks: [5, 11, 3])) == expected, "\(count) fields, small chunks")
            #expect(Self.frames(Self.decode(bytes, chunks: [bytes.count])) == expected, "\(count) fields, whole")
        }
    }

    @Test("A decoder copied at every line of a 130-field message: copy and original decode the same, independently")
    func copiesAtEveryLine() {
        var lines: [[UInt8]] = [Array("Event: Big\r\n".utf8)]
        for index in 0..<130 { lines.append(Array("F\(index): \(String(repeating: "v", count: index % 9))\r\n".utf8)) }
        let closing: [UInt8] = [0x0D, 0x0A]
        var whole = AMIFrameDecoder()
        whole.feed(lines.joined() + closing)
        let expected = Self.frames(whole.decodeAvailable())
        #expect(expected.count == 1)
        for cut in [1, 2, 63, 64, 65, 66, 127, 128, 129, 130] {
            var original = AMIFrameDecoder()
            for line in lines[..<cut] {
                original.feed(line)
                #expect(original.next() == nil)
            }
            // The copy shares the span scratch until one of them decodes again.
            var copy = original
            var copyFrames: [AMIFrame] = []
            var originalFrames: [AMIFrame] = []
            for line in lines[cut...] {
                original.feed(line)
                originalFrames += original.decodeAvailable()
                copy.feed(line)
                copyFrames += copy.decodeAvailable()
            }
            // A copy that goes a different way at the end: the original's message must not see it.
            var divergent = copy
            divergent.feed(Array("Extra: field\r\n\r\n".utf8))
            let divergentFrames = Self.frames(divergent.decodeAvailable())
            original.feed(closing)
            originalFrames += original.decodeAvailable()
            copy.feed(closing)
            copyFrames += copy.decodeAvailable()
            #expect(Self.frames(originalFrames) == expected, "original, copied after \(cut) lines")
            #expect(Self.frames(copyFrames) == expected, "copy after \(cut) lines")
            guard case .message(let parts)? = expected.first, case .message(let divergentParts)? = divergentFrames.first
            else {
                Issue.record("expected messages")
                continue
            }
            #expect(divergentParts == parts + [Array("Extra".utf8), Array("field".utf8)])
        }
    }

    @Test("blockMasks reads exactly its 64 bytes: random blocks of all byte values in an exactly sized allocation",
          arguments: 0..<64)
    func blockMasksInAnExactAllocation(seed: Int) {
        var random = Generator(state: UInt64(seed) &* 0x2545_F491_4F6C_DD1D &+ 5)
        for _ in 0..<32 {
            let block = (0..<64).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            var lineFeeds: UInt64 = 0
            var keyEnds: UInt64 = 0
            for (index, byte) in block.enumerated() {
                if byte == 0x0A { lineFeeds |= 1 << UInt64(index) }
                if byte == 0x3A || byte <= 0x20 { keyEnds |= 1 << UInt64(index) }
            }
            let raw = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 1)
            raw.copyMemory(from: block, byteCount: 64)
            let masks = AMIFrameDecoder.blockMasks(UnsafeRawPointer(raw))
            raw.deallocate()
            #expect(masks.lineFeeds == lineFeeds)
            #expect(masks.keyEnds == keyEnds)
        }
    }

    @Test("The last field of a message, ending its storage at every length, is read right by every accessor")
    func lastFieldAtTheEndOfTheStorage() {
        // A decoded message keeps its text up to the end of its last value, so the last value's last
        // byte is the last byte of the message's allocation for some lengths. Keys in other cases.
        for length in 0..<48 {
            let value = (0..<length).map { [UInt8(ascii: "a"), 0xC3, 0xA9, UInt8(ascii: "Z"), 0x00][$0 % 5] }
            var bytes = Array("Event: Test\r\nUniqueID: 1.1\r\n".utf8)
            bytes += Array("LastKey:".utf8) + value + [0x0D, 0x0A, 0x0D, 0x0A]
            var decoder = AMIFrameDecoder()
            decoder.feed(bytes)
            guard case .message(let message)? = decoder.next() else {
                Issue.record("expected a message for length \(length)")
                continue
            }
            let text = String(decoding: value, as: UTF8.self)
            #expect(message.count == 3)
            #expect(message["lastkey"] == text)
            #expect(message["LASTKEY"] == text)
            #expect(message["LastKe"] == nil)
            #expect(message["LastKeyX"] == nil)
            #expect(message.values(for: "lAsTkEy") == [text])
            #expect(message.contains("LASTkey"))
            #expect(message.valueIsEmpty(at: 2) == value.isEmpty)
            #expect(message.value(at: 2) == text)
            #expect(message.withFields { Array($0.value(2)) } == value)
            #expect(message["uniqueid"] == "1.1")
            #expect(message.valueEquals("UNIQUEid", "1.1"))
            #expect(message.valueEquals("lastkey", text.uppercased()) == (text.uppercased().utf8.count == value.count
                && zip(text.uppercased().utf8, value).allSatisfy { asciiLower($0) == asciiLower($1) }))
            // Equal to the message built from the same fields (bytes compared and hashed).
            let built = AMIMessage([("Event", "Test"), ("UniqueID", "1.1"), ("LastKey", text)])
            if String(decoding: value, as: UTF8.self).utf8.elementsEqual(value) {
                #expect(message == built)
                #expect(message.hashValue == built.hashValue)
            }
            // Encoded and decoded again: the same message.
            var again = AMIFrameDecoder()
            again.feed(message.encoded())
            #expect(again.next() == .message(message))
        }
    }
}
