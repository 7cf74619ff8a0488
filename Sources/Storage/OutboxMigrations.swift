public import SQLite

extension Outbox {
    /// The outbox and delivery-log tables, as named migrations. Register them in the store's migrator
    /// or let `Outbox.init` apply them (a migrator applies only what the database does not list yet).
    ///
    /// Times are Unix milliseconds (INTEGER). One `outbox_event` row per event (the body, stored once
    /// however many webhooks receive it); one `outbox_delivery` row per (event, webhook); one
    /// `delivery_attempt` row per HTTP attempt except the successful one (kept on the delivery row, see
    /// `delivery-003`); one `delivery_webhook_health` row per webhook that
    /// ever failed (when its current failure streak began, so auto-disable survives a restart).
    public static let migrations: [SQLiteMigration] = [
        SQLiteMigration(name: "delivery-001-outbox", sql: """
            CREATE TABLE outbox_event (
                event_id   TEXT PRIMARY KEY NOT NULL,
                event_type TEXT NOT NULL,
                tenant     TEXT NOT NULL,
                call_id    TEXT NOT NULL,
                sequence   INTEGER NOT NULL,
                body       BLOB NOT NULL,
                created_at INTEGER NOT NULL
            );
            CREATE TABLE outbox_delivery (
                id              INTEGER PRIMARY KEY,
                event_id        TEXT NOT NULL REFERENCES outbox_event(event_id) ON DELETE CASCADE,
                webhook_id      INTEGER NOT NULL,
                webhook_name    TEXT NOT NULL,
                call_id         TEXT NOT NULL,
                sequence        INTEGER NOT NULL,
                state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
                attempts        INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER NOT NULL,
                manual          INTEGER NOT NULL DEFAULT 0,
                created_at      INTEGER NOT NULL,
                updated_at      INTEGER NOT NULL,
                last_status     INTEGER,
                last_error      TEXT,
                UNIQUE (event_id, webhook_id)
            );
            CREATE INDEX outbox_delivery_pending ON outbox_delivery (webhook_id, call_id, sequence)
                WHERE state = 'pending';
            CREATE INDEX outbox_delivery_by_webhook ON outbox_delivery (webhook_id, id);
            CREATE INDEX outbox_delivery_failed ON outbox_delivery (id) WHERE state = 'failed';
            CREATE TABLE delivery_attempt (
                id              INTEGER PRIMARY KEY,
                delivery_id     INTEGER NOT NULL REFERENCES outbox_delivery(id) ON DELETE CASCADE,
                attempt         INTEGER NOT NULL,
                started_at      INTEGER NOT NULL,
                latency_ms      INTEGER NOT NULL,
                status_code     INTEGER,
                result          TEXT NOT NULL CHECK (result IN ('success', 'failure', 'error')),
                response_body   TEXT,
                error           TEXT,
                next_attempt_at INTEGER
            );
            CREATE INDEX delivery_attempt_by_delivery ON delivery_attempt (delivery_id, id);
            CREATE TABLE delivery_webhook_health (
                webhook_id      INTEGER PRIMARY KEY NOT NULL,
                failing_since   INTEGER,
                last_success_at INTEGER,
                disabled_at     INTEGER,
                disabled_reason TEXT
            );
            """),
        // After a restart the ingest side asks for the highest stored sequence of each adopted call.
        SQLiteMigration(name: "delivery-002-event-by-call", sql: """
            CREATE INDEX outbox_event_by_call ON outbox_event (call_id, sequence);
            """),
        // The attempt that delivered a row is kept on the row itself instead of in `delivery_attempt`
        // (most deliveries succeed at once, and that row cost 2 more b-tree inserts per delivery). The
        // delivery log shows it as the last attempt: number `attempts`, status `last_status`, result
        // `success`, no response body. NULL while the row has no such success (rows of older stores,
        // whose successes are in `delivery_attempt`, keep NULL). See `Outbox.record` and `redeliver`.
        SQLiteMigration(name: "delivery-003-success-on-delivery-row", sql: """
            ALTER TABLE outbox_delivery ADD COLUMN success_started_at INTEGER;
            ALTER TABLE outbox_delivery ADD COLUMN success_latency_ms INTEGER;
            """),
        // The pending rows keyed by delivery id, not by (webhook, call, sequence): ids only grow, so
        // an enqueue appends at the right edge of the index instead of dirtying a page per live call
        // in every commit. The two readers (resume after a restart, the periodic re-read) sort the
        // pending rows they get; nothing else needs that order from the index.
        SQLiteMigration(name: "delivery-004-pending-by-id", sql: """
            DROP INDEX outbox_delivery_pending;
            CREATE INDEX outbox_delivery_pending_by_id ON outbox_delivery (id) WHERE state = 'pending';
            """),
        // The worker's re-read every 2 s (`pendingDeliveries(updatedSince:)`) wants only retrying and
        // manual rows; through the pending index it walked every pending row, a whole core's worth
        // with a million rows queued behind a dead endpoint. Rows enter this index only when an
        // attempt fails or a person redelivers, so an enqueue never touches it. Its WHERE must stay
        // the same text as that query's for SQLite to use it.
        SQLiteMigration(name: "delivery-005-retrying-index", sql: """
            CREATE INDEX outbox_delivery_retrying ON outbox_delivery (id)
                WHERE state = 'pending' AND (manual = 1 OR attempts > 0);
            """),
        // `highestSequences` finds a call's events through the primary key instead (call event ids are
        // `evt_<call id>_<sequence>`, so they share a key prefix): this index cost a b-tree insert per
        // stored event, about a tenth of the SQL work of an enqueue, to serve one query at a restart.
        SQLiteMigration(name: "delivery-006-drop-event-by-call", sql: """
            DROP INDEX IF EXISTS outbox_event_by_call;
            """),
        // The same CHECK on `state`, written without `IN`. SQLite evaluates `x IN (3 or more
        // constants)` through an ephemeral b-tree that it builds, fills and frees on every run of the
        // statement: for the enqueue's INSERT and the recorder's UPDATE (which sets `state`) that
        // was about 10k instructions each, a fifth of the UPDATE, and ~1.2 µs per statement in a
        // plain test. ORed equalities accept exactly the same values and compile to three
        // comparisons. A CHECK cannot be altered, so the table is rebuilt (SQLite's documented
        // procedure, foreign keys off): same columns in the same order, same ids, same indexes;
        // `delivery_attempt` refers to the table by name and is untouched.
        SQLiteMigration(name: "delivery-007-state-check-without-in", disablesForeignKeys: true, sql: """
            CREATE TABLE outbox_delivery_new (
                id              INTEGER PRIMARY KEY,
                event_id        TEXT NOT NULL REFERENCES outbox_event(event_id) ON DELETE CASCADE,
                webhook_id      INTEGER NOT NULL,
                webhook_name    TEXT NOT NULL,
                call_id         TEXT NOT NULL,
                sequence        INTEGER NOT NULL,
                state           TEXT NOT NULL CHECK (state = 'pending' OR state = 'delivered' OR state = 'failed'),
                attempts        INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER NOT NULL,
                manual          INTEGER NOT NULL DEFAULT 0,
                created_at      INTEGER NOT NULL,
                updated_at      INTEGER NOT NULL,
                last_status     INTEGER,
                last_error      TEXT,
                success_started_at INTEGER,
                success_latency_ms INTEGER,
                UNIQUE (event_id, webhook_id)
            );
            INSERT INTO outbox_delivery_new (id, event_id, webhook_id, webhook_name, call_id, sequence, state, attempts,
                                             next_attempt_at, manual, created_at, updated_at, last_status, last_error,
                                             success_started_at, success_latency_ms)
                SELECT id, event_id, webhook_id, webhook_name, call_id, sequence, state, attempts, next_attempt_at,
                       manual, created_at, updated_at, last_status, last_error, success_started_at, success_latency_ms
                FROM outbox_delivery;
            DROP TABLE outbox_delivery;
            ALTER TABLE outbox_delivery_new RENAME TO outbox_delivery;
            CREATE INDEX outbox_delivery_by_webhook ON outbox_delivery (webhook_id, id);
            CREATE INDEX outbox_delivery_failed ON outbox_delivery (id) WHERE state = 'failed';
            CREATE INDEX outbox_delivery_pending_by_id ON outbox_delivery (id) WHERE state = 'pending';
            CREATE INDEX outbox_delivery_retrying ON outbox_delivery (id)
                WHERE state = 'pending' AND (manual = 1 OR attempts > 0);
            """),
    ]
}
