import SQLite
import Testing

@Suite("SQLite migrator")
struct SQLiteMigratorTests {
    let first = SQLiteMigration(name: "001-create", sql: "CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    let second = SQLiteMigration(name: "002-add-note", sql: "ALTER TABLE item ADD COLUMN note TEXT NOT NULL DEFAULT ''")

    @Test("Migrations apply in order, once, and are recorded by name")
    func applyInOrderOnce() throws {
        let dir = try StoreTestDirectory()
        let connection = try SQLiteConnection(path: dir.path("m.sqlite"))
        let migrator = SQLiteMigrator([first, second])
        #expect(try migrator.migrate(connection) == ["001-create", "002-add-note"])
        #expect(try migrator.migrate(connection) == [])
        #expect(try SQLiteMigrator.appliedMigrations(in: connection) == ["001-create", "002-add-note"])
        #expect(try !migrator.hasPendingMigrations(connection))
    }

    @Test("An older database is upgraded in place, keeping its rows")
    func upgradeOlderDatabase() throws {
        let dir = try StoreTestDirectory()
        let path = dir.path("old.sqlite")
        do {
            let old = try SQLiteConnection(path: path)
            try SQLiteMigrator([first]).migrate(old)
            try old.execute("INSERT INTO item (name) VALUES (?)", ["kept"])
        }
        let reopened = try SQLiteConnection(path: path)
        #expect(try SQLiteMigrator([first, second]).migrate(reopened) == ["002-add-note"])
        let row = try #require(try reopened.queryFirst("SELECT name, note FROM item"))
        #expect(row["name"] == .text("kept"))
        #expect(row["note"] == .text(""))
    }

    @Test("Migrators of different owners share one database")
    func independentOwnersShareDatabase() throws {
        let dir = try StoreTestDirectory()
        let connection = try SQLiteConnection(path: dir.path("shared.sqlite"))
        let other = SQLiteMigration(name: "other-001", sql: "CREATE TABLE other (x)")
        try SQLiteMigrator([first]).migrate(connection)
        try SQLiteMigrator([other]).migrate(connection)
        #expect(try SQLiteMigrator([first, second, other]).migrate(connection) == ["002-add-note"])
    }

    @Test("A failing migration leaves the database at the previous one and names itself")
    func failingMigrationRollsBack() throws {
        let dir = try StoreTestDirectory()
        let connection = try SQLiteConnection(path: dir.path("f.sqlite"))
        let broken = SQLiteMigration(name: "002-broken", sql: "CREATE TABLE half (x); ALTER TABLE nope ADD COLUMN y")
        let error = try #require(throws: SQLiteError.self) { try SQLiteMigrator([first, broken]).migrate(connection) }
        #expect(error.message == "migration \"002-broken\": no such table: nope")
        #expect(try SQLiteMigrator.appliedMigrations(in: connection) == ["001-create"])
        #expect(try connection.query("SELECT name FROM sqlite_master WHERE name = 'half'").isEmpty)
    }

    @Test("A table rebuild may switch foreign keys off but must leave none broken")
    func rebuildChecksForeignKeys() throws {
        let dir = try StoreTestDirectory()
        let connection = try SQLiteConnection(path: dir.path("fk.sqlite"))
        let parent = SQLiteMigration(name: "001", sql: """
            CREATE TABLE parent (id INTEGER PRIMARY KEY);
            CREATE TABLE child (parent_id INTEGER REFERENCES parent(id));
            INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1);
            """)
        let breaking = SQLiteMigration(name: "002", disablesForeignKeys: true, sql: "DELETE FROM parent")
        let error = try #require(throws: SQLiteError.self) { try SQLiteMigrator([parent, breaking]).migrate(connection) }
        #expect(error.message.contains("foreign key violation"))
        #expect(try connection.queryFirst("PRAGMA foreign_keys")?[0] == .integer(1))
        #expect(try connection.query("SELECT id FROM parent").count == 1)
    }
}
