import AMIProtocol
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
}
