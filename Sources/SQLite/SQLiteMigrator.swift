/// Applies named migrations in order and records each by name in `schema_migration`.
///
/// GRDB's `DatabaseMigrator` shape. Several parts of the program own tables in one file (the
/// webhook store, the delivery outbox); each registers its own migrations, with unique names, and
/// may run its own migrator: a migrator applies only the registered migrations the table does not
/// list yet, so migrators with different lists share a database safely. Each migration runs in its
/// own `BEGIN IMMEDIATE` transaction together with its record, so a failure leaves the database at
/// the previous migration and two processes starting at once cannot both apply it.
public struct SQLiteMigrator: Sendable {
    public private(set) var migrations: [SQLiteMigration]

    public init(_ migrations: [SQLiteMigration] = []) {
        self.migrations = []
        for migration in migrations { register(migration) }
    }

    /// Appends a migration; registering a name twice is a programming error.
    public mutating func register(_ migration: SQLiteMigration) {
        precondition(!migrations.contains { $0.name == migration.name },
                     "migration \"\(migration.name)\" registered twice")
        migrations.append(migration)
    }

    public mutating func register(_ more: [SQLiteMigration]) {
        for migration in more { register(migration) }
    }

    static let createTable = """
        CREATE TABLE IF NOT EXISTS schema_migration (
            name TEXT PRIMARY KEY NOT NULL,
            applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )
        """

    /// Names recorded as applied, in the order they were applied.
    public static func appliedMigrations(in connection: SQLiteConnection) throws -> [String] {
        try connection.execute(createTable)
        return try connection.query("SELECT name FROM schema_migration ORDER BY rowid").compactMap { $0[0].string }
    }

    /// Applies, in registration order, every migration not applied yet. Returns the names applied now.
    @discardableResult
    public func migrate(_ connection: SQLiteConnection) throws -> [String] {
        try connection.execute(Self.createTable)
        var appliedNow: [String] = []
        for migration in migrations {
            if try apply(migration, to: connection) { appliedNow.append(migration.name) }
        }
        return appliedNow
    }

    @discardableResult
    public func migrate(_ database: SQLiteDatabase) throws -> [String] {
        try database.read { try migrate($0) }
    }

    /// Whether every registered migration is applied (for `check`-style commands).
    public func hasPendingMigrations(_ connection: SQLiteConnection) throws -> Bool {
        let applied = Set(try Self.appliedMigrations(in: connection))
        return migrations.contains { !applied.contains($0.name) }
    }

    private func apply(_ migration: SQLiteMigration, to connection: SQLiteConnection) throws -> Bool {
        if migration.disablesForeignKeys { try connection.execute("PRAGMA foreign_keys=OFF") }
        defer { if migration.disablesForeignKeys { try? connection.execute("PRAGMA foreign_keys=ON") } }
        return try connection.transaction(.immediate) {
            let done = try connection.queryFirst("SELECT 1 FROM schema_migration WHERE name = ?",
                                                 [.text(migration.name)])
            guard done == nil else { return false }
            do {
                try migration.apply(connection)
            } catch let error as SQLiteError {
                throw SQLiteError(code: error.code, extendedCode: error.extendedCode,
                                  message: "migration \"\(migration.name)\": \(error.message)", sql: error.sql)
            }
            if migration.disablesForeignKeys {
                let violations = try connection.query("PRAGMA foreign_key_check")
                if let first = violations.first {
                    throw SQLiteError(code: 19, extendedCode: SQLiteError.SQLITE_CONSTRAINT_FOREIGNKEY,
                                      message: "migration \"\(migration.name)\" leaves \(violations.count) foreign key "
                                          + "violation(s), first in table \(first[0].string ?? "?")")
                }
            }
            try connection.execute("INSERT INTO schema_migration (name) VALUES (?)", [.text(migration.name)])
            return true
        }
    }
}
