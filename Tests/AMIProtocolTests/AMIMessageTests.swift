import AMIProtocol
import Testing

@Suite("AMI messages")
struct AMIMessageTests {
    @Test("Keys are looked up case-insensitively and repeated keys are kept in order")
    func caseInsensitiveLookupAndRepeatedKeys() {
        var decoder = AMIFrameDecoder()
        decoder.feed(Array("Event: VarSet\r\nchanVariable: A=1\r\nChanVariable: B=2\r\n\r\n".utf8))
        let frames = decoder.decodeAvailable()
        guard case .message(let message) = frames.first else {
            Issue.record("expected a message, got \(frames)")
            return
        }
        #expect(message["event"] == "VarSet")
        #expect(message.values(for: "CHANVARIABLE") == ["A=1", "B=2"])
    }
}
