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

    @Test("A key matches exactly when its bytes are equal after ASCII lowercasing, in any spelling")
    func keyMatchingAgainstLowercasing() {
        // Bytes around the letters whose `| 0x20` or lowercasing could be confused: `@`/`` ` ``,
        // `[`/`{`, CR/`-`, `Z`/`z`, non-ASCII bytes.
        let alphabet: [UInt8] = Array("aAzZ@`[{-\r_09".utf8) + [0xC3, 0xA9, 0x7F]
        var random = SystemRandomNumberGenerator()
        func lowered(_ bytes: [UInt8]) -> [UInt8] { bytes.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 } }
        for _ in 0..<3000 {
            let length = Int.random(in: 1...6, using: &random)
            let stored = (0..<length).map { _ in alphabet.randomElement(using: &random)! }
            var asked = stored
            if Bool.random(using: &random) {
                let position = Int.random(in: 0..<length, using: &random)
                asked[position] = alphabet.randomElement(using: &random)!
            }
            let storedKey = String(decoding: stored, as: UTF8.self), askedKey = String(decoding: asked, as: UTF8.self)
            let message = AMIMessage([(storedKey, "v")])
            let matches = lowered(Array(storedKey.utf8)) == lowered(Array(askedKey.utf8))
            #expect((message[askedKey] == "v") == matches, "\(stored) asked as \(asked)")
            #expect(message.contains(askedKey) == matches)
        }
    }
}
