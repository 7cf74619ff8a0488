import CallEvents
import Storage
import Testing

@Suite("Outbox in SQLite")
struct OutboxTests {
    @Test("Enqueued rows survive closing and reopening the database file")
    func rowsSurviveReopen() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("outbox.sqlite")
        do {
            let outbox = try Outbox(path: path)
            let created = try outbox.enqueue([
                OutboxItem(event: Fixture.event(call: "A", sequence: 1), webhookID: 1, webhookName: "crm"),
                OutboxItem(event: Fixture.event(call: "A", sequence: 1), webhookID: 2, webhookName: "erp"),
                OutboxItem(event: Fixture.event(call: "A", sequence: 2), webhookID: 1, webhookName: "crm"),
            ], nowMilliseconds: 1_000)
            #expect(created.count == 3)
        }
        let reopened = try Outbox(path: path)
        let pending = try reopened.pendingDeliveries()
        #expect(pending.map(\.eventID) == ["evt_A_1", "evt_A_2", "evt_A_1"])
        #expect(pending.map(\.webhookID) == [1, 1, 2])
        let body = try #require(try reopened.body(eventID: "evt_A_2"))
        #expect(body == Fixture.event(call: "A", sequence: 2).encodedJSON())
    }

    @Test("Enqueueing the same event for the same webhook twice stores it once")
    func enqueueIsIdempotent() throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(path: directory.file("outbox.sqlite"))
        let item = OutboxItem(event: Fixture.event(call: "A", sequence: 1), webhookID: 1, webhookName: "crm")
        #expect(try outbox.enqueue([item], nowMilliseconds: 1).count == 1)
        #expect(try outbox.enqueue([item, item], nowMilliseconds: 2).isEmpty)
        #expect(try outbox.counts() == OutboxCounts(pending: 1))
    }

    @Test("Attempts are logged and move the delivery through retrying to delivered")
    func attemptsMoveTheDelivery() throws {
        let directory = try TemporaryDirectory()
        let (outbox, id) = try Fixture.outboxWithOneDelivery(in: directory)
        try outbox.record([DeliveryAttemptReport(deliveryID: id, attempt: 1, startedAt: 10, latencyMilliseconds: 3,
                                                 statusCode: 503, responseBody: "busy", error: "HTTP 503",
                                                 result: .failure, newState: .pending, nextAttemptAt: 5_010)],
                          nowMilliseconds: 13)
        #expect(try outbox.counts() == OutboxCounts(pending: 1, retrying: 1))
        try outbox.record([DeliveryAttemptReport(deliveryID: id, attempt: 2, startedAt: 5_010, latencyMilliseconds: 2,
                                                 statusCode: 200, responseBody: nil, error: nil, result: .success,
                                                 newState: .delivered, nextAttemptAt: nil)], nowMilliseconds: 5_012)
        let record = try #require(try outbox.delivery(id: id))
        #expect(record.state == .delivered)
        #expect(record.attempts == 2)
        #expect(record.lastStatus == 200)
        let attempts = try outbox.attempts(deliveryID: id)
        #expect(attempts.map(\.statusCode) == [503, 200])
        #expect(attempts.map(\.result) == [.failure, .success])
        #expect(attempts.first?.nextAttemptAt == 5_010)
        #expect(try outbox.pendingDeliveries().isEmpty)
    }

    @Test("A failed delivery can be redelivered once, and listing filters by webhook and state")
    func redeliverAndList() throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(path: directory.file("outbox.sqlite"))
        let created = try outbox.enqueue([
            OutboxItem(event: Fixture.event(call: "A", sequence: 1), webhookID: 1, webhookName: "crm"),
            OutboxItem(event: Fixture.event(call: "B", sequence: 1), webhookID: 2, webhookName: "erp"),
        ], nowMilliseconds: 1)
        try outbox.record([DeliveryAttemptReport(deliveryID: created[0].id, attempt: 1, startedAt: 2,
                                                 latencyMilliseconds: 1, statusCode: 410, responseBody: nil,
                                                 error: "gone", result: .error, newState: .failed, nextAttemptAt: nil)],
                          nowMilliseconds: 3)
        #expect(try outbox.deliveries(DeliveryQuery(state: .failed)).map(\.id) == [created[0].id])
        #expect(try outbox.deliveries(DeliveryQuery(webhookName: "erp")).map(\.id) == [created[1].id])
        let again = try #require(try outbox.redeliver(deliveryID: created[0].id, nowMilliseconds: 100))
        #expect(again.isManual)
        #expect(again.nextAttemptAt == 100)
        #expect(try outbox.delivery(id: created[0].id)?.state == .pending)
        #expect(try outbox.redeliver(deliveryID: 999, nowMilliseconds: 100) == nil)
    }

    @Test("A failure streak is remembered across restarts and cleared by a success")
    func failureStreakPersists() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("outbox.sqlite")
        try Outbox(path: path).setFailingSince(500, webhookID: 3, nowMilliseconds: 500)
        try Outbox(path: path).setFailingSince(900, webhookID: 3, nowMilliseconds: 900)
        #expect(try Outbox(path: path).failureStreaks() == [3: 500])
        try Outbox(path: path).setFailingSince(nil, webhookID: 3, nowMilliseconds: 1_000)
        #expect(try Outbox(path: path).failureStreaks().isEmpty)
    }
}
