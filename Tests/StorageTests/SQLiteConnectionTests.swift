import Foundation
import SQLite
import Testing

@Suite("SQLite connection")
struct SQLiteConnectionTests {
    @Test("A new database file is private (0600) and runs in WAL mode with foreign keys on")
    func newDatabaseIsPrivateWALWithForeignKeys() throws {
        let dir = try StoreTestDirectory()
        let path = dir.path("store.sqlite")
        let connection = try SQLiteConnection(path: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try connection.queryFirst("PRAGMA journal_mode")?[0] == .text("wal"))
        #expect(try connection.queryFirst("PRAGMA foreign_keys")?[0] == .integer(1))
        try connection.execute("CREATE TABLE t (x)")
        try connection.execute("INSERT INTO t VALUES (1)", [])
        let walMode = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.posixPermissions] as? Int
        #expect(walMode == 0o600)
    }

    @Test("Values of every storage class round-trip through bindings, UTF-8 included")
    func valuesRoundTrip() throws {
        let dir = try StoreTestDirectory()
        let connection = try SQLiteConnection(path: dir.path("v.sqlite"))
        try connection.execute("CREATE TABLE v (a, b, c, d, e)")
        let values: [SQLiteValue] = [.null, .integer(Int64.max), .real(0.25), .text("Grüße 📞"), .blob([0, 1, 255])]
        try connection.execute("INSERT INTO v VALUES (?, ?, ?, ?, ?)", values)
        let row = try #require(try connection.queryFirst("SELECT a, b, c, d, e FROM v"))
        #expect(row.values == values)
        #expect(row["d"] == .text("Grüße 📞"))
        #expect(connection.lastInsertRowID == 1)
    }

    @Test("Bound texts keep their exact bytes: empty stays text, bridged and substring texts too")
    func boundTextsKeepTheirBytes() throws {
        let dir = try StoreTestDirectory()
        let connection = try SQLiteConnection(path: dir.path("t.sqlite"))
        try connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, x)")
        let long = String(repeating: "evt_1733389200.123_", count: 40)
        let texts = ["", "a", "Grüße 📞", long, String(long.dropFirst(3)), "nul\u{0}inside"]
        for (id, text) in texts.enumerated() {
            try connection.execute("INSERT INTO t (id, x) VALUES (?, ?)", [.integer(Int64(id)), .text(text)])
        }
        for (id, text) in texts.enumerated() {
            let row = try #require(try connection.queryFirst(
                "SELECT typeof(x), length(CAST(x AS BLOB)), x FROM t WHERE id = ?", [.integer(Int64(id))]))
            #expect(row[0] == .text("text"), "text \(id) stored as \(row[0])")
            #expect(row[1] == .integer(Int64(text.utf8.count)))
        }
        #expect(try connection.queryFirst("SELECT x FROM t WHERE id = 0")?[0] == .text(""))
        #expect(try connection.queryFirst("SELECT count(*) FROM t WHERE x = ?", [.text("Grüße 📞")])?[0] == .integer(1))
    }

    @Test("Errors name the code, SQLite's message and the SQL")
    func errorsNameCodeMessageAndSQL() throws {
        let dir = try StoreTestDirectory()
        let connection = try SQLiteConnection(path: dir.path("e.sqlite"))
        try connection.execute("CREATE TABLE u (name TEXT UNIQUE)")
        try connection.execute("INSERT INTO u VALUES (?)", ["a"])
        let error = try #require(throws: SQLiteError.self) {
            try connection.execute("INSERT INTO u VALUES (?)", ["a"])
        }
        #expect(error.isUniqueViolation)
        #expect(error.description == "SQLITE_CONSTRAINT_UNIQUE (2067): UNIQUE constraint failed: u.name — INSERT INTO u VALUES (?)")
        let syntax = try #require(throws: SQLiteError.self) { try connection.query("SELEC 1") }
        #expect(syntax.codeName == "SQLITE_ERROR")
        #expect(syntax.sql == "SELEC 1")
        let arity = try #require(throws: SQLiteError.self) { try connection.query("SELECT ?", []) }
        #expect(arity.message == "statement takes 1 parameters, 0 given")
    }

    @Test("A transaction commits on return and rolls back on a throw")
    func transactionsCommitOrRollBack() throws {
        let dir = try StoreTestDirectory()
        let connection = try SQLiteConnection(path: dir.path("t.sqlite"))
        try connection.execute("CREATE TABLE t (x INTEGER)")
        try connection.transaction { try connection.execute("INSERT INTO t VALUES (1)", []) }
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try connection.transaction {
                try connection.execute("INSERT INTO t VALUES (2)", [])
                throw Boom()
            }
        }
        #expect(try connection.query("SELECT x FROM t").map { $0[0] } == [.integer(1)])
        #expect(!connection.isInTransaction)
    }

    @Test("Two connections share one file: the second sees the first's committed writes")
    func twoConnectionsShareFile() throws {
        let dir = try StoreTestDirectory()
        let first = try SQLiteDatabase(path: dir.path("s.sqlite"))
        let second = try SQLiteDatabase(path: dir.path("s.sqlite"))
        try first.write { try $0.execute("CREATE TABLE t (x)") }
        try first.write { try $0.execute("INSERT INTO t VALUES (42)", []) }
        #expect(try second.read { try $0.queryFirst("SELECT x FROM t")?[0] } == .integer(42))
    }

    @Test("Opening a path in a missing directory fails with the path in the message")
    func missingDirectory() throws {
        let error = try #require(throws: SQLiteError.self) {
            _ = try SQLiteConnection(path: "/nonexistent-dir-for-test/x.sqlite")
        }
        #expect(error.message.contains("/nonexistent-dir-for-test/x.sqlite"))
    }
}
