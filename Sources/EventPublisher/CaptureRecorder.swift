import AMIClient
import Configuration
import Foundation
import Observability
import Synchronization

/// Records what a PBX sends over AMI into a `.ami` capture file, byte for byte from the banner on,
/// in the same format as the bundled fixtures — so `event-publisher replay FILE` shows what the
/// daemon would publish for it, and a capture attached to a bug report reproduces the problem.
///
/// It logs in like the daemon (plain or MD5) but asks for no live-channel list, so the file holds
/// only the banner, the login answer and the event stream (keepalive answers are harmless: replay
/// skips responses). What we send, the secret included, is never written. The file is created
/// 0600 and never overwritten: it holds phone numbers.
public enum CaptureRecorder {
    public struct Limits: Sendable {
        /// Stop after this long (nil: until stopped).
        public var duration: Duration?
        /// Stop after this many AMI events (nil: no limit).
        public var maxEvents: Int?

        public init(duration: Duration? = nil, maxEvents: Int? = nil) {
            self.duration = duration
            self.maxEvents = maxEvents
        }
    }

    public struct Summary: Sendable, Equatable {
        public var bytes: Int
        public var events: Int
        /// Why the recording ended: `stopped`, `duration reached`, `event limit reached`, or the
        /// disconnect reason (`closed by peer`, …).
        public var endReason: String
    }

    public struct RecorderError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Records until `limits` are reached, `stop` is signalled (SIGINT in the CLI), or Asterisk
    /// disconnects. Throws when the file cannot be created, the PBX cannot be reached, or the login
    /// is refused; an empty file is removed then.
    public static func record(ami: AMISettings, to path: String, limits: Limits, stop: DispatchSemaphore,
                              logger: Logger) throws(RecorderError) -> Summary {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(0o600))
        guard fd >= 0 else {
            let reason = errno == EEXIST ? "already exists (choose another name)" : String(cString: strerror(errno))
            throw RecorderError(description: "\(path): \(reason)")
        }
        let state = Mutex(RecordingState())
        let configuration = AMIClient.Configuration(
            host: ami.host, port: UInt16(ami.port), username: ami.username, secret: ami.secret,
            useMD5: ami.usesMD5Challenge, requestsLiveChannels: false,
            rawInputObserver: { bytes in
                state.withLock { state in
                    guard state.writeError == nil else { return }
                    if let problem = writeAll(fd, bytes) { state.writeError = problem } else { state.bytes += bytes.count }
                }
            })
        let client = AMIClient(configuration: configuration, logger: logger)
        let maxEvents = limits.maxEvents
        client.start { event in
            let shouldStop: Bool = state.withLock { state in
                switch event {
                case .connected:
                    state.connected = true
                    return false
                case .message(let message):
                    guard message.eventName != nil else { return false }
                    state.events += 1
                    if let maxEvents, state.events >= maxEvents, state.endReason == nil {
                        state.endReason = "event limit reached"
                        return true
                    }
                    return state.writeError != nil
                case .liveChannels:
                    return false
                case .disconnected(let reason):
                    if state.endReason == nil { state.endReason = reason.description }
                    return true
                case .authenticationFailed(let text):
                    state.endReason = state.endReason ?? "authentication failed: \(text)"
                    return true
                }
            }
            if shouldStop { stop.signal() }
        }
        let stoppedInTime: Bool
        if let duration = limits.duration {
            stoppedInTime = stop.wait(timeout: .now() + .milliseconds(Int(duration.milliseconds))) == .success
        } else {
            stop.wait()
            stoppedInTime = true
        }
        state.withLock { state in
            if state.endReason == nil { state.endReason = stoppedInTime ? "stopped" : "duration reached" }
        }
        client.stop()
        fsync(fd)
        close(fd)
        let final = state.withLock { $0 }
        if let problem = final.writeError {
            throw RecorderError(description: "\(path): write failed: \(problem)")
        }
        if !final.connected {
            // Nothing worth keeping: at most a banner and a refused login.
            unlink(path)
            let reason = final.endReason.map { ["stopped", "duration reached"].contains($0) ? "no login before \($0)" : $0 }
                ?? "not connected"
            throw RecorderError(description: "AMI at \(ami.host):\(ami.port): \(reason)")
        }
        return Summary(bytes: final.bytes, events: final.events, endReason: final.endReason ?? "stopped")
    }

    private struct RecordingState {
        var bytes = 0
        var events = 0
        var connected = false
        var endReason: String?
        var writeError: String?
    }

    /// Writes every byte (retrying short writes and EINTR); the reason on failure.
    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> String? {
        guard var pointer = bytes.baseAddress else { return nil }
        var remaining = bytes.count
        while remaining > 0 {
            let written = write(fd, pointer, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            pointer += written
            remaining -= written
        }
        return nil
    }
}

private extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
