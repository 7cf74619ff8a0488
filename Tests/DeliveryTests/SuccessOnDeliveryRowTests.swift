import CallEvents
import SQLite
import Storage
import Testing

/// The success that delivers a row is kept on the row (`delivery-003`), not in `delivery_attempt`;
/// the delivery log must still show it as an attempt.
@Suite("Outbox: the delivering success kept on the delivery row")
struct SuccessOnDeliveryRowTests {
    private func attemptRows(_ outbox: Outbox) throws -> Int64 {
        try outbox.database.read { try $0.queryFirst("SELECT COUNT(*) FROM delivery_attempt")?[0].int64 ?? -1 }
    }

    private func success(_ id: Int64, attempt: Int, at start: Int64) -> DeliveryAttemptReport {
        DeliveryAttemptReport(deliveryID: id, attempt: attempt, startedAt: start, latencyMilliseconds: 7,
                              statusCode: 204, responseBody: "ok", error: nil, result: .success,
                              newState: .delivered, nextAttemptAt: nil)
    }

    @Test("A first-try success writes no attempt row, and the log shows it after a reopen")
    func firstTrySuccessIsSynthesized() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("outbox.sqlite")
        let id: Int64
        do {
            let outbox = try Outbox(path: path)
            id = try #require(try outbox.enqueue(
                [OutboxItem(event: Fixture.event(call: "A", sequence: 1), webhookID: 1, webhookName: "crm")],
                nowMilliseconds: 1).first?.id)
            try outbox.record([success(id, attempt: 1, at: 1_000)], nowMilliseconds: 1_007)
            #expect(try attemptRows(outbox) == 0)
        }
        let reopened = try Outbox(path: path)
        let record = try #require(try reopened.delivery(id: id))
        #expect(record.state == .delivered)
        #expect(record.attempts == 1)
        #expect(record.lastStatus == 204)
        let attempts = try reopened.attempts(deliveryID: id)
        #expect(attempts.count == 1)
        let only = try #require(attempts.first)
        #expect(only.deliveryID == id)
        #expect(only.attempt == 1)
        #expect(only.startedAt == 1_000)
        #expect(only.latencyMilliseconds == 7)
        #expect(only.statusCode == 204)
        #expect(only.result == .success)
        #expect(only.responseBody == nil && only.error == nil && only.nextAttemptAt == nil)
        #expect(try reopened.attemptCount() == 1)
    }

    @Test("After failures the log lists them, then the success from the row")
    func failuresThenSuccess() throws {
        let directory = try TemporaryDirectory()
        let (outbox, id) = try Fixture.outboxWithOneDelivery(in: directory)
        try outbox.record([DeliveryAttemptReport(deliveryID: id, attempt: 1, startedAt: 10, latencyMilliseconds: 3,
                                                 statusCode: 500, responseBody: "boom", error: "HTTP 500",
                                                 result: .failure, newState: .pending, nextAttemptAt: 500)],
                          nowMilliseconds: 13)
        try outbox.record([success(id, attempt: 2, at: 500)], nowMilliseconds: 507)
        let attempts = try outbox.attempts(deliveryID: id)
        #expect(attempts.map(\.attempt) == [1, 2])
        #expect(attempts.map(\.statusCode) == [500, 204])
        #expect(attempts.map(\.responseBody) == ["boom", nil])
        #expect(attempts.map(\.startedAt) == [10, 500])
        #expect(try attemptRows(outbox) == 1)
        #expect(try outbox.attemptCount() == 2)
    }

    @Test("Redelivering a delivered row writes its kept success out first, so the log loses nothing")
    func redeliveryKeepsTheEarlierSuccess() throws {
        let directory = try TemporaryDirectory()
        let (outbox, id) = try Fixture.outboxWithOneDelivery(in: directory)
        try outbox.record([success(id, attempt: 1, at: 100)], nowMilliseconds: 107)
        let again = try #require(try outbox.redeliver(deliveryID: id, nowMilliseconds: 200))
        #expect(again.isManual)
        #expect(try outbox.attempts(deliveryID: id).map(\.attempt) == [1])
        try outbox.record([DeliveryAttemptReport(deliveryID: id, attempt: 2, startedAt: 200, latencyMilliseconds: 1,
                                                 statusCode: 503, responseBody: nil, error: "HTTP 503",
                                                 result: .error, newState: .failed, nextAttemptAt: nil)],
                          nowMilliseconds: 201)
        try #require(try outbox.redeliver(deliveryID: id, nowMilliseconds: 300) != nil)
        try outbox.record([success(id, attempt: 3, at: 300)], nowMilliseconds: 307)
        let attempts = try outbox.attempts(deliveryID: id)
        #expect(attempts.map(\.attempt) == [1, 2, 3])
        #expect(attempts.map(\.statusCode) == [204, 503, 204])
        #expect(attempts.map(\.result) == [.success, .error, .success])
        #expect(attempts.map(\.startedAt) == [100, 200, 300])
        #expect(attempts.map(\.latencyMilliseconds) == [7, 1, 7])
        #expect(try outbox.attemptCount() == 3)
    }

    @Test("A store made before delivery-003 upgrades: old attempt rows stay, new successes go on the row")
    func upgradeFromAnOlderStore() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("outbox.sqlite")
        do {
            // The schema as released before `delivery-003`, with one delivery succeeded the old way.
            let database = try SQLiteDatabase(path: path)
            // (Those registered before it: a later one may rely on its columns, as `delivery-007`'s
            // rebuild of the table does; they are applied at the reopen below.)
            let older = Array(Outbox.migrations.prefix { $0.name != "delivery-003-success-on-delivery-row" })
            #expect(older.map(\.name) == ["delivery-001-outbox", "delivery-002-event-by-call"])
            _ = try SQLiteMigrator(older).migrate(database)
            try database.write { connection in
                try connection.execute("""
                    INSERT INTO outbox_event (event_id, event_type, tenant, call_id, sequence, body, created_at)
                    VALUES ('evt_old', 'call_started', 't', 'A', 1, x'7B7D', 1);
                    INSERT INTO outbox_delivery (id, event_id, webhook_id, webhook_name, call_id, sequence, state,
                        attempts, next_attempt_at, created_at, updated_at, last_status)
                    VALUES (1, 'evt_old', 1, 'crm', 'A', 1, 'delivered', 1, 1, 1, 9, 200);
                    INSERT INTO delivery_attempt (delivery_id, attempt, started_at, latency_ms, status_code, result,
                        response_body)
                    VALUES (1, 1, 5, 4, 200, 'success', 'thanks');
                    """)
            }
        }
        let outbox = try Outbox(path: path)
        let applied = try outbox.database.read { try SQLiteMigrator.appliedMigrations(in: $0) }
        #expect(applied.contains("delivery-003-success-on-delivery-row"))
        let old = try outbox.attempts(deliveryID: 1)
        #expect(old.map(\.attempt) == [1])
        #expect(old.first?.responseBody == "thanks")
        let id = try #require(try outbox.enqueue(
            [OutboxItem(event: Fixture.event(call: "A", sequence: 2), webhookID: 1, webhookName: "crm")],
            nowMilliseconds: 20).first?.id)
        try outbox.record([success(id, attempt: 1, at: 30)], nowMilliseconds: 37)
        #expect(try outbox.attempts(deliveryID: id).map(\.statusCode) == [204])
        #expect(try attemptRows(outbox) == 1)
        #expect(try outbox.attemptCount() == 2)
        #expect(try outbox.counts() == OutboxCounts(delivered: 2))
    }

    @Test("Purging a delivered row removes its kept success with it")
    func purgeRemovesTheKeptSuccess() throws {
        let directory = try TemporaryDirectory()
        let (outbox, id) = try Fixture.outboxWithOneDelivery(in: directory)
        try outbox.record([success(id, attempt: 1, at: 100)], nowMilliseconds: 107)
        #expect(try outbox.purge(finishedBefore: 1_000) == 1)
        #expect(try outbox.attempts(deliveryID: id).isEmpty)
        #expect(try outbox.attemptCount() == 0)
    }
    /// `record` writes a delivering success with a statement of its own (fewer bound values); the
    /// row must be exactly what the general statement makes of the same report, whatever the row
    /// held before (a failure's error and next attempt, a manual redelivery's flag).
    @Test("A delivering success leaves the row exactly as the general UPDATE would")
    func successRowMatchesTheGeneralStatement() throws {
        let generalUpdate = """
            UPDATE outbox_delivery
            SET state = ?, attempts = ?, next_attempt_at = COALESCE(?, next_attempt_at), updated_at = ?,
                last_status = ?, last_error = ?, manual = CASE WHEN ? = 'pending' THEN manual ELSE 0 END,
                success_started_at = ?, success_latency_ms = ?
            WHERE id = ?
            """
        func row(_ outbox: Outbox, _ id: Int64) throws -> SQLiteRow? {
            try outbox.database.read { try $0.queryFirst("SELECT * FROM outbox_delivery WHERE id = ?", [.integer(id)]) }
        }
        // Three histories: first try, after a failure (error and next attempt set), after a manual
        // redelivery of a failed row (manual = 1).
        for history in 0..<3 {
            let directoryA = try TemporaryDirectory(), directoryB = try TemporaryDirectory()
            let (viaRecord, idA) = try Fixture.outboxWithOneDelivery(in: directoryA)
            let (viaGeneral, idB) = try Fixture.outboxWithOneDelivery(in: directoryB)
            #expect(idA == idB)
            for outbox in [viaRecord, viaGeneral] {
                if history >= 1 {
                    try outbox.record([DeliveryAttemptReport(
                        deliveryID: idA, attempt: 1, startedAt: 10, latencyMilliseconds: 3, statusCode: 500,
                        responseBody: "boom", error: "HTTP 500", result: history == 2 ? .error : .failure,
                        newState: history == 2 ? .failed : .pending, nextAttemptAt: history == 2 ? nil : 500)],
                        nowMilliseconds: 13)
                }
                if history == 2 { _ = try outbox.redeliver(deliveryID: idA, nowMilliseconds: 300) }
            }
            let report = success(idA, attempt: history == 0 ? 1 : 2, at: 600)
            try viaRecord.record([report], nowMilliseconds: 607)
            try viaGeneral.database.write { connection in
                try connection.execute(generalUpdate, [
                    .text("delivered"), .int(report.attempt), .null, .integer(607), .int(204), .null,
                    .text("delivered"), .integer(report.startedAt), .int(report.latencyMilliseconds),
                    .integer(idB),
                ])
            }
            let a = try #require(try row(viaRecord, idA)), b = try #require(try row(viaGeneral, idB))
            #expect(a == b, "history \(history)")
            #expect(a["state"] == .text("delivered") && a["manual"] == .integer(0) && a["last_error"] == .null)
        }
    }
}
