import Foundation

/// One connection shared safely between threads: every access runs under a lock, one at a time.
///
/// GRDB's `DatabaseQueue` idea without the queue: callers are already off the cooperative pool
/// (CLI, reload thread, delivery thread), so a lock is enough and keeps the API synchronous.
/// Other processes (the CLI beside the daemon) use their own connections; WAL and the busy
/// timeout make that safe.
public final class SQLiteDatabase: @unchecked Sendable {
    // @unchecked: `connection` is only touched inside `lock`, which serializes all access.
    private let connection: SQLiteConnection
    private let lock = NSRecursiveLock()

    public var path: String { connection.path }

    private let checkpointer: SQLiteCheckpointer?

    /// - Parameter checkpointInBackground: run WAL checkpoints on a thread of their own (see
    ///   ``SQLiteCheckpointer``) instead of inside the commit that fills the WAL; for databases
    ///   written on a latency-sensitive path (the outbox).
    public init(path: String, busyTimeoutMilliseconds: Int32 = 5000, checkpointInBackground: Bool = false) throws {
        connection = try SQLiteConnection(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        if checkpointInBackground && path != ":memory:" {
            let checkpointer = try SQLiteCheckpointer(path: path, thresholdPages: 1_000)
            connection.setWALHook { checkpointer.committed(walPages: $0) }
            self.checkpointer = checkpointer
        } else {
            checkpointer = nil
        }
    }

    deinit { checkpointer?.stop() }

    /// How many checkpoints the background checkpointer has run; nil without one. For tests and
    /// diagnostics.
    public var backgroundCheckpoints: Int? { checkpointer?.runs.load(ordering: .relaxed) }

    public init(connection: SQLiteConnection) {
        self.connection = connection
        checkpointer = nil
    }

    /// Runs `body` with exclusive use of the connection. Do not let the connection escape.
    public func read<T>(_ body: (SQLiteConnection) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(connection)
    }

    /// Runs `body` inside a `BEGIN IMMEDIATE` transaction with exclusive use of the connection.
    public func write<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try connection.transaction(.immediate) { try body(connection) }
    }
}
