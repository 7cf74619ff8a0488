import CallEvents
import EventPublisher
import Foundation
import Storage
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built `event-publisher` binary as a child process, killed with SIGKILL while deliveries are
/// pending (the receiver is slow and fails its first requests), then restarted on the same SQLite
/// file: every event still arrives, duplicates only with the same `webhook-id`.
///
/// The binary is found by ``DaemonBinary`` (beside the test executable, which `swift test` builds
/// together with every product; or `$EVENT_PUBLISHER_BINARY`).
@Suite("Crash recovery: kill -9 with deliveries pending", .serialized)
struct CrashRecoveryTests {
    @Test("kill -9 mid-run loses no event: after a restart every event arrives, duplicates keep their webhook-id",
          .enabled(if: DaemonBinary.isAvailable, "the event-publisher binary is not built"))
    func killNineMidRunLosesNothing() throws {
        let folder = try TemporaryFolder("ep-crash")
        // The server streams nothing on its own: the capture is sent once, to the first daemon only,
        // so whatever the second daemon delivers must come from the outbox on disk.
        let server = try AMIReplayServer(configuration: AMIReplayServer.Configuration())
        defer { server.stop() }
        let messages = try AMIReplayServer.streamableMessages(ofCapture: EndToEnd.concurrentCapture)

        let slowPhase = Atomic<Bool>(true)
        let verdicts = ReceiverVerdicts()
        let receiver = try WebhookReceiver { request in
            if slowPhase.load(ordering: .acquiring) {
                // Failing at first, then slow: deliveries stay pending and in flight.
                if request.index < 3 {
                    verdicts.record(request.index, accepted: false)
                    return .status(503, body: "starting up")
                }
                verdicts.record(request.index, accepted: true)
                return .delayed(milliseconds: 400, .ok)
            }
            verdicts.record(request.index, accepted: true)
            return .ok
        }
        defer { receiver.stop() }

        let storePath = folder.file("store.sqlite")
        let configPath = try EndToEndConfiguration(amiPort: Int(server.port), storePath: storePath,
                                                   webhookURL: receiver.url).write(to: folder.file("config.yaml"))
        let expected = try EndToEnd.expectedEvents(capture: EndToEnd.concurrentCapture, configPath: configPath)

        // First run: ingest everything, then die hard while deliveries are pending.
        let first = try DaemonProcess(configPath: configPath, logPath: folder.file("daemon-1.log"))
        #expect(server.wait(timeout: .seconds(15)) { stats in
            stats.actions.contains { $0.action?.lowercased() == "coreshowchannels" }
        }, "the daemon never logged in: \(first.log)")
        server.stream(messages)
        let stored = try EndToEnd.wait(timeout: .seconds(15)) {
            guard FileManager.default.fileExists(atPath: storePath) else { return false }
            let counts = try Outbox(path: storePath).counts()
            return counts.pending + counts.delivered + counts.failed >= expected.count
        }
        #expect(stored, "the outbox never held every event")
        receiver.wait(timeout: .seconds(10)) { $0.count >= 6 }
        first.kill9()
        #expect(first.process.terminationReason == .uncaughtSignal)
        let afterKill = try Outbox(path: storePath).counts()
        #expect(afterKill.pending > 0, "the kill came too late to test anything: \(afterKill)")
        #expect(afterKill.pending + afterKill.delivered + afterKill.failed == expected.count)

        // Second run on the same database; the receiver is healthy now.
        slowPhase.store(false, ordering: .releasing)
        let second = try DaemonProcess(configPath: configPath, logPath: folder.file("daemon-2.log"))
        defer { second.terminate() }
        let complete = receiver.wait(timeout: .seconds(20)) { requests in
            Set(requests.receivedEvents(verdicts: verdicts).filter(\.accepted).map(\.eventID)).count >= expected.count
        }
        #expect(complete, "missing after restart: \(Set(expected.map(\.id)).subtracting(receiver.requests.receivedEvents(verdicts: verdicts).filter(\.accepted).map(\.eventID)).sorted())\n\(second.log.suffix(3000))")

        let received = receiver.requests.receivedEvents(verdicts: verdicts)
        #expect(Set(received.map(\.eventID)) == Set(expected.map(\.id)), "no unexpected event")
        #expect(DeliveryChecks.webhookIDsMatchEventIDs(received).isEmpty, "duplicates only with the same webhook-id")
        #expect(DeliveryChecks.perCallOrderViolations(received) == [])
        #expect(second.terminate() == 0, "graceful stop after the restart")
        let final = try Outbox(path: storePath).counts()
        #expect(final.pending == 0 && final.failed == 0 && final.delivered == expected.count, "\(final)")
    }
}
