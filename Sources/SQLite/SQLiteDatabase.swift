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

    public init(path: String, busyTimeoutMilliseconds: Int32 = 5000) throws {
        connection = try SQLiteConnection(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
    }

    public init(connection: SQLiteConnection) {
        self.connection = connection
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
