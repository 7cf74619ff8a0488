import SQLite

extension Outbox {
    /// Deliveries, newest first, filtered by `query` (the delivery log's list).
    public func deliveries(_ query: DeliveryQuery = DeliveryQuery()) throws -> [DeliveryRecord] {
        var conditions: [String] = []
        var values: [SQLiteValue] = []
        if let id = query.webhookID {
            conditions.append("d.webhook_id = ?")
            values.append(.integer(id))
        }
        if let name = query.webhookName {
            conditions.append("d.webhook_name = ?")
            values.append(.text(name))
        }
        if let state = query.state {
            conditions.append("d.state = ?")
            values.append(.text(state.rawValue))
        }
        if let before = query.beforeID {
            conditions.append("d.id < ?")
            values.append(.integer(before))
        }
        values.append(.int(max(1, query.limit)))
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try database.read { connection in
            try connection.query("""
                SELECT d.id, d.event_id, e.event_type, e.tenant, d.webhook_id, d.webhook_name, d.call_id, d.sequence,
                       d.state, d.attempts, d.next_attempt_at, d.manual, d.created_at, d.updated_at, d.last_status,
                       d.last_error
                FROM outbox_delivery d JOIN outbox_event e ON e.event_id = d.event_id
                \(whereClause)
                ORDER BY d.id DESC LIMIT ?
                """, values).map(Self.record)
        }
    }

    /// One delivery by id.
    public func delivery(id: Int64) throws -> DeliveryRecord? {
        try database.read { connection in
            try connection.queryFirst("""
                SELECT d.id, d.event_id, e.event_type, e.tenant, d.webhook_id, d.webhook_name, d.call_id, d.sequence,
                       d.state, d.attempts, d.next_attempt_at, d.manual, d.created_at, d.updated_at, d.last_status,
                       d.last_error
                FROM outbox_delivery d JOIN outbox_event e ON e.event_id = d.event_id
                WHERE d.id = ?
                """, [.integer(id)]).map(Self.record)
        }
    }

    /// Every attempt of a delivery, oldest first. The success that delivered it is last; when it is
    /// kept on the delivery row (stores since `delivery-003`) it is built from there, with id 0 and no
    /// response body.
    public func attempts(deliveryID: Int64) throws -> [DeliveryAttemptRecord] {
        try database.read { connection in
            var attempts = try connection.query("""
                SELECT id, delivery_id, attempt, started_at, latency_ms, status_code, result, response_body, error,
                       next_attempt_at
                FROM delivery_attempt WHERE delivery_id = ? ORDER BY id
                """, [.integer(deliveryID)]).map { row in
                DeliveryAttemptRecord(id: row[0].int64 ?? 0, deliveryID: row[1].int64 ?? 0, attempt: row[2].int ?? 0,
                                      startedAt: row[3].int64 ?? 0, latencyMilliseconds: row[4].int ?? 0,
                                      statusCode: row[5].int,
                                      result: DeliveryAttemptResult(rawValue: row[6].string ?? "") ?? .error,
                                      responseBody: row[7].string, error: row[8].string, nextAttemptAt: row[9].int64)
            }
            if let row = try connection.queryFirst("""
                SELECT attempts, success_started_at, success_latency_ms, last_status
                FROM outbox_delivery WHERE id = ? AND success_started_at IS NOT NULL
                """, [.integer(deliveryID)])
            {
                attempts.append(DeliveryAttemptRecord(
                    id: 0, deliveryID: deliveryID, attempt: row[0].int ?? 0, startedAt: row[1].int64 ?? 0,
                    latencyMilliseconds: row[2].int ?? 0, statusCode: row[3].int, result: .success,
                    responseBody: nil, error: nil, nextAttemptAt: nil))
            }
            return attempts
        }
    }

    /// The number of attempts in the delivery log: rows, plus the successes kept on delivery rows.
    public func attemptCount() throws -> Int64 {
        try database.read {
            try $0.queryFirst("""
                SELECT (SELECT COUNT(*) FROM delivery_attempt)
                     + (SELECT COUNT(*) FROM outbox_delivery WHERE success_started_at IS NOT NULL)
                """)?[0].int64 ?? 0
        }
    }

    /// Row counts by state (pending split into first-time and retrying).
    public func counts() throws -> OutboxCounts {
        try database.read { connection in
            var counts = OutboxCounts()
            for row in try connection.query("""
                SELECT state, attempts > 0, COUNT(*) FROM outbox_delivery GROUP BY state, attempts > 0
                """)
            {
                let count = row[2].int ?? 0
                switch DeliveryState(rawValue: row[0].string ?? "") {
                case .pending?:
                    counts.pending += count
                    if row[1].bool == true { counts.retrying += count }
                case .delivered?: counts.delivered += count
                case .failed?: counts.failed += count
                case nil: break
                }
            }
            return counts
        }
    }

    /// Deletes delivered and failed deliveries last updated before `cutoff` (Unix ms), their attempts,
    /// and events no delivery refers to any more. Returns the number of deliveries removed.
    @discardableResult
    public func purge(finishedBefore cutoff: Int64) throws -> Int {
        try database.write { connection in
            try connection.execute("""
                DELETE FROM outbox_delivery WHERE state IN ('delivered', 'failed') AND updated_at < ?
                """, [.integer(cutoff)])
            let removed = connection.changes
            try connection.execute("""
                DELETE FROM outbox_event WHERE NOT EXISTS (
                    SELECT 1 FROM outbox_delivery d WHERE d.event_id = outbox_event.event_id)
                """)
            return removed
        }
    }

    static func record(_ row: SQLiteRow) -> DeliveryRecord {
        DeliveryRecord(id: row[0].int64 ?? 0, eventID: row[1].string ?? "", eventType: row[2].string ?? "",
                       tenant: row[3].string ?? "", webhookID: row[4].int64 ?? 0, webhookName: row[5].string ?? "",
                       callID: row[6].string ?? "", sequence: row[7].int ?? 0,
                       state: DeliveryState(rawValue: row[8].string ?? "") ?? .pending, attempts: row[9].int ?? 0,
                       nextAttemptAt: row[10].int64 ?? 0, isManual: row[11].bool ?? false,
                       createdAt: row[12].int64 ?? 0, updatedAt: row[13].int64 ?? 0, lastStatus: row[14].int,
                       lastError: row[15].string)
    }
}
