import SQLite
import Storage
import Testing

@Suite("Correlation snapshot store")
struct CorrelationSnapshotStoreTests {
    @Test("A saved snapshot is loaded back with its time; a later save replaces it")
    func saveLoadReplace() throws {
        let directory = try StoreTestDirectory()
        let path = directory.path("store.sqlite")
        let store = try CorrelationSnapshotStore(path: path)
        #expect(try store.load() == nil)
        try store.save([1, 2, 3], savedAtMilliseconds: 1_000)
        try store.save(Array("{\"version\":1}".utf8), savedAtMilliseconds: 2_000)
        // Another connection (the next process) sees the last one only.
        let reopened = try CorrelationSnapshotStore(path: path)
        #expect(try reopened.load() == .init(bytes: Array("{\"version\":1}".utf8), savedAtMilliseconds: 2_000))
        try reopened.clear()
        #expect(try store.load() == nil)
    }

    @Test("The table comes from its own named migration, applied once beside the outbox's")
    func namedMigrationBesideTheOutbox() throws {
        let directory = try StoreTestDirectory()
        let database = try SQLiteDatabase(path: directory.path("store.sqlite"))
        _ = try Outbox(database: database)
        _ = try CorrelationSnapshotStore(database: database)
        _ = try CorrelationSnapshotStore(database: database)
        let applied = try database.read { try SQLiteMigrator.appliedMigrations(in: $0) }
        #expect(applied.filter { $0 == "correlation-001-snapshot" }.count == 1)
        #expect(applied.contains("delivery-001-outbox"))
    }
}
