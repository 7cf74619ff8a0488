public import SQLite

/// The durable delivery outbox and delivery log in SQLite.
///
/// `enqueue` commits every (event, webhook) row in one transaction before it returns, so a crash or
/// `kill -9` after it loses nothing; rows stay `pending` until an attempt moves them to `delivered`
/// or `failed`. An attempt that was in flight at a crash is not recorded and the row is still
/// `pending`: it is sent again on restart with the same event id (at-least-once).
///
/// Thread-safe: every call goes through `SQLiteDatabase`, which serializes access to its connection.
public final class Outbox: Sendable {
    public let database: SQLiteDatabase

    /// Uses `database` (shared with the store or not) and applies the outbox migrations it lacks.
    public init(database: SQLiteDatabase) throws {
        self.database = database
        try SQLiteMigrator(Self.migrations).migrate(database)
    }

    /// Opens its own connection to the database file at `path`, with WAL checkpoints on a thread of
    /// their own so that no enqueue or attempt record waits for one.
    public convenience init(path: String) throws {
        try self.init(database: SQLiteDatabase(path: path, checkpointInBackground: true))
    }

    // MARK: Enqueue and resume

    /// Stores one delivery per item, all in one transaction. An (event, webhook) pair already in
    /// the outbox is skipped, so re-enqueueing after a restart never duplicates. Returns the rows
    /// created, in item order.
    @discardableResult
    public func enqueue(_ items: [OutboxItem], nowMilliseconds: Int64) throws -> [OutboxDelivery] {
        try enqueueReturningItems(items, nowMilliseconds: nowMilliseconds).map(\.delivery)
    }

    /// `enqueue`, telling for each row created the index of the item it came from, so that the
    /// caller finds what it holds for that item (the delivery service: the body it encoded)
    /// without a lookup by event id.
    public func enqueueReturningItems(_ items: [OutboxItem], nowMilliseconds: Int64) throws
        -> [(item: Int, delivery: OutboxDelivery)]
    {
        guard !items.isEmpty else { return [] }
        return try database.write { connection in
            let insertEvent = try connection.cached("""
                INSERT OR IGNORE INTO outbox_event (event_id, event_type, tenant, call_id, sequence, body, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            let insertDelivery = try connection.cached("""
                INSERT OR IGNORE INTO outbox_delivery (event_id, webhook_id, webhook_name, call_id, sequence, state,
                    attempts, next_attempt_at, manual, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, 0, ?, ?)
                """)
            // An event's items are usually adjacent (one per recipient): only its first stores the
            // event row. A repeat further on runs the INSERT again, which the primary key ignores,
            // keeping the first body as before (no set of event ids to hash per item).
            var previousEventID: String?
            var created: [(item: Int, delivery: OutboxDelivery)] = []
            created.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                let event = item.event
                if event.id != previousEventID {
                    try insertEvent.bind([.text(event.id), .text(event.type.rawValue), .text(event.tenant),
                                          .text(event.callID), .int(event.sequence), .blob(item.body ?? event.encodedJSON()),
                                          .integer(nowMilliseconds)])
                    try insertEvent.run()
                    previousEventID = event.id
                }
                try insertDelivery.bind([.text(event.id), .integer(item.webhookID), .text(item.webhookName),
                                         .text(event.callID), .int(event.sequence), .integer(nowMilliseconds),
                                         .integer(nowMilliseconds), .integer(nowMilliseconds)])
                try insertDelivery.run()
                guard connection.changes == 1 else { continue }
                created.append((index, OutboxDelivery(id: connection.lastInsertRowID, eventID: event.id,
                                                      eventType: event.type.rawValue, webhookID: item.webhookID,
                                                      callID: event.callID, sequence: event.sequence, attempts: 0,
                                                      nextAttemptAt: nowMilliseconds, isManual: false)))
            }
            return created
        }
    }

    /// Every pending delivery, in (webhook, call, sequence) order: what a restarted worker resumes.
    public func pendingDeliveries() throws -> [OutboxDelivery] {
        try database.read { connection in
            try connection.query("""
                SELECT d.id, d.event_id, e.event_type, d.webhook_id, d.call_id, d.sequence, d.attempts,
                       d.next_attempt_at, d.manual
                FROM outbox_delivery d JOIN outbox_event e ON e.event_id = d.event_id
                WHERE d.state = 'pending'
                ORDER BY d.webhook_id, d.call_id, d.sequence, d.id
                """).map(Self.delivery)
        }
    }

    /// Pending deliveries changed at or after `since` (Unix ms) that another process may have touched
    /// (a `deliveries redeliver` from the CLI while the daemon runs): manual ones and retrying ones.
    /// Rows never attempted are left out: they are due already, and the worker that enqueued them
    /// holds them, so a busy outbox is not re-read every few seconds. Served by the partial index
    /// `outbox_delivery_retrying` (`delivery-005`), whose WHERE repeats this one's.
    public func pendingDeliveries(updatedSince since: Int64) throws -> [OutboxDelivery] {
        try database.read { connection in
            try connection.query("""
                SELECT d.id, d.event_id, e.event_type, d.webhook_id, d.call_id, d.sequence, d.attempts,
                       d.next_attempt_at, d.manual
                FROM outbox_delivery d JOIN outbox_event e ON e.event_id = d.event_id
                WHERE d.state = 'pending' AND d.updated_at >= ? AND (d.manual = 1 OR d.attempts > 0)
                ORDER BY d.webhook_id, d.call_id, d.sequence, d.id
                """, [.integer(since)]).map(Self.delivery)
        }
    }

    /// The request body of an event (the JSON envelope as enqueued).
    public func body(eventID: String) throws -> [UInt8]? {
        try database.read { connection in
            guard let row = try connection.queryFirst("SELECT body FROM outbox_event WHERE event_id = ?",
                                                      [.text(eventID)]) else { return nil }
            if case .blob(let bytes) = row[0] { return bytes }
            return row[0].string.map { Array($0.utf8) }
        }
    }

    // MARK: Attempts

    /// Stores attempts and moves their deliveries on (new state, attempts, next attempt), all in one
    /// transaction (the worker batches what finished in one turn of its loop).
    ///
    /// A success that delivers the row writes no `delivery_attempt` row: its start and latency go on
    /// the delivery row (`success_started_at`, `success_latency_ms`, beside `attempts` and
    /// `last_status`), and `attempts(deliveryID:)` shows it from there. Its response body is not
    /// kept: a 2xx body tells nothing the log needs, and keeping it would widen the hot table.
    /// Failures and give-ups keep their full rows (status, body, error, next attempt).
    public func record(_ reports: [DeliveryAttemptReport], nowMilliseconds: Int64) throws {
        guard !reports.isEmpty else { return }
        try database.write { connection in
            let insertAttempt = try connection.cached("""
                INSERT INTO delivery_attempt (delivery_id, attempt, started_at, latency_ms, status_code, result,
                    response_body, error, next_attempt_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let updateDelivery = try connection.cached("""
                UPDATE outbox_delivery
                SET state = ?, attempts = ?, next_attempt_at = COALESCE(?, next_attempt_at), updated_at = ?,
                    last_status = ?, last_error = ?, manual = CASE WHEN ? = 'pending' THEN manual ELSE 0 END,
                    success_started_at = ?, success_latency_ms = ?
                WHERE id = ?
                """)
            // The common case, a success that delivers the row, with what the general statement
            // would compute for it written out: `state`, `manual` and `last_error` as constants,
            // `next_attempt_at` left alone (the general statement's COALESCE keeps it when no next
            // attempt is given). The row ends up the same, with 6 values bound instead of 10 and no
            // expression to evaluate per row.
            let deliverDelivery = try connection.cached("""
                UPDATE outbox_delivery
                SET state = 'delivered', attempts = ?, updated_at = ?, last_status = ?, last_error = NULL,
                    manual = 0, success_started_at = ?, success_latency_ms = ?
                WHERE id = ?
                """)
            for report in reports {
                let status: SQLiteValue = report.statusCode.map { .int($0) } ?? .null
                // Clearing the kept success on any other outcome loses nothing: only a delivered row
                // has one, and only `redeliver` (which writes it out first) makes that row pending.
                let keptOnRow = report.result == .success && report.newState == .delivered
                if keptOnRow && report.nextAttemptAt == nil && report.error == nil {
                    try deliverDelivery.bind([.int(report.attempt), .integer(nowMilliseconds), status,
                                              .integer(report.startedAt), .int(report.latencyMilliseconds),
                                              .integer(report.deliveryID)])
                    try deliverDelivery.run()
                    continue
                }
                if !keptOnRow {
                    try insertAttempt.bind([.integer(report.deliveryID), .int(report.attempt),
                                            .integer(report.startedAt), .int(report.latencyMilliseconds), status,
                                            .text(report.result.rawValue), .optional(report.responseBody),
                                            .optional(report.error),
                                            report.nextAttemptAt.map { .integer($0) } ?? .null])
                    try insertAttempt.run()
                }
                try updateDelivery.bind([.text(report.newState.rawValue), .int(report.attempt),
                                         report.nextAttemptAt.map { .integer($0) } ?? .null,
                                         .integer(nowMilliseconds), status, .optional(report.error),
                                         .text(report.newState.rawValue),
                                         keptOnRow ? .integer(report.startedAt) : .null,
                                         keptOnRow ? .int(report.latencyMilliseconds) : .null,
                                         .integer(report.deliveryID)])
                try updateDelivery.run()
            }
        }
    }

    /// Puts a delivery back in the queue for one manual attempt (`deliveries redeliver ID`).
    /// A pending delivery is only moved forward to now. Returns nil when the id does not exist.
    ///
    /// A success kept on the delivery row (see `record`) is first written out as an ordinary attempt
    /// row, in the same transaction: the next attempt's outcome replaces the row's fields.
    @discardableResult
    public func redeliver(deliveryID: Int64, nowMilliseconds: Int64) throws -> OutboxDelivery? {
        try database.write { connection in
            try connection.execute("""
                INSERT INTO delivery_attempt (delivery_id, attempt, started_at, latency_ms, status_code, result)
                SELECT id, attempts, success_started_at, COALESCE(success_latency_ms, 0), last_status, 'success'
                FROM outbox_delivery WHERE id = ? AND success_started_at IS NOT NULL
                """, [.integer(deliveryID)])
            try connection.execute("""
                UPDATE outbox_delivery
                SET manual = CASE WHEN state = 'pending' THEN manual ELSE 1 END,
                    state = 'pending', next_attempt_at = ?, updated_at = ?,
                    success_started_at = NULL, success_latency_ms = NULL
                WHERE id = ?
                """, [.integer(nowMilliseconds), .integer(nowMilliseconds), .integer(deliveryID)])
            guard connection.changes == 1 else { return nil }
            return try connection.queryFirst("""
                SELECT d.id, d.event_id, e.event_type, d.webhook_id, d.call_id, d.sequence, d.attempts,
                       d.next_attempt_at, d.manual
                FROM outbox_delivery d JOIN outbox_event e ON e.event_id = d.event_id
                WHERE d.id = ?
                """, [.integer(deliveryID)]).map(Self.delivery)
        }
    }

    // MARK: Webhook health (auto-disable)

    /// When the webhook's current failure streak began (Unix ms), nil when its last attempt succeeded.
    public func failingSince(webhookID: Int64) throws -> Int64? {
        try database.read { connection in
            try connection.queryFirst("SELECT failing_since FROM delivery_webhook_health WHERE webhook_id = ?",
                                      [.integer(webhookID)])?[0].int64
        }
    }

    /// Every webhook with a failure streak: webhook id → streak start (Unix ms).
    public func failureStreaks() throws -> [Int64: Int64] {
        try database.read { connection in
            var streaks: [Int64: Int64] = [:]
            for row in try connection.query(
                "SELECT webhook_id, failing_since FROM delivery_webhook_health WHERE failing_since IS NOT NULL")
            {
                if let id = row[0].int64, let since = row[1].int64 { streaks[id] = since }
            }
            return streaks
        }
    }

    /// Records the start of a failure streak (kept if one is running), or its end on success.
    public func setFailingSince(_ since: Int64?, webhookID: Int64, nowMilliseconds: Int64) throws {
        try database.write { connection in
            if let since {
                try connection.execute("""
                    INSERT INTO delivery_webhook_health (webhook_id, failing_since) VALUES (?, ?)
                    ON CONFLICT (webhook_id) DO UPDATE SET failing_since = COALESCE(failing_since, excluded.failing_since)
                    """, [.integer(webhookID), .integer(since)])
            } else {
                try connection.execute("""
                    INSERT INTO delivery_webhook_health (webhook_id, last_success_at) VALUES (?, ?)
                    ON CONFLICT (webhook_id) DO UPDATE SET failing_since = NULL, last_success_at = excluded.last_success_at
                    """, [.integer(webhookID), .integer(nowMilliseconds)])
            }
        }
    }

    /// Records that the webhook was disabled (and ends its streak, so a re-enabled webhook starts afresh).
    public func recordDisabled(webhookID: Int64, reason: String, nowMilliseconds: Int64) throws {
        try database.write { connection in
            try connection.execute("""
                INSERT INTO delivery_webhook_health (webhook_id, disabled_at, disabled_reason) VALUES (?, ?, ?)
                ON CONFLICT (webhook_id) DO UPDATE SET failing_since = NULL, disabled_at = excluded.disabled_at,
                    disabled_reason = excluded.disabled_reason
                """, [.integer(webhookID), .integer(nowMilliseconds), .text(reason)])
        }
    }

    static func delivery(_ row: SQLiteRow) -> OutboxDelivery {
        OutboxDelivery(id: row[0].int64 ?? 0, eventID: row[1].string ?? "", eventType: row[2].string ?? "",
                       webhookID: row[3].int64 ?? 0, callID: row[4].string ?? "", sequence: row[5].int ?? 0,
                       attempts: row[6].int ?? 0, nextAttemptAt: row[7].int64 ?? 0, isManual: row[8].bool ?? false)
    }
}
