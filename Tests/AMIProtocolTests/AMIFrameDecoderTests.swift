import AMIProtocol
import TestSupport
import Testing

/// Counts lines that start with `prefix` (the file's own count of events or responses).
private func countLines(startingWith prefix: String, in bytes: [UInt8]) -> Int {
    let needle = Array(prefix.utf8)
    var count = 0
    var lineStart = 0
    while lineStart < bytes.count {
        if bytes.count - lineStart >= needle.count, bytes[lineStart..<(lineStart + needle.count)].elementsEqual(needle) {
            count += 1
        }
        guard let newline = bytes[lineStart...].firstIndex(of: 0x0A) else { break }
        lineStart = newline + 1
    }
    return count
}

private func messages(_ frames: [AMIFrame]) -> [AMIMessage] {
    frames.compactMap { if case .message(let message) = $0 { return message } else { return nil } }
}

private func diagnostics(_ frames: [AMIFrame]) -> [AMIDecodingDiagnostic] {
    frames.compactMap { if case .malformed(let diagnostic) = $0 { return diagnostic } else { return nil } }
}

private func decodeWhole(_ text: String, limits: AMIFrameDecoder.Limits = AMIFrameDecoder.Limits()) -> [AMIFrame] {
    AMIDecoderVerifier.decode(Array(text.utf8), .whole, limits: limits)
}

@Suite("Decoding real captures")
struct AMICaptureDecodingTests {
    @Test("Every capture decodes to the same frames however the bytes are chunked",
          arguments: AMICaptureFiles.all())
    func everyCaptureDecodesIdenticallyInAnyChunking(_ capture: String) throws {
        let bytes = try AMICaptureFiles.bytes(capture)
        let chunkings: [AMIDecoderVerifier.Chunking] = [
            .randomSplits(seed: 1, maxChunk: 700), .randomSplits(seed: 42, maxChunk: 9000), .atEveryLineEnd,
            .fixed(65536),
        ]
        let mismatch = AMIDecoderVerifier.firstMismatch(bytes, chunkings: chunkings)
        #expect(mismatch == nil, "\(capture): \(mismatch.map { "\($0.chunking) differs at frame \($0.frameIndex)" } ?? "")")
        // One byte at a time is slow in debug builds: check the first 512 KB of big files.
        let prefix = Array(bytes.prefix(512 * 1024))
        let byteMismatch = AMIDecoderVerifier.firstMismatch(prefix, chunkings: [.byteByByte])
        #expect(byteMismatch == nil, "\(capture): byte-by-byte differs at frame \(byteMismatch?.frameIndex ?? -1)")
    }

    @Test("Every capture yields one message per Event and Response line, after its banner, with no diagnostics",
          arguments: AMICaptureFiles.all())
    func everyCaptureHasTheFilesMessageCount(_ capture: String) throws {
        let bytes = try AMICaptureFiles.bytes(capture)
        let frames = AMIDecoderVerifier.decode(bytes, .whole)
        let decoded = messages(frames)
        let eventLines = countLines(startingWith: "Event:", in: bytes)
        let responseLines = countLines(startingWith: "Response:", in: bytes)
        #expect(decoded.count == eventLines + responseLines)
        #expect(decoded.filter { $0.eventName != nil }.count == eventLines)
        #expect(decoded.filter { $0.response != nil }.count == responseLines)
        #expect(diagnostics(frames).isEmpty)
        guard case .banner(let version) = frames.first else {
            Issue.record("\(capture) does not start with the banner")
            return
        }
        #expect(!version.isEmpty)
        #expect(decoded.first?.response == "Success")
        #expect(decoded.last?.response == "Goodbye")
    }

    @Test("The same capture with bare LF line ends decodes to the same messages")
    func bareLineFeedsDecodeLikeCRLF() throws {
        let bytes = try AMICaptureFiles.bytes("ami/12-blind-transfer.ami")
        let bare = bytes.filter { $0 != 0x0D }
        #expect(AMIDecoderVerifier.decode(bare, .whole) == AMIDecoderVerifier.decode(bytes, .whole))
        #expect(AMIDecoderVerifier.firstMismatch(bare, chunkings: [.randomSplits(seed: 7, maxChunk: 300)]) == nil)
    }

    @Test("Capture messages re-encode to bytes that decode to equal messages")
    func capturesRoundTripThroughTheEncoder() throws {
        let bytes = try AMICaptureFiles.bytes("ami/08-inbound-queue-agent-answers.ami")
        let decoded = messages(AMIDecoderVerifier.decode(bytes, .whole))
        let reencoded = decoded.flatMap { $0.encoded() }
        #expect(messages(AMIDecoderVerifier.decode(reencoded, .whole)) == decoded)
    }
}

@Suite("AMI frame decoder")
struct AMIFrameDecoderTests {
    @Test("The banner is its own frame even without an empty line after it")
    func bannerWithoutEmptyLine() {
        let frames = decodeWhole("Asterisk Call Manager/9.0.0\r\nResponse: Success\r\nMessage: Authentication accepted\r\n\r\n")
        #expect(frames.count == 2)
        #expect(frames.first == .banner(version: "9.0.0"))
        #expect(messages(frames).first?["Message"] == "Authentication accepted")
    }

    @Test("A response keeps its ActionID and fields in wire order")
    func responseWithActionID() {
        let frames = decodeWhole("Response: Success\r\nActionID: ep-7\r\nPing: Pong\r\nTimestamp: 1.5\r\n\r\n")
        let message = messages(frames).first
        #expect(message?.response == "Success")
        #expect(message?.actionID == "ep-7")
        #expect(message?.fields.map(\.key) == ["Response", "ActionID", "Ping", "Timestamp"])
        #expect(message?.eventName == nil)
    }

    @Test("Values keep colons and leading text; a key without a space after the colon still parses")
    func valuesWithColons() {
        let message = messages(decodeWhole("Event: X\r\nAddress: IPV4/TCP/127.0.0.1:5038\r\nEmpty: \r\nTight:yes\r\n\r\n")).first
        #expect(message?["Address"] == "IPV4/TCP/127.0.0.1:5038")
        #expect(message?["Empty"] == "")
        #expect(message?["Tight"] == "yes")
    }

    @Test("An event list arrives as the start response, the items and the Complete event, all with the ActionID")
    func eventListStartToComplete() {
        let text = """
            Response: Success\r\nActionID: ep-3\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n\
            Event: CoreShowChannel\r\nActionID: ep-3\r\nChannel: IAX2/1001-1\r\nUniqueid: 1.1\r\n\r\n\
            Event: CoreShowChannel\r\nActionID: ep-3\r\nChannel: IAX2/1002-2\r\nUniqueid: 1.2\r\n\r\n\
            Event: CoreShowChannelsComplete\r\nActionID: ep-3\r\nEventList: Complete\r\nListItems: 2\r\n\r\n
            """
        let decoded = messages(decodeWhole(text))
        #expect(decoded.count == 4)
        #expect(decoded.allSatisfy { $0.actionID == "ep-3" })
        #expect(decoded[0]["EventList"] == "start")
        #expect(decoded[1...2].map { $0["Uniqueid"] } == ["1.1", "1.2"])
        #expect(decoded[3].isEvent("coreshowchannelscomplete"))
        #expect(decoded[3]["ListItems"] == "2")
    }

    @Test("Escaped values are returned raw and unescaped on request (13.5+ escaping)")
    func escapedValues() {
        let text = "Event: Newchannel\r\nCallerIDName: O\\'Brien \\\"Bob\\\" \\\\ x\\ty\\n\\q\r\nChannel: IAX2/1\r\n\r\n"
        let message = messages(decodeWhole(text)).first
        #expect(message?["CallerIDName"] == "O\\'Brien \\\"Bob\\\" \\\\ x\\ty\\n\\q")
        #expect(message?.unescapedValue("CallerIDName") == "O'Brien \"Bob\" \\ x\ty\n\\q")
        #expect(AMIEscaping.unescape("trailing\\") == "trailing\\")
        #expect(AMIEscaping.unescape("\\a\\b\\f\\r\\v\\?") == "\u{07}\u{08}\u{0C}\r\u{0B}?")
        #expect(AMIEscaping.unescape("plain") == "plain")
    }

    @Test("Old Command output (Response: Follows) keeps its raw lines, empty ones included, until --END COMMAND--")
    func oldCommandOutput() {
        let text = "Response: Follows\r\nPrivilege: Command\r\nActionID: c1\r\n"
            + "Channel              Location\nIAX2/1001-1   1002@acme\n\n2 active channels\n--END COMMAND--\r\n\r\n"
            + "Event: Newstate\r\nChannel: IAX2/1001-1\r\n\r\n"
        let bytes = Array(text.utf8)
        let frames = AMIDecoderVerifier.decode(bytes, .whole)
        let decoded = messages(frames)
        #expect(decoded.count == 2)
        #expect(decoded[0].response == "Follows")
        #expect(decoded[0].actionID == "c1")
        #expect(decoded[0]["Privilege"] == "Command")
        #expect(decoded[0].commandOutput == ["Channel              Location", "IAX2/1001-1   1002@acme", "",
                                             "2 active channels"])
        #expect(decoded[1].isEvent("Newstate"))
        #expect(AMIDecoderVerifier.firstMismatch(bytes, chunkings: [.byteByByte, .atEveryLineEnd]) == nil)
        #expect(messages(AMIDecoderVerifier.decode(decoded[0].encoded(), .whole)) == [decoded[0]])
    }

    @Test("Old Command output whose last line runs into --END COMMAND-- keeps that line")
    func oldCommandOutputWithoutFinalNewline() {
        let text = "Response: Follows\r\nPrivilege: Command\r\nNo such command 'foo'--END COMMAND--\r\n\r\n"
        let decoded = messages(decodeWhole(text))
        #expect(decoded.count == 1)
        #expect(decoded.first?.commandOutput == ["No such command 'foo'"])
    }

    @Test("New Command output (14+) is repeated Output fields, kept in order")
    func newCommandOutput() {
        let text = "Response: Success\r\nActionID: c2\r\nMessage: Command output follows\r\n"
            + "Output: line one\r\nOutput: \r\nOutput: line three\r\n\r\n"
        let message = messages(decodeWhole(text)).first
        #expect(message?.values(for: "output") == ["line one", "", "line three"])
        #expect(message?.commandOutput == nil)
    }

    @Test("Garbage lines are reported and the next valid message decodes intact")
    func garbageThenValidMessage() {
        let text = "this is not AMI\r\n\u{01}\u{02}binary junk\r\n\r\nEvent: Hangup\r\nUniqueid: 1.1\r\nCause: 16\r\n\r\n"
        let frames = decodeWhole(text)
        #expect(diagnostics(frames).map(\.code) == [.lineWithoutColon, .lineWithoutColon])
        #expect(messages(frames) == [AMIMessage([("Event", "Hangup"), ("Uniqueid", "1.1"), ("Cause", "16")])])
    }

    /// The field-line loop (`appendFieldLines`) hands every line it does not own back to the
    /// general loop: these lines inside a message must give the same frames as before, in any
    /// chunking.
    @Test("Odd lines inside a message (no colon, a space in the key, an empty key, a late Follows) decode the same in any chunking")
    func oddLinesInsideAMessage() {
        let text = "Event: Hangup\r\nUniqueid: 1.1\r\nno colon here\r\nCause: 16\r\n\r\n"
            + "Event: Newstate\r\nBad Key: x\r\nState: Up\r\n\r\n"
            + "Event: Odd\r\n: empty key\r\nA:\r\nB:no space\n\r\n"
            + "ActionID: 7\r\nPrivilege: command\r\nResponse: Follows\r\nline one\n--END COMMAND--\r\n\r\n"
            + "Event: Last\r\nUniqueid: 2.2\r\n\r\n"
        let bytes = Array(text.utf8)
        let frames = AMIDecoderVerifier.decode(bytes, .whole)
        #expect(diagnostics(frames).map(\.code) == [.lineWithoutColon, .lineWithoutColon, .lineWithoutColon])
        // A line without a colon is reported; the message it interrupts goes on.
        #expect(messages(frames).first == AMIMessage([("Event", "Hangup"), ("Uniqueid", "1.1"), ("Cause", "16")]))
        #expect(messages(frames).dropFirst().first == AMIMessage([("Event", "Newstate"), ("State", "Up")]))
        #expect(messages(frames).contains(AMIMessage([("Event", "Odd"), ("A", ""), ("B", "no space")])))
        #expect(messages(frames).contains { $0.commandOutput == ["line one"] && $0["ActionID"] == "7" })
        #expect(messages(frames).last == AMIMessage([("Event", "Last"), ("Uniqueid", "2.2")]))
        #expect(AMIDecoderVerifier.firstMismatch(bytes, chunkings: [.byteByByte, .atEveryLineEnd]) == nil)
    }

    @Test("Random binary garbage followed by an empty line never swallows the next message",
          arguments: 1...12 as ClosedRange<UInt64>)
    func randomGarbageThenValidMessage(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        var bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes += Array("\r\n\r\nEvent: Newchannel\r\nUniqueid: 1.1\r\n\r\n".utf8)
        let frames = AMIDecoderVerifier.decode(bytes, .whole)
        #expect(messages(frames).last == AMIMessage([("Event", "Newchannel"), ("Uniqueid", "1.1")]))
        #expect(AMIDecoderVerifier.firstMismatch(bytes, chunkings: [.byteByByte, .atEveryLineEnd]) == nil)
    }

    @Test("A 10 MB line between messages is skipped with a diagnostic and the next message decodes")
    func tenMegabyteLineBetweenMessages() {
        var bytes = Array("Event: First\r\nA: 1\r\n\r\n".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "x"), count: 10 * 1024 * 1024)
        bytes += Array("\r\nEvent: Next\r\nUniqueid: 2.2\r\n\r\n".utf8)
        var decoder = AMIFrameDecoder()
        var frames: [AMIFrame] = []
        var largestBuffer = 0
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + 64 * 1024)
            decoder.feed(bytes[start..<end])
            largestBuffer = max(largestBuffer, decoder.bufferedByteCount)
            while let frame = decoder.next() { frames.append(frame) }
            start = end
        }
        frames += decoder.finish()
        #expect(messages(frames).map { $0.eventName } == ["First", "Next"])
        #expect(diagnostics(frames).map(\.code) == [.lineTooLong])
        #expect(diagnostics(frames).first?.skippedBytes == 10 * 1024 * 1024 + 1)  // the line and its CR
        #expect(largestBuffer <= decoder.limits.maxLineBytes + 2 * 64 * 1024)
    }

    @Test("A 10 MB line inside a message drops that message only, whatever the chunking")
    func tenMegabyteLineInsideAMessage() {
        var bytes = Array("Event: Broken\r\nChannel: IAX2/1\r\nHuge: ".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "y"), count: 10 * 1024 * 1024)
        bytes += Array("\r\nAfter: still broken\r\n\r\nEvent: Good\r\nUniqueid: 3.3\r\n\r\n".utf8)
        for chunking in [AMIDecoderVerifier.Chunking.whole, .fixed(4096), .randomSplits(seed: 3, maxChunk: 100_000)] {
            let frames = AMIDecoderVerifier.decode(bytes, chunking)
            #expect(messages(frames) == [AMIMessage([("Event", "Good"), ("Uniqueid", "3.3")])], "\(chunking)")
            #expect(diagnostics(frames).map(\.code) == [.lineTooLong], "\(chunking)")
        }
        #expect(AMIDecoderVerifier.firstMismatch(bytes, chunkings: [.fixed(65536), .randomSplits(seed: 9, maxChunk: 300_000)])
                == nil, "diagnostics (offset, size, excerpt) do not depend on the chunking either")
    }

    @Test("An oversized message is cut off with a diagnostic and decoding resumes after it")
    func oversizedMessageIsCutOff() {
        let limits = AMIFrameDecoder.Limits(maxLineBytes: 1024, maxMessageBytes: 4096, maxFields: 100)
        var text = "Event: Big\r\n"
        for index in 0..<200 { text += "ChanVariable: v\(index)=\(String(repeating: "z", count: 30))\r\n" }
        text += "\r\nEvent: Small\r\nA: b\r\n\r\n"
        let bytes = Array(text.utf8)
        let frames = AMIDecoderVerifier.decode(bytes, .whole, limits: limits)
        #expect(messages(frames).map { $0.eventName } == ["Small"])
        #expect(diagnostics(frames).map(\.code) == [.messageTooLarge])
        #expect(AMIDecoderVerifier.firstMismatch(bytes, chunkings: [.byteByByte], limits: limits) == nil)
    }

    @Test("A message with too many fields is cut off and the next one decodes")
    func tooManyFields() {
        let limits = AMIFrameDecoder.Limits(maxLineBytes: 1024, maxMessageBytes: 1 << 20, maxFields: 10)
        var text = "Event: Many\r\n"
        for index in 0..<20 { text += "K\(index): v\r\n" }
        text += "\r\nEvent: Few\r\n\r\n"
        let frames = decodeWhole(text, limits: limits)
        #expect(messages(frames).map { $0.eventName } == ["Few"])
        #expect(diagnostics(frames).map(\.code) == [.messageTooLarge])
    }

    @Test("Endless fields or lines in a Response: Follows body are cut off, not buffered without bound")
    func endlessCommandBodyIsCutOff() {
        let limits = AMIFrameDecoder.Limits(maxLineBytes: 1024, maxMessageBytes: 4096, maxFields: 10)
        var fields = "Response: Follows\r\nPrivilege: Command\r\n"
        for index in 0..<50 { fields += "ActionID: \(index)\r\n" }
        fields += "\r\nEvent: After\r\n\r\n"
        var frames = decodeWhole(fields, limits: limits)
        #expect(messages(frames).map { $0.eventName } == ["After"])
        #expect(diagnostics(frames).map(\.code) == [.messageTooLarge])

        var trailing = "Response: Follows\r\nPrivilege: Command\r\nok--END COMMAND--\r\n"
        for _ in 0..<500 { trailing += "garbage after the end marker\r\n" }
        trailing += "\r\nEvent: After\r\n\r\n"
        frames = decodeWhole(trailing, limits: limits)
        #expect(messages(frames).map { $0.eventName } == ["After"])
        #expect(diagnostics(frames).map(\.code) == [.messageTooLarge])
        #expect(AMIDecoderVerifier.firstMismatch(Array(trailing.utf8), chunkings: [.byteByByte], limits: limits) == nil)
    }

    @Test("A stream that ends without the final empty line still yields its last message")
    func finishDeliversTheLastMessage() {
        var decoder = AMIFrameDecoder()
        decoder.feed(Array("Event: A\r\n\r\nEvent: B\r\nX: 1".utf8))
        let first = decoder.decodeAvailable()
        #expect(messages(first).map { $0.eventName } == ["A"])
        #expect(messages(decoder.finish()) == [AMIMessage([("Event", "B"), ("X", "1")])])
    }

    @Test("Decoded and constructed messages with the same fields are equal and hash alike")
    func equalityIsByFields() {
        let decoded = messages(decodeWhole("Event: A\r\nK: v\r\n\r\n")).first!
        let built = AMIMessage([("Event", "A"), ("K", "v")])
        #expect(decoded == built)
        #expect(decoded.hashValue == built.hashValue)
        #expect(decoded != AMIMessage([("Event", "A"), ("k", "v")]))
        #expect(decoded != AMIMessage([("EventK", ""), ("", "Av")]))
    }
}

@Suite("AMI action encoder")
struct AMIActionTests {
    @Test("An action encodes with CRLF, its ActionID and an empty line")
    func encodesWithCRLF() {
        let action = AMIAction("Login", actionID: "ep-1", [("Username", "gateway"), ("Secret", "s3cret")])
        #expect(String(decoding: action.encoded(), as: UTF8.self)
                == "Action: Login\r\nActionID: ep-1\r\nUsername: gateway\r\nSecret: s3cret\r\n\r\n")
    }

    @Test("Line breaks inside values cannot inject extra headers")
    func lineBreaksAreNeutralised() {
        let action = AMIAction("Originate", [("Variable", "a=1\r\nAction: Logoff")])
        let decoded = messages(AMIDecoderVerifier.decode(action.encoded(), .whole))
        #expect(decoded.count == 1)
        #expect(decoded.first?.values(for: "Action") == ["Originate"])
    }

    @Test("Printing an action hides Secret and Key")
    func descriptionRedactsCredentials() {
        let action = AMIAction("Login", [("Username", "u"), ("Secret", "hunter2"), ("Key", "abc123")])
        #expect(!action.description.contains("hunter2"))
        #expect(!action.description.contains("abc123"))
        #expect(action.description.contains("Username: u"))
    }
}
