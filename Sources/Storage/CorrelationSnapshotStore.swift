public import SQLite

/// The correlator's persisted state, so a restarted daemon still finishes the legs of calls that
/// ended while it was down.
///
/// Two formats live here:
/// - **Rows** (`correlation_row`, current): one row per entry of the engine's state (a channel, a
///   call, a bridge, a tombstone, …; `kind` + `key` → JSON `body`), plus one header row. The daemon
///   writes only the rows that changed since its last save and deletes those the engine forgot, so
///   the cost of a save follows the changes, not the number of live calls. ``apply(_:)`` is one
///   transaction: the stored rows are always one consistent state.
/// - **Snapshot** (`correlation_snapshot`, written by builds before the rows): the whole state as
///   one blob. Still read at start (converted: the first save rewrites every row and deletes the
///   blob), never written by the daemon any more.
///
/// The bodies are opaque here; their format and version live in the header row (the engine checks
/// them). Thread-safe through `SQLiteDatabase`.
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

    /// One stored entry of the state (see the type's documentation).
    public struct Row: Sendable, Equatable {
        public var kind: String
        public var key: String
        public var body: [UInt8]

        public init(kind: String, key: String, body: [UInt8]) {
            self.kind = kind
            self.key = key
            self.body = body
        }
    }

    /// One save: rows to write, rows to delete; with `replacingAll`, every stored row (and an old
    /// snapshot blob) is deleted first, so `upserts` become the whole state.
    public struct Changes: Sendable, Equatable {
        public var upserts: [Row]
        public var deletions: [(kind: String, key: String)]
        public var replacingAll: Bool
        public var savedAtMilliseconds: Int64

        public init(upserts: [Row], deletions: [(kind: String, key: String)] = [], replacingAll: Bool = false,
                    savedAtMilliseconds: Int64) {
            self.upserts = upserts
            self.deletions = deletions
            self.replacingAll = replacingAll
            self.savedAtMilliseconds = savedAtMilliseconds
        }

        public static func == (lhs: Changes, rhs: Changes) -> Bool {
            lhs.upserts == rhs.upserts && lhs.replacingAll == rhs.replacingAll
                && lhs.savedAtMilliseconds == rhs.savedAtMilliseconds
                && lhs.deletions.map { [$0.kind, $0.key] } == rhs.deletions.map { [$0.kind, $0.key] }
        }
    }

    /// What a start finds.
    public enum Stored: Sendable, Equatable {
        /// Rows (current format), with the time of the last save.
        case rows([Row], savedAtMilliseconds: Int64)
        /// A single-blob snapshot from an earlier build.
        case snapshot(Snapshot)
    }

    public static let migrations: [SQLiteMigration] = [
        SQLiteMigration(name: "correlation-001-snapshot", sql: """
            CREATE TABLE correlation_snapshot (
                id       INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
                saved_at INTEGER NOT NULL,
                body     BLOB NOT NULL
            );
            """),
        // `saved_at` on every row: the header row's is the time of the last save.
        SQLiteMigration(name: "correlation-002-rows", sql: """
            CREATE TABLE correlation_row (
                kind     TEXT NOT NULL,
                key      TEXT NOT NULL,
                saved_at INTEGER NOT NULL,
                body     BLOB NOT NULL,
                PRIMARY KEY (kind, key)
            );
            """),
    ]

    /// Kind of the header row (the engine's `CallCorrelator.stateHeaderKind`).
    public static let headerKind = "state"

    /// Uses `database` (shared or not) and applies the migrations it lacks.
    public init(database: SQLiteDatabase) throws {
        self.database = database
        try SQLiteMigrator(Self.migrations).migrate(database)
    }

    /// Opens its own connection to the database file at `path`.
    public convenience init(path: String) throws {
        try self.init(database: SQLiteDatabase(path: path))
    }

    // MARK: Rows

    /// Applies one save in one transaction.
    public func apply(_ changes: Changes) throws {
        try database.write { connection in
            if changes.replacingAll {
                try connection.execute("DELETE FROM correlation_row")
                try connection.execute("DELETE FROM correlation_snapshot")
            }
            if !changes.deletions.isEmpty {
                let delete = try connection.prepare("DELETE FROM correlation_row WHERE kind = ? AND key = ?")
                for deletion in changes.deletions {
                    try delete.bind([.text(deletion.kind), .text(deletion.key)])
                    try delete.run()
                }
            }
            if !changes.upserts.isEmpty {
                let upsert = try connection.prepare("""
                    INSERT INTO correlation_row (kind, key, saved_at, body) VALUES (?, ?, ?, ?)
                    ON CONFLICT (kind, key) DO UPDATE SET saved_at = excluded.saved_at, body = excluded.body
                    """)
                for row in changes.upserts {
                    try upsert.bind([.text(row.kind), .text(row.key), .integer(changes.savedAtMilliseconds),
                                     .blob(row.body)])
                    try upsert.run()
                }
            }
        }
    }

    /// What a start resumes: the rows when there are any, else an old snapshot blob, else nil.
    public func loadState() throws -> Stored? {
        try database.read { connection in
            let rows = try connection.query("SELECT kind, key, body, saved_at FROM correlation_row")
            if !rows.isEmpty {
                var savedAt: Int64 = 0
                let stored = rows.map { row -> Row in
                    let kind = row[0].string ?? ""
                    if kind == Self.headerKind { savedAt = row[3].int64 ?? 0 }
                    return Row(kind: kind, key: row[1].string ?? "", body: Self.bytes(row[2]))
                }
                return .rows(stored, savedAtMilliseconds: savedAt)
            }
            return try Self.loadSnapshot(connection).map(Stored.snapshot)
        }
    }

    /// Hands every stored row to `visit`, the header row first, without holding them all in memory
    /// (a restore of 10,000 calls reads ~26 MB of rows). Returns false when no row is stored.
    /// Holds the database for the whole read (a start, before AMI input).
    @discardableResult
    public func forEachRow(_ visit: (Row) throws -> Void) throws -> Bool {
        try database.read { connection in
            var any = false
            for sql in ["SELECT kind, key, body FROM correlation_row WHERE kind = ?",
                        "SELECT kind, key, body FROM correlation_row WHERE kind <> ?"] {
                let statement = try connection.prepare(sql)
                try statement.bind([.text(Self.headerKind)])
                while let row = try statement.step() {
                    any = true
                    try visit(Row(kind: row[0].string ?? "", key: row[1].string ?? "", body: Self.bytes(row[2])))
                }
            }
            return any
        }
    }

    /// When the state was last saved (either format), or nil when nothing is stored.
    public func savedAtMilliseconds() throws -> Int64? {
        try database.read { connection in
            if let row = try connection.queryFirst("SELECT saved_at FROM correlation_row WHERE kind = ?",
                                                   [.text(Self.headerKind)]) {
                return row[0].int64
            }
            return try Self.loadSnapshot(connection)?.savedAtMilliseconds
        }
    }

    /// Number of stored rows (tests, diagnostics).
    public func rowCount() throws -> Int {
        try database.read { connection in
            Int(try connection.queryFirst("SELECT COUNT(*) FROM correlation_row")?[0].int64 ?? 0)
        }
    }

    // MARK: Single-blob snapshot (earlier builds)

    /// Replaces the stored single-blob snapshot (what builds before the rows wrote; kept for tests
    /// and tools that prepare such a store).
    public func save(_ bytes: [UInt8], savedAtMilliseconds: Int64) throws {
        try database.write { connection in
            try connection.execute("""
                INSERT INTO correlation_snapshot (id, saved_at, body) VALUES (1, ?, ?)
                ON CONFLICT (id) DO UPDATE SET saved_at = excluded.saved_at, body = excluded.body
                """, [.integer(savedAtMilliseconds), .blob(bytes)])
        }
    }

    /// The stored single-blob snapshot, or nil when there is none.
    public func load() throws -> Snapshot? {
        try database.read { try Self.loadSnapshot($0) }
    }

    /// Forgets everything stored (rows and blob).
    public func clear() throws {
        try database.write { connection in
            try connection.execute("DELETE FROM correlation_snapshot")
            try connection.execute("DELETE FROM correlation_row")
        }
    }

    private static func loadSnapshot(_ connection: SQLiteConnection) throws -> Snapshot? {
        guard let row = try connection.queryFirst("SELECT body, saved_at FROM correlation_snapshot WHERE id = 1")
        else { return nil }
        return Snapshot(bytes: bytes(row[0]), savedAtMilliseconds: row[1].int64 ?? 0)
    }

    private static func bytes(_ value: SQLiteValue) -> [UInt8] {
        if case .blob(let blob) = value { return blob }
        return value.string.map { Array($0.utf8) } ?? []
    }
}

extension Outbox {
    /// The stored bodies of `callID`'s events with a sequence above `afterSequence`, in sequence
    /// order: after a restore, what the previous run published after its last snapshot.
    ///
    /// Read through the `event_id` key range of the call, as `highestSequences` (`delivery-006`).
    public func storedEventBodies(callID: String, afterSequence: Int) throws -> [[UInt8]] {
        let range = Self.eventIDRange(callID: callID)
        return try database.read { connection in
            try connection.query("""
                SELECT body FROM outbox_event
                WHERE event_id >= ? AND event_id < ? AND call_id = ? AND sequence > ? ORDER BY sequence
                """, [.text(range.lowerBound), .text(range.upperBound), .text(callID), .int(afterSequence)]
            ).map { row in
                if case .blob(let bytes) = row[0] { return bytes }
                return row[0].string.map { Array($0.utf8) } ?? []
            }
        }
    }
}
