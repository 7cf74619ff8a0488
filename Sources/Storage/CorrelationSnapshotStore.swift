public import SQLite

/// The correlator's last persisted state (one blob, `CallCorrelator.snapshot()`), so a restarted
/// daemon still finishes the legs of calls that ended while it was down.
///
/// One row at most: each save replaces the previous snapshot in one statement (atomic in SQLite).
/// The blob is opaque here; its format and version live inside it (the engine checks them).
/// Thread-safe through `SQLiteDatabase`.
public final class CorrelationSnapshotStore: Sendable {
    public let database: SQLiteDatabase

    /// One stored snapshot and when it was saved (Unix ms, the daemon's clock).
    public struct Snapshot: Sendable, Equatable {
        public var bytes: [UInt8]
        public var savedAtMilliseconds: Int64

        public init(bytes: [UInt8], savedAtMilliseconds: Int64) {
            self.bytes = bytes
            self.savedAtMilliseconds = savedAtMilliseconds
        }
    }

    public static let migrations: [SQLiteMigration] = [
        SQLiteMigration(name: "correlation-001-snapshot", sql: """
            CREATE TABLE correlation_snapshot (
                id       INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
                saved_at INTEGER NOT NULL,
                body     BLOB NOT NULL
            );
            """),
    ]

    /// Uses `database` (shared or not) and applies the migrations it lacks.
    public init(database: SQLiteDatabase) throws {
        self.database = database
        try SQLiteMigrator(Self.migrations).migrate(database)
    }

    /// Opens its own connection to the database file at `path`.
    public convenience init(path: String) throws {
        try self.init(database: SQLiteDatabase(path: path))
    }

    /// Replaces the stored snapshot.
    public func save(_ bytes: [UInt8], savedAtMilliseconds: Int64) throws {
        try database.write { connection in
            try connection.execute("""
                INSERT INTO correlation_snapshot (id, saved_at, body) VALUES (1, ?, ?)
                ON CONFLICT (id) DO UPDATE SET saved_at = excluded.saved_at, body = excluded.body
                """, [.integer(savedAtMilliseconds), .blob(bytes)])
        }
    }

    /// The stored snapshot, or nil when none was ever saved (or it was cleared).
    public func load() throws -> Snapshot? {
        try database.read { connection in
            guard let row = try connection.queryFirst("SELECT body, saved_at FROM correlation_snapshot WHERE id = 1")
            else { return nil }
            let bytes: [UInt8]
            if case .blob(let blob) = row[0] { bytes = blob } else { bytes = row[0].string.map { Array($0.utf8) } ?? [] }
            return Snapshot(bytes: bytes, savedAtMilliseconds: row[1].int64 ?? 0)
        }
    }

    /// Forgets the stored snapshot.
    public func clear() throws {
        try database.write { connection in try connection.execute("DELETE FROM correlation_snapshot") }
    }
}

extension Outbox {
    /// The stored bodies of `callID`'s events with a sequence above `afterSequence`, in sequence
    /// order: after a restore, what the previous run published after its last snapshot.
    public func storedEventBodies(callID: String, afterSequence: Int) throws -> [[UInt8]] {
        try database.read { connection in
            try connection.query(
                "SELECT body FROM outbox_event WHERE call_id = ? AND sequence > ? ORDER BY sequence",
                [.text(callID), .int(afterSequence)]
            ).map { row in
                if case .blob(let bytes) = row[0] { return bytes }
                return row[0].string.map { Array($0.utf8) } ?? []
            }
        }
    }
}
