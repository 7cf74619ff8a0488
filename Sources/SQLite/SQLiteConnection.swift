import CSQLite
import Glibc

/// One SQLite connection, configured the way this daemon needs it.
///
/// Opening sets `journal_mode=WAL` (readers never block the writer), `synchronous=NORMAL` (durable
/// at checkpoints, safe with WAL), `foreign_keys=ON` (off by default in SQLite) and a busy timeout,
/// so the daemon, the CLI and tests can share one file. A new database file is created with mode
/// 0600 because it holds webhook secrets; SQLite gives its `-wal`/`-shm` files the same mode.
///
/// Not thread-safe by itself: use it from one thread at a time (``SQLiteDatabase`` serializes).
/// Related SQLite documentation: <https://www.sqlite.org/c3ref/open.html>, <https://www.sqlite.org/wal.html>
public final class SQLiteConnection {
    public let path: String
    let handle: OpaquePointer
    /// Statements kept prepared by `cached(_:)`, by SQL text.
    private var statementCache: [String: SQLiteStatement] = [:]
    /// Keeps the closure given to `setWALHook` alive for as long as SQLite may call it.
    private var walHook: WALHookBox?

    /// Opens (creating when missing) the database at `path`. `":memory:"` opens a private in-memory one.
    public init(path: String, busyTimeoutMilliseconds: Int32 = 5000) throws(SQLiteError) {
        _ = Self.globalConfiguration
        if path != ":memory:" { try Self.createPrivateFileIfMissing(path) }
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: code, message: "\(message): \(path)")
        }
        self.path = path
        self.handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        try execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
    }

    deinit {
        statementCache.removeAll()  // finalized before the close
        sqlite3_close_v2(handle)
    }

    /// Process-wide settings, applied once before the first connection opens (a lazily initialised
    /// global runs exactly once): no memory statistics. The system SQLite is built with them on and
    /// without lookaside memory, so every one of its many small allocations took a global mutex to
    /// update counters nobody reads. Off, the outbox's statements cost 6–9 % less (the outbox schema
    /// through Python's `sqlite3` on the same library: 16.4 → 15.5 µs per enqueued event, 11.6 →
    /// 10.5 µs per recorded attempt).
    private static let globalConfiguration: Void = {
        _ = csqlite_disable_memstatus()
    }()

    /// Creates the file with mode 0600 before SQLite does, since SQLite would use 0644.
    private static func createPrivateFileIfMissing(_ path: String) throws(SQLiteError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(0o600))
        if fd >= 0 {
            fchmod(fd, mode_t(0o600))  // the umask may have removed bits; never added any
            close(fd)
        } else if errno != EEXIST {
            let reason = String(cString: strerror(errno))
            throw SQLiteError(code: SQLITE_CANTOPEN, message: "cannot create \(path): \(reason)")
        }
    }

    /// Runs one or more statements without parameters (schema scripts, pragmas).
    public func execute(_ sql: String) throws(SQLiteError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        if code != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw SQLiteError(code: code, extendedCode: sqlite3_extended_errcode(handle), message: text, sql: sql)
        }
    }

    /// Runs one statement with positional parameters `?`, ignoring rows.
    public func execute(_ sql: String, _ values: [SQLiteValue]) throws(SQLiteError) {
        let statement = try prepare(sql)
        try statement.bind(values)
        try statement.run()
    }

    /// Runs one query and returns all rows.
    public func query(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) -> [SQLiteRow] {
        let statement = try prepare(sql)
        try statement.bind(values)
        return try statement.all()
    }

    /// The first row of a query, or nil.
    public func queryFirst(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) -> SQLiteRow? {
        try query(sql, values).first
    }

    public func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        try SQLiteStatement(connection: self, sql: sql)
    }

    /// A prepared statement for `sql` that stays prepared for the connection's lifetime: hot paths
    /// (the delivery worker's attempt log, the outbox inserts) run the same few statements thousands
    /// of times a second, and parsing and planning them again each time cost more than running them.
    /// Bind before each use (`bind` resets it); do not keep it beyond the caller's critical section.
    public func cached(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let statement = statementCache[sql] { return statement }
        let statement = try SQLiteStatement(connection: self, sql: sql)
        statementCache[sql] = statement
        return statement
    }

    /// Replaces SQLite's automatic checkpoint on this connection: `hook` is called after every
    /// commit with the number of pages in the WAL, and checkpointing is its business.
    func setWALHook(_ hook: @escaping (Int32) -> Void) {
        let box = WALHookBox(hook)
        walHook = box
        sqlite3_wal_hook(handle, { context, _, _, pages in
            guard let context else { return SQLITE_OK }
            Unmanaged<WALHookBox>.fromOpaque(context).takeUnretainedValue().hook(pages)
            return SQLITE_OK
        }, Unmanaged.passUnretained(box).toOpaque())
    }

    /// Row id of the last successful INSERT on this connection.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    /// Rows changed by the last INSERT/UPDATE/DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// How a transaction takes its locks.
    /// Related SQLite documentation: <https://www.sqlite.org/lang_transaction.html>
    public enum TransactionKind: String, Sendable {
        /// Takes the write lock at once, so a read-then-write never fails with BUSY halfway
        /// (a deferred transaction's lock upgrade does not wait on the busy timeout).
        case immediate = "IMMEDIATE"
        case deferred = "DEFERRED"
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    /// Nested calls join the outer transaction (SAVEPOINTs are not needed here).
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        if isInTransaction { return try body() }
        try cached(kind == .immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED").run()
        do {
            let result = try body()
            try cached("COMMIT").run()
            return result
        } catch {
            if isInTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    func error(code: Int32, sql: String?) -> SQLiteError {
        SQLiteError(code: code, extendedCode: sqlite3_extended_errcode(handle),
                    message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }
}

/// The closure behind `sqlite3_wal_hook`'s context pointer.
final class WALHookBox {
    let hook: (Int32) -> Void
    init(_ hook: @escaping (Int32) -> Void) { self.hook = hook }
}
