/// One named schema change. Names are the identity: once applied, a migration is recorded by name
/// and never runs again, so never rename or edit a shipped migration — add a new one.
public struct SQLiteMigration: Sendable {
    public let name: String
    /// Set for table rebuilds (SQLite's 12-step ALTER): foreign keys are switched off around the
    /// migration and `PRAGMA foreign_key_check` must come back clean before it commits.
    public let disablesForeignKeys: Bool
    let apply: @Sendable (SQLiteConnection) throws -> Void

    /// A migration written as an SQL script (several statements allowed).
    public init(name: String, disablesForeignKeys: Bool = false, sql: String) {
        self.name = name
        self.disablesForeignKeys = disablesForeignKeys
        self.apply = { connection in try connection.execute(sql) }
    }

    /// A migration that needs code (data rewrites the SQL alone cannot express).
    public init(name: String, disablesForeignKeys: Bool = false,
                apply: @escaping @Sendable (SQLiteConnection) throws -> Void) {
        self.name = name
        self.disablesForeignKeys = disablesForeignKeys
        self.apply = apply
    }
}
