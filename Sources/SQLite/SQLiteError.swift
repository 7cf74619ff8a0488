import CSQLite

/// An SQLite failure with everything needed to fix it: the (extended) result code under SQLite's own
/// spelling, SQLite's message, and the SQL that failed.
///
/// Modelled on GRDB's `DatabaseError`: keeping `SQLITE_…` names makes the C documentation searchable.
/// Related SQLite documentation: <https://www.sqlite.org/rescode.html>
public struct SQLiteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Primary result code (`SQLITE_CONSTRAINT` = 19, …).
    public var code: Int32
    /// Extended result code (`SQLITE_CONSTRAINT_UNIQUE` = 2067, …); equals `code` when there is none.
    public var extendedCode: Int32
    /// `sqlite3_errmsg` at the time of the failure, or our own explanation.
    public var message: String
    /// The statement that failed, when there was one.
    public var sql: String?

    public init(code: Int32, extendedCode: Int32? = nil, message: String, sql: String? = nil) {
        self.code = code & 0xFF
        self.extendedCode = extendedCode ?? code
        self.message = message
        self.sql = sql
    }

    /// `SQLITE_CONSTRAINT_UNIQUE`, or the primary name when the extended code has no name here.
    public var codeName: String {
        Self.names[extendedCode] ?? Self.names[code] ?? "SQLITE_ERROR(\(extendedCode))"
    }

    public var isConstraintViolation: Bool { code == SQLITE_CONSTRAINT }
    public var isUniqueViolation: Bool {
        extendedCode == Self.SQLITE_CONSTRAINT_UNIQUE || extendedCode == Self.SQLITE_CONSTRAINT_PRIMARYKEY
    }
    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }

    /// `SQLITE_CONSTRAINT_UNIQUE (2067): UNIQUE constraint failed: webhook.tenant, webhook.name — INSERT INTO …`
    public var description: String {
        var text = "\(codeName) (\(extendedCode)): \(message)"
        if let sql { text += " — \(sql)" }
        return text
    }

    /// Extended codes are C macro expressions (`SQLITE_CONSTRAINT | (8<<8)`) that Swift cannot import.
    public static let SQLITE_CONSTRAINT_UNIQUE: Int32 = SQLITE_CONSTRAINT | (8 << 8)
    public static let SQLITE_CONSTRAINT_PRIMARYKEY: Int32 = SQLITE_CONSTRAINT | (6 << 8)
    public static let SQLITE_CONSTRAINT_FOREIGNKEY: Int32 = SQLITE_CONSTRAINT | (3 << 8)
    public static let SQLITE_CONSTRAINT_NOTNULL: Int32 = SQLITE_CONSTRAINT | (5 << 8)
    public static let SQLITE_CONSTRAINT_CHECK: Int32 = SQLITE_CONSTRAINT | (1 << 8)
    public static let SQLITE_BUSY_SNAPSHOT: Int32 = SQLITE_BUSY | (2 << 8)
    public static let SQLITE_CANTOPEN_ISDIR: Int32 = SQLITE_CANTOPEN | (2 << 8)

    /// Names of the codes a user of this package is likely to meet.
    static let names: [Int32: String] = [
        SQLITE_ERROR: "SQLITE_ERROR", SQLITE_INTERNAL: "SQLITE_INTERNAL", SQLITE_PERM: "SQLITE_PERM",
        SQLITE_ABORT: "SQLITE_ABORT", SQLITE_BUSY: "SQLITE_BUSY", SQLITE_LOCKED: "SQLITE_LOCKED",
        SQLITE_NOMEM: "SQLITE_NOMEM", SQLITE_READONLY: "SQLITE_READONLY", SQLITE_INTERRUPT: "SQLITE_INTERRUPT",
        SQLITE_IOERR: "SQLITE_IOERR", SQLITE_CORRUPT: "SQLITE_CORRUPT", SQLITE_NOTFOUND: "SQLITE_NOTFOUND",
        SQLITE_FULL: "SQLITE_FULL", SQLITE_CANTOPEN: "SQLITE_CANTOPEN", SQLITE_PROTOCOL: "SQLITE_PROTOCOL",
        SQLITE_SCHEMA: "SQLITE_SCHEMA", SQLITE_TOOBIG: "SQLITE_TOOBIG", SQLITE_CONSTRAINT: "SQLITE_CONSTRAINT",
        SQLITE_MISMATCH: "SQLITE_MISMATCH", SQLITE_MISUSE: "SQLITE_MISUSE", SQLITE_RANGE: "SQLITE_RANGE",
        SQLITE_NOTADB: "SQLITE_NOTADB",
        Self.SQLITE_CONSTRAINT_UNIQUE: "SQLITE_CONSTRAINT_UNIQUE",
        Self.SQLITE_CONSTRAINT_PRIMARYKEY: "SQLITE_CONSTRAINT_PRIMARYKEY",
        Self.SQLITE_CONSTRAINT_FOREIGNKEY: "SQLITE_CONSTRAINT_FOREIGNKEY",
        Self.SQLITE_CONSTRAINT_NOTNULL: "SQLITE_CONSTRAINT_NOTNULL",
        Self.SQLITE_CONSTRAINT_CHECK: "SQLITE_CONSTRAINT_CHECK",
        Self.SQLITE_BUSY_SNAPSHOT: "SQLITE_BUSY_SNAPSHOT",
        Self.SQLITE_CANTOPEN_ISDIR: "SQLITE_CANTOPEN_ISDIR",
    ]
}
