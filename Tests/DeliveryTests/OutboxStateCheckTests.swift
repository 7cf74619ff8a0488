import CallEvents
import SQLite
import Storage
import Testing

/// `delivery-007`: the CHECK on `outbox_delivery.state` without `IN` (no ephemeral b-tree per
/// statement), the same values accepted, and the rebuild of the table losing nothing.
@Suite("Outbox: the state CHECK without IN")
struct OutboxStateCheckTests {
    private static let hotStatements = [
        """
        INSERT OR IGNORE INTO outbox_delivery (event_id, webhook_id, webhook_name, call_id, sequence, state,
            attempts, next_attempt_at, manual, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, 0, ?, ?)
        """,
        """
        UPDATE outbox_delivery
        SET state = 'delivered', attempts = ?, updated_at = ?, last_status = ?, last_error = NULL,
            manual = 0, success_started_at = ?, success_latency_ms = ?
        WHERE id = ?
        """,
        """
        UPDATE outbox_delivery
        SET state = ?, attempts = ?, next_attempt_at = COALESCE(?, next_attempt_at), updated_at = ?,
            last_status = ?, last_error = ?, manual = CASE WHEN ? = 'pending' THEN manual ELSE 0 END,
            success_started_at = ?, success_latency_ms = ?
        WHERE id = ?
        """,
    ]

    @Test("The enqueue and record statements build no ephemeral table, and the CHECK still holds")
    func noEphemeralTableAndTheCheckHolds() throws {
        let directory = try TemporaryDirectory()
        let (outbox, id) = try Fixture.outboxWithOneDelivery(in: directory)
        try outbox.database.read { connection in
            for sql in Self.hotStatements {
                let opcodes = try connection.query("EXPLAIN " + sql, Array(repeating: .null, count: sql.count { $0 == "?" }))
                    .compactMap { $0[1].string }
                #expect(!opcodes.isEmpty)
                #expect(!opcodes.contains("OpenEphemeral"), "\(sql)")
            }
        }
        for state in ["pending", "delivered", "failed"] {
            try outbox.database.write { try $0.execute("UPDATE outbox_delivery SET state = ? WHERE id = ?",
                                                       [.text(state), .integer(id)]) }
        }
        for bad in ["bogus", "Pending", ""] {
            #expect(throws: SQLiteError.self) {
                try outbox.database.write { try $0.execute("UPDATE outbox_delivery SET state = ? WHERE id = ?",
                                                           [.text(bad), .integer(id)]) }
            }
        }
        #expect(throws: SQLiteError.self) {
            try outbox.database.write { try $0.execute("UPDATE outbox_delivery SET state = NULL WHERE id = ?",
                                                       [.integer(id)]) }
        }
    }

    @Test("A store at delivery-006 is rebuilt with every row, attempt, index and id sequence kept")
    func rebuildKeepsEverything() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("outbox.sqlite")
        let dump = "SELECT * FROM outbox_delivery ORDER BY id"
        let before: [SQLiteRow]
        let indexesBefore: [SQLiteRow]
        let attemptsBefore: [SQLiteRow]
        do {
            let database = try SQLiteDatabase(path: path)
            try SQLiteMigrator(Array(Outbox.migrations.prefix { $0.name != "delivery-007-state-check-without-in" }))
                .migrate(database)
            try database.write { connection in
                try connection.execute("""
                    INSERT INTO outbox_event (event_id, event_type, tenant, call_id, sequence, body, created_at)
                    VALUES ('evt_A_1', 'call_started', 'main', 'A', 1, x'7b7d', 1),
                           ('evt_A_2', 'call_ended', 'main', 'A', 2, x'7b7d', 1);
                    INSERT INTO outbox_delivery (id, event_id, webhook_id, webhook_name, call_id, sequence, state, attempts,
                        next_attempt_at, manual, created_at, updated_at, last_status, last_error, success_started_at,
                        success_latency_ms)
                    VALUES (3, 'evt_A_1', 1, 'crm', 'A', 1, 'delivered', 1, 1, 0, 1, 9, 204, NULL, 5, 4),
                           (7, 'evt_A_2', 1, 'crm', 'A', 2, 'pending', 2, 900, 1, 1, 12, 500, 'HTTP 500', NULL, NULL),
                           (8, 'evt_A_1', 2, 'erp', 'A', 1, 'failed', 5, 1, 0, 1, 20, NULL, 'timeout', NULL, NULL);
                    INSERT INTO delivery_attempt (delivery_id, attempt, started_at, latency_ms, status_code, result,
                        response_body, error, next_attempt_at)
                    VALUES (7, 1, 10, 2, 500, 'failure', 'boom', 'HTTP 500', 900),
                           (8, 5, 19, 1, NULL, 'error', NULL, 'timeout', NULL);
                    """)
            }
            before = try database.read { try $0.query(dump) }
            attemptsBefore = try database.read { try $0.query("SELECT * FROM delivery_attempt ORDER BY id") }
            indexesBefore = try database.read { try $0.query("""
                SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox_delivery' ORDER BY name
                """) }
        }
        let outbox = try Outbox(path: path)
        let indexQuery = """
            SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox_delivery' ORDER BY name
            """
        let applied = try outbox.database.read { try SQLiteMigrator.appliedMigrations(in: $0) }
        let after = try outbox.database.read { try $0.query(dump) }
        let attemptsAfter = try outbox.database.read { try $0.query("SELECT * FROM delivery_attempt ORDER BY id") }
        let indexesAfter = try outbox.database.read { try $0.query(indexQuery) }
        let violations = try outbox.database.read { try $0.query("PRAGMA foreign_key_check") }
        let integrity = try outbox.database.read { try $0.queryFirst("PRAGMA integrity_check")?[0].string }
        let foreignKeys = try outbox.database.read { try $0.queryFirst("PRAGMA foreign_keys")?[0].int64 }
        #expect(applied.last == "delivery-007-state-check-without-in")
        #expect(after == before)
        #expect(attemptsAfter == attemptsBefore)
        #expect(indexesAfter == indexesBefore)
        #expect(violations.isEmpty)
        #expect(integrity == "ok")
        #expect(foreignKeys == 1)
        // The log still reads the kept success and the attempts; the next row continues the ids.
        #expect(try outbox.attempts(deliveryID: 3).map(\.statusCode) == [204])
        #expect(try outbox.attempts(deliveryID: 7).map(\.responseBody) == ["boom"])
        #expect(try outbox.pendingDeliveries().map(\.id) == [7])
        let next = try outbox.enqueue([OutboxItem(event: Fixture.event(call: "B", sequence: 1), webhookID: 1,
                                                  webhookName: "crm")], nowMilliseconds: 30)
        #expect(next.map(\.id) == [9])
        // The foreign keys still act on the rebuilt table: a purge cascades to the attempts.
        #expect(try outbox.purge(finishedBefore: 1_000) == 2)
        #expect(try outbox.attempts(deliveryID: 8).isEmpty)
        let remaining = try outbox.database.read { try $0.queryFirst("SELECT COUNT(*) FROM delivery_attempt")?[0].int64 }
        #expect(remaining == 1)
    }
}
