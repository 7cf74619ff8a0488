import CSQLite
import Dispatch
import Foundation
import Synchronization

/// Runs the WAL checkpoints of a database file on its own thread and connection.
///
/// SQLite's automatic checkpoint runs inside the `COMMIT` that pushes the WAL past 1,000 pages: that
/// commit then copies megabytes into the database file and waits for `fsync`, milliseconds during
/// which the committing thread (the ingest thread enqueueing events, the delivery worker recording
/// attempts) does nothing else — the tail of the end-to-end latency. Here the commit only signals
/// (`sqlite3_wal_hook`, which also turns the automatic checkpoint off for that connection) and a
/// `PASSIVE` checkpoint runs beside it: it never blocks readers or the writer, and the writer
/// starts the WAL over once a checkpoint has copied everything.
final class SQLiteCheckpointer: @unchecked Sendable {
    // @unchecked: `connection` is used on the checkpoint thread only (after `init`); the rest is
    // a mutex and semaphores.
    private let connection: SQLiteConnection
    private let thresholdPages: Int32
    private let requested = Mutex(false)
    private let stopping = Atomic<Bool>(false)
    /// Checkpoints run so far (completed or not).
    let runs = Atomic<Int>(0)
    private let wake = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)

    /// Opens its own connection to `path` and starts its thread.
    init(path: String, thresholdPages: Int32) throws {
        connection = try SQLiteConnection(path: path)
        self.thresholdPages = thresholdPages
        let thread = Thread { [self] in
            loop()
            exited.signal()
        }
        thread.name = "sqlite-checkpoint"
        thread.start()
    }

    /// Called by the WAL hook after every commit with the pages now in the WAL.
    func committed(walPages: Int32) {
        guard walPages >= thresholdPages else { return }
        let first = requested.withLock { requested -> Bool in
            defer { requested = true }
            return !requested
        }
        if first { wake.signal() }
    }

    /// Stops the thread (a checkpoint in progress finishes first).
    func stop() {
        stopping.store(true, ordering: .releasing)
        wake.signal()
        exited.wait()
    }

    private func loop() {
        while true {
            wake.wait()
            if stopping.load(ordering: .acquiring) { return }
            requested.withLock { $0 = false }
            // Busy (another checkpoint, e.g. by the CLI) or failing: the next commit asks again.
            _ = sqlite3_wal_checkpoint_v2(connection.handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            runs.add(1, ordering: .relaxed)
        }
    }
}
