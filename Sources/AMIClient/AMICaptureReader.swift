import AMIProtocol
import Glibc

/// Why a capture could not be read.
public enum AMICaptureError: Error, Sendable, Hashable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case readFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "cannot open AMI capture \(path): \(reason)"
        case .readFailed(let path, let reason): return "cannot read AMI capture \(path): \(reason)"
        }
    }
}

/// Reads a recorded AMI byte stream (`.ami` file, or any file descriptor such as stdin) in chunks
/// and yields the decoder's frames. Replay and the live client share ``AMIFrameDecoder``, so a
/// capture decodes exactly as the same bytes would from a socket.
///
/// Memory stays bounded by the chunk size plus one message whatever the file size.
/// Not thread-safe: one reader per thread.
public final class AMICaptureReader {
    public let path: String
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var decoder: AMIFrameDecoder
    private let chunk: UnsafeMutableRawBufferPointer
    private var ended = false
    private var tail: [AMIFrame] = []
    /// Bytes read so far.
    public private(set) var bytesRead = 0
    /// Diagnostics met by ``nextMessage()`` (which skips them), in order.
    public private(set) var diagnostics: [AMIDecodingDiagnostic] = []
    /// The banner's AMI version, once seen.
    public private(set) var bannerVersion: String?

    /// Opens `path` for reading.
    public convenience init(path: String, chunkSize: Int = 1 << 20,
                            limits: AMIFrameDecoder.Limits = AMIFrameDecoder.Limits()) throws(AMICaptureError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        self.init(fileDescriptor: fd, path: path, ownsDescriptor: true, chunkSize: chunkSize, limits: limits)
    }

    /// Reads from an open descriptor (e.g. 0 for stdin). `ownsDescriptor` closes it on deinit.
    public init(fileDescriptor: Int32, path: String = "-", ownsDescriptor: Bool = false, chunkSize: Int = 1 << 20,
                limits: AMIFrameDecoder.Limits = AMIFrameDecoder.Limits()) {
        self.fd = fileDescriptor
        self.path = path
        self.ownsDescriptor = ownsDescriptor
        self.decoder = AMIFrameDecoder(limits: limits)
        self.chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: max(chunkSize, 4096), alignment: 16)
    }

    deinit {
        chunk.deallocate()
        if ownsDescriptor { close(fd) }
    }

    /// The next frame (banner, message or diagnostic), or nil at the end of the stream.
    public func nextFrame() throws(AMICaptureError) -> AMIFrame? {
        while true {
            if let frame = decoder.next() { return frame }
            if !tail.isEmpty { return tail.removeFirst() }
            if ended { return nil }
            let count = read(fd, chunk.baseAddress, chunk.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw .readFailed(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 {
                ended = true
                tail = decoder.finish()
                continue
            }
            bytesRead += count
            decoder.feed(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
        }
    }

    /// The next message, skipping the banner and malformed input (collected in ``diagnostics``).
    public func nextMessage() throws(AMICaptureError) -> AMIMessage? {
        while let frame = try nextFrame() {
            switch frame {
            case .message(let message): return message
            case .banner(let version): bannerVersion = version
            case .malformed(let diagnostic): diagnostics.append(diagnostic)
            }
        }
        return nil
    }

    /// Calls `body` for every message of the capture at `path`, in order.
    public static func forEachMessage(path: String,
                                      _ body: (AMIMessage) throws -> Void) throws {
        let reader = try AMICaptureReader(path: path)
        while let message = try reader.nextMessage() { try body(message) }
    }

    /// All frames of the capture at `path` (for tests and small files).
    public static func readFrames(path: String) throws(AMICaptureError) -> [AMIFrame] {
        let reader = try AMICaptureReader(path: path)
        var frames: [AMIFrame] = []
        while let frame = try reader.nextFrame() { frames.append(frame) }
        return frames
    }
}
