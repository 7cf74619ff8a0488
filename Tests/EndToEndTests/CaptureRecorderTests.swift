import AMIProtocol
import Configuration
import EventPublisher
import Foundation
import TestSupport
import Testing

/// `event-publisher record`: a capture recorded from a live AMI session replays to the same call
/// events as the capture the server streamed, and failures name the problem without leaving files.
@Suite("Recording an AMI capture")
struct CaptureRecorderTests {
    private func settings(port: UInt16, secret: String = "secret") -> AMISettings {
        AMISettings(host: "127.0.0.1", port: Int(port), username: "gateway", secret: secret)
    }

    @Test("A recorded session replays to exactly the events of the streamed capture, and holds no secret")
    func recordingReplaysLikeTheOriginal() throws {
        let folder = try TemporaryFolder("ep-record")
        let capture = EndToEnd.concurrentCapture
        let streamed = try AMIReplayServer.streamableMessages(ofCapture: capture)
        let server = try AMIReplayServer(configuration: AMIReplayServer.Configuration(events: streamed))
        defer { server.stop() }
        let out = folder.file("recorded.ami")
        let expectedEvents = streamed.filter { $0.eventName != nil }.count

        let summary = try CaptureRecorder.record(
            ami: settings(port: server.port), to: out,
            limits: CaptureRecorder.Limits(duration: .seconds(30), maxEvents: expectedEvents),
            stop: DispatchSemaphore(value: 0), logger: EndToEnd.capturingLogger(level: .warning).0)

        #expect(summary.events == expectedEvents)
        #expect(summary.endReason == "event limit reached")
        let recorded = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(summary.bytes == recorded.count)
        #expect(String(decoding: recorded.prefix(26), as: UTF8.self) == "Asterisk Call Manager/11.0")
        #expect(!String(decoding: recorded, as: UTF8.self).contains("Secret"))
        let permissions = try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? NSNumber
        #expect(permissions?.intValue == 0o600)

        let original = try ReplayRunner.run(capture: capture)
        let replayed = try ReplayRunner.run(capture: out)
        #expect(original.events.count > 50)
        #expect(replayed.jsonLines == original.jsonLines)
    }

    @Test("An existing file is never overwritten")
    func refusesToOverwrite() throws {
        let folder = try TemporaryFolder("ep-record")
        let out = folder.file("kept.ami")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: out))
        let error = #expect(throws: CaptureRecorder.RecorderError.self) {
            try CaptureRecorder.record(ami: settings(port: 1), to: out, limits: CaptureRecorder.Limits(),
                                       stop: DispatchSemaphore(value: 0), logger: EndToEnd.capturingLogger().0)
        }
        #expect(error?.description == "\(out): already exists (choose another name)")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "keep me")
    }

    @Test("A refused login or an unreachable PBX is reported with its reason and leaves no file")
    func reportsLoginAndConnectFailures() throws {
        let folder = try TemporaryFolder("ep-record")
        let server = try AMIReplayServer(configuration: AMIReplayServer.Configuration())
        let out = folder.file("refused.ami")
        let refused = #expect(throws: CaptureRecorder.RecorderError.self) {
            try CaptureRecorder.record(ami: settings(port: server.port, secret: "wrong"), to: out,
                                       limits: CaptureRecorder.Limits(duration: .seconds(20)),
                                       stop: DispatchSemaphore(value: 0), logger: EndToEnd.capturingLogger().0)
        }
        #expect(refused?.description.hasPrefix("AMI at 127.0.0.1:\(server.port): authentication failed") == true)
        #expect(!FileManager.default.fileExists(atPath: out))

        let port = server.port
        server.stop()
        let unreachable = #expect(throws: CaptureRecorder.RecorderError.self) {
            try CaptureRecorder.record(ami: settings(port: port), to: out,
                                       limits: CaptureRecorder.Limits(duration: .seconds(20)),
                                       stop: DispatchSemaphore(value: 0), logger: EndToEnd.capturingLogger().0)
        }
        #expect(unreachable?.description.contains("connect failed") == true)
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
