import AMIProtocol
import CallCorrelation
import CallEvents
import Configuration
import EventPublisher
import Foundation
import Storage
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Calls that end while the daemon is down. The correlator's state is persisted beside the outbox
/// (`correlation_snapshot`); the next start restores it, and the first resync (an empty
/// `CoreShowChannels` list: every call ended meanwhile) finishes every leg the first run started.
@Suite("Restart reconstruction: calls that ended while the daemon was down", .serialized)
struct RestartReconstructionTests {
    static let capture = EndToEnd.concurrentCapture

    /// The first part of the capture (legs open at the cut) and the events a daemon stores for it.
    static func firstPart(configPath: String) throws -> (messages: [AMIMessage], events: [CallEvent]) {
        let messages = try AMIReplayServer.streamableMessages(ofCapture: capture)
        let cut = messages.count / 2
        let part = Array(messages[..<cut])
        var session = CorrelationSession(configuration: try GatewayConfiguration.load(path: configPath).correlation)
        let events = part.flatMap { session.ingest($0).events }
        return (part, events)
    }

    /// Every leg with a `started` got a `finished`, all its `finished` requests carry one event id
    /// (repeats only with the same webhook-id), and each call has at most one summary id.
    static func check(_ received: [ReceivedEvent], firstRun: [CallEvent]) {
        let started = Set(received.filter { $0.type == EventName.callStarted.rawValue }.compactMap(\.legID))
        var finishedIDs: [String: Set<String>] = [:]
        for event in received where event.type == EventName.callFinished.rawValue {
            if let leg = event.legID { finishedIDs[leg, default: []].insert(event.eventID) }
        }
        let firstRunLegs = Set(firstRun.filter { $0.type == .callStarted }.compactMap { $0.data["leg"]?["id"]?.stringValue })
        #expect(firstRunLegs.isSubset(of: started), "every leg the first run started was delivered")
        let unfinished = started.filter { finishedIDs[$0] == nil }
        #expect(unfinished.isEmpty, "legs started but never finished: \(unfinished.sorted())")
        let twice = finishedIDs.filter { $0.value.count > 1 }
        #expect(twice.isEmpty, "legs finished under several ids: \(twice)")
        var summaries: [String: Set<String>] = [:]
        for event in received where event.type == EventName.customerInteraction.rawValue {
            summaries[event.callID, default: []].insert(event.eventID)
        }
        #expect(summaries.values.allSatisfy { $0.count == 1 }, "calls summarised twice: \(summaries.filter { $0.value.count > 1 })")
        #expect(!summaries.isEmpty, "the calls that ended while down got their customer_interaction")
        #expect(DeliveryChecks.webhookIDsMatchEventIDs(received).isEmpty)
        #expect(DeliveryChecks.perCallOrderViolations(received) == [])
    }

    /// Waits until every leg the receiver saw start has finished and a summary arrived (bounded):
    /// `customer_interaction` comes after its call's last `finished`, so it may lag behind them.
    static func waitForEveryLegToFinish(_ receiver: WebhookReceiver, firstRun: [CallEvent]) -> Bool {
        let firstRunLegs = Set(firstRun.filter { $0.type == .callStarted }.compactMap { $0.data["leg"]?["id"]?.stringValue })
        return receiver.wait(timeout: .seconds(20)) { requests in
            let received = requests.receivedEvents()
            let started = Set(received.filter { $0.type == EventName.callStarted.rawValue }.compactMap(\.legID))
            let finished = Set(received.filter { $0.type == EventName.callFinished.rawValue }.compactMap(\.legID))
            let summarised = received.contains { $0.type == EventName.customerInteraction.rawValue }
            return firstRunLegs.isSubset(of: started) && started.isSubset(of: finished) && summarised
        }
    }

    static func storedDeliveries(_ storePath: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: storePath) else { return 0 }
        let counts = try Outbox(path: storePath).counts()
        return counts.pending + counts.delivered + counts.failed
    }

    @Test("Graceful stop mid-call, calls end while down: the next start finishes every started leg once")
    func gracefulStopThenCallsEndWhileDown() throws {
        let folder = try TemporaryFolder("ep-reconstruct")
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let storePath = folder.file("store.sqlite")
        let placeholder = try AMIReplayServer(configuration: AMIReplayServer.Configuration())
        let configPath = try EndToEndConfiguration(amiPort: Int(placeholder.port), storePath: storePath,
                                                   webhookURL: receiver.url).write(to: folder.file("config.yaml"))
        placeholder.stop()
        let (part, firstRun) = try Self.firstPart(configPath: configPath)
        #expect(firstRun.contains { $0.type == .callStarted })

        // First run: after its (empty) resync the PBX streams the first half of the capture; then a
        // graceful stop with those calls still in progress.
        let server1 = try AMIReplayServer(configuration: AMIReplayServer.Configuration())
        defer { server1.stop() }
        let (logger1, logs1) = EndToEnd.capturingLogger(level: .info)
        let first = Daemon(options: EndToEnd.options(configPath: configPath, amiPort: server1.port, logger: logger1))
        try first.start()
        #expect(EndToEnd.wait(timeout: .seconds(15)) { logs1.messages.contains("resynchronised with the PBX") },
                "the first run never resynchronised")
        server1.stream(part)
        let stored = try EndToEnd.wait(timeout: .seconds(15)) { try Self.storedDeliveries(storePath) >= firstRun.count }
        #expect(stored, "the first run never stored the first part's events")
        first.stop(deliveryTimeout: .seconds(2))
        server1.stop()
        let saved = try CorrelationSnapshotStore(path: storePath).loadState()
        if case .rows(let rows, _)? = saved {
            #expect(rows.contains { $0.kind == "channels" }, "a graceful stop persists the calls in progress")
        } else {
            Issue.record("a graceful stop persists the correlation state as rows, found \(String(describing: saved))")
        }

        // Second run: every call ended while we were down (empty CoreShowChannels).
        let server2 = try AMIReplayServer(configuration: AMIReplayServer.Configuration())
        defer { server2.stop() }
        let (logger2, logs2) = EndToEnd.capturingLogger(level: .info)
        let second = Daemon(options: EndToEnd.options(configPath: configPath, amiPort: server2.port, logger: logger2))
        try second.start()
        defer { second.stop(deliveryTimeout: .seconds(2)) }
        let complete = Self.waitForEveryLegToFinish(receiver, firstRun: firstRun)
        #expect(complete, "not every leg finished after the restart:\n\(logs2.messages.suffix(20).joined(separator: "\n"))")
        #expect(logs2.messages.contains("restored the correlation snapshot"))
        let finishedReceived = receiver.requests.receivedEvents().filter { $0.type == EventName.callFinished.rawValue }
        #expect(finishedReceived.count > firstRun.filter { $0.type == .callFinished }.count,
                "the second run finished the legs left open by the first")
        Self.check(receiver.requests.receivedEvents(), firstRun: firstRun)
    }

    @Test("kill -9 mid-call, calls end while down: the next start finishes every started leg once",
          .enabled(if: DaemonBinary.isAvailable, "the event-publisher binary is not built"))
    func killNineThenCallsEndWhileDown() throws {
        let folder = try TemporaryFolder("ep-reconstruct-kill")
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let storePath = folder.file("store.sqlite")
        let server1 = try AMIReplayServer(configuration: AMIReplayServer.Configuration())
        defer { server1.stop() }
        var configuration = EndToEndConfiguration(amiPort: Int(server1.port), storePath: storePath,
                                                  webhookURL: receiver.url)
        let configPath = try configuration.write(to: folder.file("config.yaml"))
        let (part, firstRun) = try Self.firstPart(configPath: configPath)

        let first = try DaemonProcess(configPath: configPath, logPath: folder.file("daemon-1.log"))
        #expect(EndToEnd.wait(timeout: .seconds(15)) { first.log.contains("resynchronised with the PBX") },
                "the daemon never resynchronised: \(first.log)")
        server1.stream(part)
        let stored = try EndToEnd.wait(timeout: .seconds(15)) { try Self.storedDeliveries(storePath) >= firstRun.count }
        #expect(stored, "the first run never stored the first part's events")
        // The state rows follow the stored events (saved right after each stored batch); wait for a
        // save after every event of the first part was stored, then die hard.
        // (The newest delivery's creation time is when the last batch was committed.)
        let storedAt = try Outbox(path: storePath).deliveries(DeliveryQuery(limit: 1)).first?.createdAt ?? 0
        let snapshotted = try EndToEnd.wait(timeout: .seconds(10)) {
            (try CorrelationSnapshotStore(path: storePath).savedAtMilliseconds() ?? 0) >= storedAt
        }
        #expect(snapshotted, "no snapshot after the first part: \(first.log.suffix(2000))")
        first.kill9()
        server1.stop()

        let server2 = try AMIReplayServer(configuration: AMIReplayServer.Configuration())
        defer { server2.stop() }
        configuration.amiPort = Int(server2.port)
        _ = try configuration.write(to: configPath)
        let second = try DaemonProcess(configPath: configPath, logPath: folder.file("daemon-2.log"))
        defer { second.terminate() }
        let complete = Self.waitForEveryLegToFinish(receiver, firstRun: firstRun)
        #expect(complete, "not every leg finished after the restart:\n\(second.log.suffix(3000))")
        #expect(second.log.contains("restored the correlation snapshot"))
        Self.check(receiver.requests.receivedEvents(), firstRun: firstRun)
        #expect(second.terminate() == 0)
    }

    @Test("A snapshot this build cannot read is logged and the daemon starts with no calls in progress")
    func unreadableSnapshotStartsEmpty() throws {
        let folder = try TemporaryFolder("ep-reconstruct-bad")
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let server = try AMIReplayServer(configuration: AMIReplayServer.Configuration())
        defer { server.stop() }
        let storePath = folder.file("store.sqlite")
        let configPath = try EndToEndConfiguration(amiPort: Int(server.port), storePath: storePath,
                                                   webhookURL: receiver.url).write(to: folder.file("config.yaml"))
        try CorrelationSnapshotStore(path: storePath).save(
            Array(#"{"format":"event-publisher.correlation-state","version":999,"state":{}}"#.utf8),
            savedAtMilliseconds: 1)
        let (logger, logs) = EndToEnd.capturingLogger(level: .info)
        let daemon = Daemon(options: EndToEnd.options(configPath: configPath, amiPort: server.port, logger: logger))
        try daemon.start()
        defer { daemon.stop(deliveryTimeout: .seconds(1)) }
        #expect(EndToEnd.wait(timeout: .seconds(15)) { logs.messages.contains("resynchronised with the PBX") })
        let problem = logs.records.first { $0.message == "cannot restore the correlation snapshot; starting with no calls in progress" }
        #expect(problem != nil)
        #expect(problem?.metadata["error"]?.contains("version 999") == true)
    }
}
