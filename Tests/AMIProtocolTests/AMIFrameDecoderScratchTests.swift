import AMIProtocol
import Testing

/// The decoder keeps the spans of the message being assembled in a scratch buffer shared by copies
/// until one of them decodes (`FieldSpanScratch`): copies must still decode independently.
@Suite("Decoder span scratch")
struct AMIFrameDecoderScratchTests {
    private func fields(_ frame: AMIFrame?) -> [String] {
        guard case .message(let message)? = frame else { return [] }
        return message.fields.map { "\($0.key)=\($0.value)" }
    }

    @Test("A decoder copied in the middle of a message decodes the same as the original")
    func copiedMidMessage() {
        var original = AMIFrameDecoder()
        original.feed(Array("Event: Newchannel\r\nChannel: PJSIP/1001-1\r\n".utf8))
        #expect(original.next() == nil)
        var copy = original
        original.feed(Array("Uniqueid: 1.1\r\n\r\n".utf8))
        copy.feed(Array("Uniqueid: 2.2\r\nLinkedid: 2.2\r\n\r\n".utf8))
        #expect(fields(copy.next()) == ["Event=Newchannel", "Channel=PJSIP/1001-1", "Uniqueid=2.2", "Linkedid=2.2"])
        #expect(fields(original.next()) == ["Event=Newchannel", "Channel=PJSIP/1001-1", "Uniqueid=1.1"])
    }

    @Test("A message with more fields than the scratch's first capacity keeps every field in order")
    func manyFields() {
        let count = 300
        var text = "Event: Big\r\n"
        for index in 0..<count { text += "Key\(index): value \(index)\r\n" }
        text += "\r\n"
        var decoder = AMIFrameDecoder()
        decoder.feed(Array(text.utf8))
        let decoded = fields(decoder.next())
        #expect(decoded.count == count + 1)
        #expect(decoded.last == "Key\(count - 1)=value \(count - 1)")
        #expect(decoded[1] == "Key0=value 0")
    }

    @Test("Short keys next to the end of the buffer are found (the key scan may read past the line)")
    func shortLinesAtBufferEnd() {
        var decoder = AMIFrameDecoder()
        for line in ["A: 1\r\n", "Bb:2\n", "C: \r\n", "\r\n"] {
            decoder.feed(Array(line.utf8))
        }
        #expect(fields(decoder.next()) == ["A=1", "Bb=2", "C="])
        decoder.feed(Array("NoColonHere\r\n".utf8))
        guard case .malformed(let diagnostic)? = decoder.next() else {
            Issue.record("expected a diagnostic")
            return
        }
        #expect(diagnostic.code == .lineWithoutColon)
    }
}
