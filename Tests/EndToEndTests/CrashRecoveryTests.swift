import AMIProtocol
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

/// A restart in the middle of a call: the PBX still has the call's channels (CoreShowChannels lists
/// them), the new process adopts them and must still deliver the call's finished events.
@Suite("Restart during a call", .serialized)
struct RestartDuringCallTests {
    /// The `CoreShowChannel` items a PBX would answer for the channels created and not hung up in `sent`.
    static func liveChannels(after sent: [AMIMessage]) -> [AMIMessage] {
        var order: [String] = []
        var latest: [String: AMIMessage] = [:]
        var bridges: [String: String] = [:]
        for message in sent {
            guard let id = message["Uniqueid"], message["Channel"] != nil else { continue }
            if message.isEvent("Hangup") {
                latest[id] = nil
                order.removeAll { $0 == id }
                continue
            }
            if latest[id] == nil { order.append(id) }
            latest[id] = message
            if message.isEvent("BridgeEnter") { bridges[id] = message["BridgeUniqueid"] }
            if message.isEvent("BridgeLeave") { bridges[id] = nil }
        }
        return order.compactMap { id in
            guard let m = latest[id] else { return nil }
            var fields: [(String, String)] = [("Event", "CoreShowChannel")]
            for key in ["Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName", "ConnectedLineNum",
                        "ConnectedLineName", "Language", "AccountCode", "Context", "Exten", "Priority", "Uniqueid", "Linkedid"] {
                if let value = m[key] { fields.append((key, value)) }
            }
            fields += [("BridgeId", bridges[id] ?? ""), ("Application", "Dial"), ("ApplicationData", ""),
                       ("Duration", "00:00:05")]
            return AMIMessage(fields)
        }
    }

    @Test("A call in progress across a daemon restart still ends with a finished event for every leg",
          arguments: ["01-internal-answered-caller-hangup.ami", "08-inbound-queue-agent-answers.ami",
                      "10-queue-ringall-two-agents.ami", "12-blind-transfer.ami"])
    func callInProgressAcrossRestartStillFinishes(captureName: String) throws {
        let folder = try TemporaryFolder("ep-restart")
        let capture = Fixtures.path("fixtures/ami/\(captureName)")
        let messages = try AMIReplayServer.streamableMessages(ofCapture: capture)
        let split = try #require(messages.firstIndex { $0.isEvent("Hangup") })
        let before = Array(messages[..<split]), after = Array(messages[split...])
        let live = Self.liveChannels(after: before)
        try #require(!live.isEmpty)

        let first = try AMIReplayServer(configuration: AMIReplayServer.Configuration(events: before))
        defer { first.stop() }
        let second = try AMIReplayServer(configuration: AMIReplayServer.Configuration(liveChannels: live))
        defer { second.stop() }
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let configPath = try EndToEndConfiguration(amiPort: Int(first.port), storePath: folder.file("store.sqlite"),
                                                   webhookURL: receiver.url).write(to: folder.file("config.yaml"))
        let (logger, _) = EndToEnd.capturingLogger(level: .info)

        let daemon1 = Daemon(options: EndToEnd.options(configPath: configPath, amiPort: first.port, logger: logger))
        try daemon1.start()
        let startedLegs = { Set(receiver.requests.receivedEvents().filter { $0.type == "call.event_call_started" }.compactMap(\.legID)) }
        #expect(receiver.wait(timeout: .seconds(10)) { _ in startedLegs().count >= 2 }, "the call did not start")
        usleep(300_000)
        daemon1.stop(deliveryTimeout: .seconds(2))
        let beforeRestart = receiver.requests.count

        // The same PBX, reached again after the restart: it still has the call.
        let daemon2 = Daemon(options: EndToEnd.options(configPath: configPath, amiPort: second.port, logger: logger))
        try daemon2.start()
        defer { daemon2.stop(deliveryTimeout: .seconds(2)) }
        #expect(EndToEnd.wait(timeout: .seconds(10)) {
            second.statistics.actions.contains { $0.action?.lowercased() == "coreshowchannels" }
        })
        usleep(300_000)
        second.stream(after)
        let legs = startedLegs()
        let finished = receiver.wait(timeout: .seconds(10)) { requests in
            let done = Set(requests.receivedEvents().filter { $0.type == "call.event_call_finished" }.compactMap(\.legID))
            return legs.isSubset(of: done)
        }
        let received = receiver.requests.receivedEvents()
        if ProcessInfo.processInfo.environment["E2E_VERBOSE"] != nil {
            print(received.map { "\($0.eventID) \($0.type) \($0.legID ?? "-")" }.joined(separator: "\n"))
        }
        #expect(finished, "legs without a finished event after the restart; \(beforeRestart) requests before, \(received.count) after: \(received.map { "\($0.eventID) \($0.type)" })")
        // One id is one event (a receiver de-duplicating by webhook-id keeps the right one).
        var identityByID: [String: String] = [:]
        for event in received {
            let identity = "\(event.type) \(event.legID ?? "-")"
            if let seen = identityByID[event.eventID] {
                #expect(seen == identity, "\(event.eventID) was \(seen), now \(identity)")
            }
            identityByID[event.eventID] = identity
        }
        #expect(DeliveryChecks.perCallOrderViolations(received) == [])
    }
}
