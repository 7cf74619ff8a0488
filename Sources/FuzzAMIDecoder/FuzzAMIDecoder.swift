// libFuzzer target: arbitrary bytes through AMIFrameDecoder, fed in two chunks (split at the
// first input byte) so the incremental path is exercised, then finish(). Also checks that every
// decoded message re-encodes and decodes again without a crash.
// Build and run: scripts/fuzz.sh ami-decoder SECONDS (see docs/RELIABILITY.md).
import AMIProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAMIDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    // Small limits so the size guards (line, message, field count) are reached by small inputs.
    let limits = AMIFrameDecoder.Limits(maxLineBytes: 256, maxMessageBytes: 2048, maxFields: 32)
    var decoder = AMIFrameDecoder(limits: size % 2 == 0 ? limits : AMIFrameDecoder.Limits())
    let split = size == 0 ? 0 : Int(bytes[0]) % (size + 1)
    decoder.feed(bytes[0..<split])
    var frames = decoder.decodeAvailable()
    decoder.feed(bytes[split..<size])
    frames += decoder.decodeAvailable()
    frames += decoder.finish()
    for frame in frames {
        if case .message(let message) = frame {
            var again = AMIFrameDecoder()
            again.feed(message.encoded())
            _ = again.decodeAvailable()
            _ = again.finish()
        }
    }
    return 0
}
