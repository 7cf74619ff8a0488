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

@Suite("Correlation state rows store")
struct CorrelationStateRowsStoreTests {
    static func row(_ kind: String, _ key: String, _ body: String) -> CorrelationSnapshotStore.Row {
        .init(kind: kind, key: key, body: Array(body.utf8))
    }

    static func sorted(_ stored: CorrelationSnapshotStore.Stored?) -> [CorrelationSnapshotStore.Row] {
        guard case .rows(let rows, _)? = stored else { return [] }
        return rows.sorted { ($0.kind, $0.key) < ($1.kind, $1.key) }
    }

    @Test("Saves upsert and delete rows in one transaction; the next process loads exactly the rows left")
    func upsertsAndDeletions() throws {
        let directory = try StoreTestDirectory()
        let path = directory.path("store.sqlite")
        let store = try CorrelationSnapshotStore(path: path)
        #expect(try store.loadState() == nil)
        #expect(try store.savedAtMilliseconds() == nil)
        try store.apply(.init(upserts: [Self.row("state", "", "{}"), Self.row("calls", "a", "1"),
                                        Self.row("calls", "b", "2"), Self.row("channels", "a", "3")],
                              savedAtMilliseconds: 1_000))
        // The call "a" ends: its rows go; "b" changes.
        try store.apply(.init(upserts: [Self.row("calls", "b", "22"), Self.row("state", "", "{}")],
                              deletions: [("calls", "a"), ("channels", "a"), ("channels", "never-stored")],
                              savedAtMilliseconds: 2_000))
        let reopened = try CorrelationSnapshotStore(path: path)
        #expect(Self.sorted(try reopened.loadState()) == [Self.row("calls", "b", "22"), Self.row("state", "", "{}")])
        #expect(try reopened.savedAtMilliseconds() == 2_000)
        #expect(try reopened.rowCount() == 2)
    }

    @Test("A failing save changes nothing (one transaction)")
    func failingSaveIsAtomic() throws {
        let directory = try StoreTestDirectory()
        let store = try CorrelationSnapshotStore(path: directory.path("store.sqlite"))
        try store.apply(.init(upserts: [Self.row("state", "", "{}"), Self.row("calls", "a", "1")], savedAtMilliseconds: 1))
        // A trigger refuses one row midway through the save (as a full disk would).
        try store.database.write { try $0.execute("CREATE TRIGGER refuse BEFORE INSERT ON correlation_row WHEN NEW.key = 'boom' BEGIN SELECT RAISE(ABORT, 'refused'); END") }
        #expect(throws: (any Error).self) {
            try store.apply(.init(upserts: [Self.row("calls", "c", "3"), Self.row("calls", "boom", "4")],
                                  deletions: [("calls", "a")], savedAtMilliseconds: 2))
        }
        #expect(Self.sorted(try store.loadState()) == [Self.row("calls", "a", "1"), Self.row("state", "", "{}")])
    }

    @Test("An old single-blob snapshot is found when no rows exist, and a replacing save removes it")
    func oldSnapshotIsConvertedOnce() throws {
        let directory = try StoreTestDirectory()
        let store = try CorrelationSnapshotStore(path: directory.path("store.sqlite"))
        try store.save([1, 2, 3], savedAtMilliseconds: 5)
        #expect(try store.loadState() == .snapshot(.init(bytes: [1, 2, 3], savedAtMilliseconds: 5)))
        #expect(try store.savedAtMilliseconds() == 5)
        try store.apply(.init(upserts: [Self.row("state", "", "{}")], replacingAll: true, savedAtMilliseconds: 6))
        #expect(try store.load() == nil)
        #expect(Self.sorted(try store.loadState()) == [Self.row("state", "", "{}")])
        // A replacing save also removes rows that are not part of the new state.
        try store.apply(.init(upserts: [Self.row("calls", "x", "1")], savedAtMilliseconds: 7))
        try store.apply(.init(upserts: [Self.row("state", "", "{\"n\":1}")], replacingAll: true, savedAtMilliseconds: 8))
        #expect(Self.sorted(try store.loadState()) == [Self.row("state", "", "{\"n\":1}")])
    }

    @Test("Rows are streamed header first, each exactly once")
    func rowsStreamHeaderFirst() throws {
        let directory = try StoreTestDirectory()
        let store = try CorrelationSnapshotStore(path: directory.path("store.sqlite"))
        #expect(try store.forEachRow { _ in Issue.record("no rows expected") } == false)
        try store.apply(.init(upserts: [Self.row("calls", "a", "1"), Self.row("channels", "b", "2"),
                                        Self.row("state", "", "{}"), Self.row("bridges", "c", "3")],
                              savedAtMilliseconds: 1))
        var seen: [CorrelationSnapshotStore.Row] = []
        #expect(try store.forEachRow { seen.append($0) })
        #expect(seen.first == Self.row("state", "", "{}"))
        #expect(seen.count == 4)
        #expect(Set(seen.map { $0.kind + "/" + $0.key }) == ["state/", "calls/a", "channels/b", "bridges/c"])
    }
}
