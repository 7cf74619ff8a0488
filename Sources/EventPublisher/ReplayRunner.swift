import AMIProtocol
import CallCorrelation
import CallEvents
import Foundation

/// Runs a captured AMI stream through the same loop the live daemon uses: bytes → frames →
/// messages → ``CorrelationSession`` → call events.
///
/// The instant of each message is its `Timestamp:` header (`timestampevents = yes`); a message
/// without one (responses, list items) gets the last instant seen, so time never goes backwards.
/// At the end of the capture every leg still open is finished (a capture can stop mid-call).
public enum ReplayRunner {
    /// What a replay produced.
    public struct Output: Sendable {
        public var events: [CallEvent]
        public var diagnostics: [CorrelationDiagnostic]
        public var decodingDiagnostics: [AMIDecodingDiagnostic]
        /// AMI messages fed to the correlator (the banner excluded).
        public var messageCount: Int

        /// One JSON envelope per line, the `replay` command's output.
        public var jsonLines: String {
            var bytes: [UInt8] = []
            for event in events {
                bytes += event.encodedJSON()
                bytes.append(UInt8(ascii: "\n"))
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    public enum ReplayError: Error, CustomStringConvertible {
        case unreadable(path: String)
        public var description: String {
            switch self {
            case .unreadable(let path): return "cannot read capture \(path)"
            }
        }
    }

    /// Reads and replays a capture file.
    public static func run(
        capture path: String, configuration: CorrelationConfiguration = .sample
    ) throws -> Output {
        run(bytes: try readCapture(path), configuration: configuration)
    }

    /// Replays capture bytes. Fed in 64 KiB chunks, as a socket would deliver them.
    public static func run(bytes: [UInt8], configuration: CorrelationConfiguration = .sample) -> Output {
        var session = CorrelationSession(configuration: configuration)
        var output = Output(
            events: [], diagnostics: session.correlator.configurationDiagnostics, decodingDiagnostics: [],
            messageCount: 0)
        forEachFrame(in: bytes) { frame in
            switch frame {
            case .banner: break
            case .malformed(let diagnostic): output.decodingDiagnostics.append(diagnostic)
            case .message(let message):
                output.messageCount += 1
                let result = session.ingest(message)
                output.events += result.events
                output.diagnostics += result.diagnostics
            }
        }
        let closing = session.finish()
        output.events += closing.events
        output.diagnostics += closing.diagnostics
        return output
    }

    /// The decoded messages of a capture (`replay --raw`), the banner excluded.
    public static func messages(capture path: String) throws -> [AMIMessage] {
        var messages: [AMIMessage] = []
        forEachFrame(in: try readCapture(path)) { frame in
            if case .message(let message) = frame { messages.append(message) }
        }
        return messages
    }

    static func forEachFrame(in bytes: [UInt8], _ body: (AMIFrame) -> Void) {
        var decoder = AMIFrameDecoder()
        let chunk = 64 * 1024
        var start = 0
        while start < bytes.count {
            let end = min(start + chunk, bytes.count)
            decoder.feed(bytes[start..<end])
            while let frame = decoder.next() { body(frame) }
            start = end
        }
        for frame in decoder.finish() { body(frame) }
    }

    static func readCapture(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ReplayError.unreadable(path: path) }
        return [UInt8](data)
    }
}
