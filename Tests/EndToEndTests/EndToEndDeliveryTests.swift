import CallEvents
import EventPublisher
import Foundation
import Observability
import Storage
import Synchronization
import TestSupport
import Testing

/// AMI server streaming a real capture → the daemon (in-process, real sockets, real SQLite file) →
/// a real HTTP receiver. The expected set is what `event-publisher replay` emits for the capture.
@Suite("End to end: AMI capture to webhook", .serialized)
struct EndToEndDeliveryTests {
    @Test("Every event of a 10-call capture arrives exactly once, in per-call sequence order, as replay emits it")
    func concurrentCaptureArrivesOnceInOrder() throws {
        let folder = try TemporaryFolder()
        let server = try AMIReplayServer(configuration: .replaying(capture: EndToEnd.concurrentCapture))
        defer { server.stop() }
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let configPath = try EndToEndConfiguration(amiPort: Int(server.port), storePath: folder.file("store.sqlite"),
                                                   webhookURL: receiver.url).write(to: folder.file("config.yaml"))
        let expected = try EndToEnd.expectedEvents(capture: EndToEnd.concurrentCapture, configPath: configPath)
        try #require(expected.count > 40, "the capture should yield dozens of events")

        let (logger, _) = EndToEnd.capturingLogger(level: .info)
        let daemon = Daemon(options: EndToEnd.options(configPath: configPath, amiPort: server.port, logger: logger))
        try daemon.start()
        defer { daemon.stop(deliveryTimeout: .seconds(2)) }

        let arrived = receiver.wait(timeout: .seconds(15)) { Set($0.receivedEvents().map(\.eventID)).count >= expected.count }
        #expect(arrived, "only \(receiver.requests.count) of \(expected.count) events arrived")
        // A short grace period: nothing more (no duplicate, no extra event) may follow.
        usleep(300_000)

        let received = receiver.requests.receivedEvents()
        #expect(received.count == expected.count, "exactly once: \(received.count) requests for \(expected.count) events")
        #expect(Set(received.map(\.eventID)) == Set(expected.map(\.id)))
        #expect(DeliveryChecks.webhookIDsMatchEventIDs(received).isEmpty)
        #expect(DeliveryChecks.perCallOrderViolations(received) == [])
        // Same content as replay: type and sequence of every event.
        let expectedByID = Dictionary(uniqueKeysWithValues: expected.map { ($0.id, $0) })
        for event in received {
            guard let want = expectedByID[event.eventID] else { continue }
            #expect(event.type == want.type.rawValue && event.sequence == want.sequence && event.callID == want.callID,
                    "\(event.eventID) differs from replay")
        }
        for request in receiver.requests {
            #expect(request.method == "POST")
            #expect(request.header("content-type")?.hasPrefix("application/json") == true)
            #expect(request.header("webhook-timestamp") != nil)
        }
    }

    @Test("Events of one call wait for the previous one while the receiver fails, then arrive in order")
    func perCallOrderHoldsUnderFailures() throws {
        let folder = try TemporaryFolder()
        let capture = Fixtures.path("fixtures/ami/01-internal-answered-caller-hangup.ami")
        let server = try AMIReplayServer(configuration: .replaying(capture: capture))
        defer { server.stop() }
        let verdicts = ReceiverVerdicts()
        // Every first attempt of an event fails (500 or a dropped connection); retries succeed.
        let seen = LockedSet()
        let receiver = try WebhookReceiver { request in
            let id = request.header("webhook-id") ?? ""
            let first = seen.insert(id)
            verdicts.record(request.index, accepted: !first)
            if !first { return .ok }
            return request.index % 2 == 0 ? .status(500, body: "try later") : .drop
        }
        defer { receiver.stop() }
        let configPath = try EndToEndConfiguration(amiPort: Int(server.port), storePath: folder.file("store.sqlite"),
                                                   webhookURL: receiver.url).write(to: folder.file("config.yaml"))
        let expected = try EndToEnd.expectedEvents(capture: capture, configPath: configPath)
        let (logger, _) = EndToEnd.capturingLogger(level: .info)
        let daemon = Daemon(options: EndToEnd.options(configPath: configPath, amiPort: server.port, logger: logger,
                                                      retrySchedule: [.milliseconds(100), .milliseconds(200)]))
        try daemon.start()
        defer { daemon.stop(deliveryTimeout: .seconds(2)) }

        let done = receiver.wait(timeout: .seconds(15)) { requests in
            Set(requests.receivedEvents(verdicts: verdicts).filter(\.accepted).map(\.eventID)).count >= expected.count
        }
        #expect(done, "not every event was accepted in time")
        let received = receiver.requests.receivedEvents(verdicts: verdicts)
        #expect(Set(received.filter(\.accepted).map(\.eventID)) == Set(expected.map(\.id)))
        #expect(DeliveryChecks.webhookIDsMatchEventIDs(received).isEmpty)
        #expect(DeliveryChecks.perCallOrderViolations(received) == [])
    }
}

/// A set of strings shared with a receiver's responder closure.
final class LockedSet: Sendable {
    private let values = Mutex<Set<String>>([])
    /// Inserts; true when it was new.
    func insert(_ value: String) -> Bool { values.withLock { $0.insert(value).inserted } }
    var count: Int { values.withLock { $0.count } }
}

