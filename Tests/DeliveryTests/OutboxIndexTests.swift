import CallEvents
import SQLite
import Storage
import Testing

/// The pending indexes (`delivery-004`, `delivery-005`) change no answer, and the queries use them.
@Suite("Outbox: pending and retrying indexes")
struct OutboxIndexTests {
    private func plan(_ outbox: Outbox, _ sql: String) throws -> String {
        try outbox.database.read { connection in
            try connection.query("EXPLAIN QUERY PLAN " + sql).compactMap { $0[3].string }.joined(separator: "; ")
        }
    }

    @Test("Resuming still returns pending rows in (webhook, call, sequence) order, whatever their ids")
    func resumeOrder() throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(path: directory.file("outbox.sqlite"))
        try outbox.enqueue([
            OutboxItem(event: Fixture.event(call: "B", sequence: 2), webhookID: 2, webhookName: "erp"),
            OutboxItem(event: Fixture.event(call: "B", sequence: 1), webhookID: 1, webhookName: "crm"),
            OutboxItem(event: Fixture.event(call: "A", sequence: 1), webhookID: 1, webhookName: "crm"),
            OutboxItem(event: Fixture.event(call: "B", sequence: 1), webhookID: 2, webhookName: "erp"),
        ], nowMilliseconds: 1)
        let pending = try outbox.pendingDeliveries()
        #expect(pending.map(\.webhookID) == [1, 1, 2, 2])
        #expect(pending.map(\.eventID) == ["evt_A_1", "evt_B_1", "evt_B_1", "evt_B_2"])
    }

    @Test("The periodic re-read returns only retrying and manual rows, through the retrying index")
    func rereadUsesTheRetryingIndex() throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(path: directory.file("outbox.sqlite"))
        let created = try outbox.enqueue((1...4).map {
            OutboxItem(event: Fixture.event(call: "A", sequence: $0), webhookID: 1, webhookName: "crm")
        }, nowMilliseconds: 1)
        try outbox.record([DeliveryAttemptReport(deliveryID: created[0].id, attempt: 1, startedAt: 2,
                                                 latencyMilliseconds: 1, statusCode: 500, responseBody: nil,
                                                 error: "HTTP 500", result: .failure, newState: .pending,
                                                 nextAttemptAt: 100),
                           DeliveryAttemptReport(deliveryID: created[1].id, attempt: 1, startedAt: 2,
                                                 latencyMilliseconds: 1, statusCode: 410, responseBody: nil,
                                                 error: "gone", result: .error, newState: .failed,
                                                 nextAttemptAt: nil)],
                          nowMilliseconds: 3)
        try #require(try outbox.redeliver(deliveryID: created[1].id, nowMilliseconds: 4) != nil)
        #expect(try outbox.pendingDeliveries(updatedSince: 0).map(\.id) == [created[0].id, created[1].id])
        let reread = try plan(outbox, """
            SELECT d.id FROM outbox_delivery d JOIN outbox_event e ON e.event_id = d.event_id
            WHERE d.state = 'pending' AND d.updated_at >= 0 AND (d.manual = 1 OR d.attempts > 0)
            """)
        #expect(reread.contains("outbox_delivery_retrying"), "\(reread)")
        let resume = try plan(outbox, """
            SELECT d.id FROM outbox_delivery d JOIN outbox_event e ON e.event_id = d.event_id
            WHERE d.state = 'pending'
            """)
        #expect(resume.contains("outbox_delivery_pending_by_id"), "\(resume)")
    }

    @Test("The highest stored sequence per call comes from the event-id key range, not from another call's events")
    func highestSequenceThroughTheKeyRange() throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(path: directory.file("outbox.sqlite"))
        // "1.1_x" has ids that fall in the key range of "1.1" ("evt_1.1_x_7" starts with "evt_1.1_").
        try outbox.enqueue([("1.1", 1), ("1.1", 12), ("1.1", 3), ("1.1_x", 40), ("1.10", 50), ("2.1", 1)].map {
            OutboxItem(event: Fixture.event(call: $0.0, sequence: $0.1), webhookID: 1, webhookName: "crm")
        }, nowMilliseconds: 1)
        #expect(try outbox.highestSequences(callIDs: ["1.1", "1.1_x", "1.10", "9.9", "1.1"])
                == ["1.1": 12, "1.1_x": 40, "1.10": 50])
        // After a restore: the events published after the snapshot, in sequence order, of that call only.
        let bodies = try outbox.storedEventBodies(callID: "1.1", afterSequence: 1)
        #expect(bodies.map { String(decoding: $0, as: UTF8.self).contains("\"evt_1.1_3\"") } == [true, false])
        #expect(bodies.map { String(decoding: $0, as: UTF8.self).contains("\"evt_1.1_12\"") } == [false, true])
        #expect(try outbox.storedEventBodies(callID: "1.1_x", afterSequence: 0).count == 1)
        let applied = try outbox.database.read { connection in
            try connection.query("SELECT name FROM sqlite_master WHERE type = 'index'").compactMap { $0[0].string }
        }
        #expect(!applied.contains("outbox_event_by_call"))
        let lookup = try plan(outbox, """
            SELECT MAX(sequence) FROM outbox_event WHERE event_id >= 'evt_1.1_' AND event_id < 'evt_1.1`' AND call_id = '1.1'
            """)
        #expect(lookup.contains("USING INDEX sqlite_autoindex_outbox_event_1"), "\(lookup)")
    }
}
