import AMIProtocol
import CallCorrelation
import CallEvents
import Configuration
import EventPublisher
import Foundation
import Observability
import Storage
import Synchronization
import Testing
import TestSupport

/// The daemon's ingest loop (it lives in EventPublisher; this target already drives that module).
@Suite("Ingest pipeline")
struct IngestPipelineTests {
    struct DiskFull: Error {}

    final class Recorder: Sendable {
        let attempts = Atomic<Int>(0)
        let failing = Atomic<Bool>(true)
        var count: Int { attempts.load(ordering: .relaxed) }
    }

    @Test("A failing sink is retried about once a second, not once per incoming AMI message")
    func failingSinkBacksOff() throws {
        let configuration = try GatewayConfiguration.load(path: Fixtures.path("config/event-publisher.yaml"))
        let sink = Recorder()
        let pipeline = IngestPipeline(
            configuration: configuration.correlation, metrics: DaemonMetrics(),
            logger: Logger(label: "ingest-test", level: .critical, handler: InMemoryLogHandler())
        ) { _ in
            sink.attempts.add(1, ordering: .relaxed)
            if sink.failing.load(ordering: .relaxed) { throw DiskFull() }
        }
        pipeline.start()
        let messages = try AMIReplayServer.streamableMessages(
            ofCapture: Fixtures.path("fixtures/ami/01-internal-answered-caller-hangup.ami"))
        for message in messages { pipeline.submit(.message(message)) }
        // Wait for the first (failing) attempt, then keep the loop busy with input that makes no events.
        let deadline = Date().addingTimeInterval(5)
        while sink.count == 0 && Date() < deadline { usleep(1000) }
        #expect(sink.count == 1)
        for _ in 0..<100 {
            pipeline.submit(.connected(bannerVersion: nil))
            usleep(2000)
        }
        #expect(sink.count <= 2)
        sink.failing.store(false, ordering: .relaxed)
        #expect(pipeline.stop(timeout: 5))  // the kept events are stored at the next attempt
    }

    @Test("Rules handed over by a reload apply to the next calls the ingest thread sees")
    func reconfigureAppliesToLaterCalls() throws {
        let configuration = try GatewayConfiguration.load(path: Fixtures.path("config/event-publisher.yaml"))
        var withoutTenants = configuration.correlation
        withoutTenants.tenants = []
        let received = Mutex<[CallEvent]>([])
        let pipeline = IngestPipeline(
            configuration: withoutTenants, metrics: DaemonMetrics(),
            logger: Logger(label: "ingest-test", level: .critical, handler: InMemoryLogHandler())
        ) { events in received.withLock { $0 += events } }
        pipeline.start()
        func feed(_ capture: String) throws -> [CallEvent] {
            let before = received.withLock { $0.count }
            let messages = try AMIReplayServer.streamableMessages(ofCapture: Fixtures.path("fixtures/ami/\(capture)"))
            for message in messages { pipeline.submit(.message(message)) }
            let deadline = Date().addingTimeInterval(5)
            var events: [CallEvent] = []
            while Date() < deadline {
                events = received.withLock { Array($0[before...]) }
                if events.contains(where: { $0.type == .customerInteraction }) { break }
                usleep(2000)
            }
            return events
        }
        let beforeReload = try feed("06-inbound-external-answered.ami")
        #expect(!beforeReload.isEmpty && beforeReload.allSatisfy { $0.tenant == "main" })
        pipeline.reconfigure(configuration.correlation)
        let afterReload = try feed("07-outbound-external-answered.ami")
        #expect(!afterReload.isEmpty && afterReload.allSatisfy { $0.tenant == "acme" })
        #expect(pipeline.stop(timeout: 5))
    }

    @Test("The outbox reports the highest stored sequence per call, for calls adopted after a restart")
    func storedSequences() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seq-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outbox = try Outbox(path: directory.appendingPathComponent("store.sqlite").path)
        func event(_ call: String, _ sequence: Int) -> OutboxItem {
            OutboxItem(event: CallEvent(id: "evt_\(call)_\(sequence)", type: .callStarted,
                                        timestamp: EventInstant(microseconds: 1), tenant: "main", sequence: sequence,
                                        callID: call, data: .object([:])),
                       webhookID: 1, webhookName: "crm")
        }
        try outbox.enqueue([event("1.1", 1), event("1.1", 2), event("2.1", 1), event("x'); DROP TABLE outbox_event; --", 9)],
                           nowMilliseconds: 0)
        #expect(try outbox.highestSequences(callIDs: ["1.1", "2.1", "3.1"]) == ["1.1": 2, "2.1": 1])
        #expect(try outbox.highestSequences(callIDs: []) == [:])
        let many = (0..<1200).map { "n\($0)" } + ["x'); DROP TABLE outbox_event; --"]
        #expect(try outbox.highestSequences(callIDs: many) == ["x'); DROP TABLE outbox_event; --": 9])
    }

    @Test("After a restart, a call adopted from the live channel list continues the sequence stored before")
    func adoptedCallsContinueStoredSequences() throws {
        let configuration = try GatewayConfiguration.load(path: Fixtures.path("config/event-publisher.yaml"))
        let stored = Mutex<[CallEvent]>([])
        let asked = Mutex<[[String]]>([])
        let pipeline = IngestPipeline(
            configuration: configuration.correlation, metrics: DaemonMetrics(),
            logger: Logger(label: "ingest-test", level: .critical, handler: InMemoryLogHandler()),
            storedSequences: { ids in
                asked.withLock { $0.append(ids) }
                return ["70.1": 6]
            }
        ) { events in stored.withLock { $0 += events } }
        pipeline.start()
        func channel(_ id: String, _ name: String, number: String) -> AMIMessage {
            AMIMessage([("Event", "CoreShowChannel"), ("ActionID", "resync"), ("Channel", name),
                        ("ChannelStateDesc", "Up"), ("CallerIDNum", number), ("Context", "acme-internal"),
                        ("Exten", "1002"), ("AccountCode", "acme"), ("Uniqueid", id), ("Linkedid", "70.1"),
                        ("BridgeId", "b1"), ("Application", "Dial")])
        }
        pipeline.submit(.liveChannels([channel("70.1", "PJSIP/1001-00000001", number: "1001"),
                                       channel("70.2", "PJSIP/1002-00000002", number: "1002")]))
        #expect(pipeline.stop(timeout: 5))
        let events = stored.withLock { $0 }
        #expect(asked.withLock { $0 } == [["70.1"]])
        #expect(!events.isEmpty)
        #expect(events.first?.id == "evt_70.1_7")
        #expect(events.map(\.sequence) == Array(7..<(7 + events.count)))
    }

    static var logger: Logger { Logger(label: "ingest-test", level: .critical, handler: InMemoryLogHandler()) }

    /// The saves a pipeline made: (changes, replacingAll) in order.
    final class SaveRecorder: Sendable {
        let saves = Mutex<[(CorrelationStateChanges, Bool)]>([])
        var count: Int { saves.withLock { $0.count } }

        /// The rows a store would hold after every save so far.
        var rows: [CorrelationStateRow] {
            var kept: [String: CorrelationStateRow] = [:]
            for (changes, replacingAll) in saves.withLock({ $0 }) {
                if replacingAll { kept = [:] }
                for deletion in changes.deletions { kept[deletion.kind + "/" + deletion.key] = nil }
                for row in changes.upserts { kept[row.kind + "/" + row.key] = row }
            }
            return Array(kept.values)
        }
    }

    @Test("The AMI queue is bounded: submit waits while maxBacklog messages are queued, then everything is processed")
    func boundedQueue() throws {
        let configuration = try GatewayConfiguration.load(path: Fixtures.path("config/event-publisher.yaml"))
        let release = DispatchSemaphore(value: 0)
        let blocked = Atomic<Bool>(true)
        let stored = Atomic<Int>(0)
        let pipeline = IngestPipeline(configuration: configuration.correlation, metrics: DaemonMetrics(),
                                      logger: Self.logger, maxBacklog: 20) { events in
            // The first stored batch holds the ingest thread until the test releases it (a stalled disk).
            if blocked.load(ordering: .acquiring) { release.wait() }
            stored.add(events.count, ordering: .relaxed)
        }
        pipeline.start()
        let messages = try AMIReplayServer.streamableMessages(
            ofCapture: Fixtures.path("fixtures/ami/16-concurrent-10-mixed.ami"))
        #expect(messages.count > 200)
        let submitted = Atomic<Int>(0)
        let done = DispatchSemaphore(value: 0)
        Thread {
            for message in messages {
                pipeline.submit(.message(message))
                submitted.add(1, ordering: .relaxed)
            }
            done.signal()
        }.start()
        // The ingest thread is stuck in the sink: the queue fills up to the bound and the reader waits.
        let deadline = Date().addingTimeInterval(10)
        while pipeline.backlog < 20 && Date() < deadline { usleep(1000) }
        #expect(pipeline.backlog == 20)
        usleep(50_000)
        #expect(pipeline.backlog == 20, "the queue grew past its bound")
        #expect(submitted.load(ordering: .relaxed) < messages.count, "the reader was not held back")
        blocked.store(false, ordering: .releasing)
        release.signal()
        #expect(done.wait(timeout: .now() + 20) == .success, "the reader never got through")
        #expect(pipeline.stop(timeout: 10))
        #expect(submitted.load(ordering: .relaxed) == messages.count)
        #expect(stored.load(ordering: .relaxed) > 0)
    }

    @Test("The state is saved only after the sink stored the batch, and the saved rows restore the calls in progress")
    func stateSavesFollowTheSink() throws {
        let configuration = try GatewayConfiguration.load(path: Fixtures.path("config/event-publisher.yaml"))
        let sink = Recorder()
        let saves = SaveRecorder()
        let pipeline = IngestPipeline(configuration: configuration.correlation, metrics: DaemonMetrics(),
                                      logger: Self.logger, saveState: { changes, replacingAll in
                                          saves.saves.withLock { $0.append((changes, replacingAll)) }
                                      }) { _ in
            sink.attempts.add(1, ordering: .relaxed)
            if sink.failing.load(ordering: .relaxed) { throw DiskFull() }
        }
        #expect(saves.count == 0, "nothing stored, nothing to convert")
        pipeline.start()
        let messages = try AMIReplayServer.streamableMessages(
            ofCapture: Fixtures.path("fixtures/ami/16-concurrent-10-mixed.ami"))
        let half = Array(messages[..<(messages.count / 2)])
        for message in half { pipeline.submit(.message(message)) }
        let deadline = Date().addingTimeInterval(10)
        while sink.count == 0 && Date() < deadline { usleep(1000) }
        // The sink refuses events: whatever was saved before (input that made no events), nothing is
        // saved while they wait, however long (several save intervals here).
        let before = saves.count
        for message in messages[(messages.count / 2)...].prefix(50) { pipeline.submit(.message(message)) }
        usleep(400_000)
        #expect(saves.count == before, "a state save ran ahead of the outbox")
        sink.failing.store(false, ordering: .relaxed)
        #expect(pipeline.stop(timeout: 10))
        #expect(saves.count > before)
        #expect(saves.saves.withLock { $0 }.allSatisfy { !$0.1 }, "no full rewrite was needed")
        // The rows are the state the pipeline ended with: what a correlator fed the same input holds.
        var twin = CorrelationSession(configuration: configuration.correlation)
        for message in half + messages[(messages.count / 2)...].prefix(50) { _ = twin.ingest(message) }
        let restored = try CallCorrelator(configuration: configuration.correlation, restoringRows: saves.rows)
        #expect(restored.trackedCallIDs == twin.correlator.trackedCallIDs)
        #expect(restored.liveCallCount > 0)
    }

    @Test("An old single-blob snapshot is restored and rewritten as rows at once (replacing everything stored)")
    func oldSnapshotIsConverted() throws {
        let configuration = try GatewayConfiguration.load(path: Fixtures.path("config/event-publisher.yaml"))
        let messages = try AMIReplayServer.streamableMessages(
            ofCapture: Fixtures.path("fixtures/ami/16-concurrent-10-mixed.ami"))
        var earlier = CorrelationSession(configuration: configuration.correlation)
        for message in messages[..<(messages.count / 2)] { _ = earlier.ingest(message) }
        let blob = earlier.correlator.snapshot()
        let saves = SaveRecorder()
        let pipeline = IngestPipeline(configuration: configuration.correlation, metrics: DaemonMetrics(),
                                      logger: Self.logger, restoring: .snapshot(blob),
                                      saveState: { changes, replacingAll in
                                          saves.saves.withLock { $0.append((changes, replacingAll)) }
                                      }) { _ in }
        #expect(saves.count == 1)
        #expect(saves.saves.withLock { $0.first?.1 } == true)
        let restored = try CallCorrelator(configuration: configuration.correlation, restoringRows: saves.rows)
        #expect(restored.snapshot() == blob)
        _ = pipeline
    }
}
