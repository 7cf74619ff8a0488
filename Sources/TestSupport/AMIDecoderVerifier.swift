import AMIProtocol

/// Feeds the same bytes to ``AMIFrameDecoder`` in different chunkings and reports whether the
/// frames agree (NIO's `ByteToMessageDecoderVerifier`, rebuilt for AMI). Socket reads split input
/// anywhere; this is what catches partial-line bugs.
public enum AMIDecoderVerifier {
    /// A chunking strategy.
    public enum Chunking: Sendable, Hashable, CustomStringConvertible {
        case whole
        case byteByByte
        case randomSplits(seed: UInt64, maxChunk: Int)
        case atEveryLineEnd
        case fixed(Int)

        public var description: String {
            switch self {
            case .whole: return "whole"
            case .byteByByte: return "one byte at a time"
            case .randomSplits(let seed, let maxChunk): return "random splits (seed \(seed), ≤ \(maxChunk) bytes)"
            case .atEveryLineEnd: return "split at every line end"
            case .fixed(let size): return "\(size)-byte chunks"
            }
        }
    }

    /// Decodes `bytes` fed in the given chunking, including the frames of `finish()`.
    public static func decode(_ bytes: [UInt8], _ chunking: Chunking,
                              limits: AMIFrameDecoder.Limits = AMIFrameDecoder.Limits()) -> [AMIFrame] {
        var decoder = AMIFrameDecoder(limits: limits)
        var frames: [AMIFrame] = []
        func feed(_ range: Range<Int>) {
            decoder.feed(bytes[range])
            while let frame = decoder.next() { frames.append(frame) }
        }
        switch chunking {
        case .whole:
            feed(0..<bytes.count)
        case .byteByByte:
            for index in bytes.indices { feed(index..<(index + 1)) }
        case .fixed(let size):
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + max(1, size))
                feed(start..<end)
                start = end
            }
        case .randomSplits(let seed, let maxChunk):
            var generator = SplitMix64(seed: seed)
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + Int.random(in: 1...max(1, maxChunk), using: &generator))
                feed(start..<end)
                start = end
            }
        case .atEveryLineEnd:
            var start = 0
            var index = 0
            while index < bytes.count {
                if bytes[index] == 0x0A {
                    // Split between CR and LF as well as after LF: both happen on sockets.
                    if index > start && bytes[index - 1] == 0x0D { feed(start..<index); start = index }
                    feed(start..<(index + 1))
                    start = index + 1
                }
                index += 1
            }
            if start < bytes.count { feed(start..<bytes.count) }
        }
        frames += decoder.finish()
        return frames
    }

    /// The first chunking whose frames differ from decoding the bytes whole, with the index of
    /// the first differing frame; nil when all agree.
    public static func firstMismatch(_ bytes: [UInt8], chunkings: [Chunking],
                                     limits: AMIFrameDecoder.Limits = AMIFrameDecoder.Limits())
        -> (chunking: Chunking, frameIndex: Int)?
    {
        let reference = decode(bytes, .whole, limits: limits)
        for chunking in chunkings {
            let frames = decode(bytes, chunking, limits: limits)
            if frames != reference {
                let index = zip(frames, reference).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                    ?? min(frames.count, reference.count)
                return (chunking, index)
            }
        }
        return nil
    }
}

/// A small deterministic generator (SplitMix64) for reproducible "random" test input.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
