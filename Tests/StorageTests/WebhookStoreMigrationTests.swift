import SQLite
import Storage
import Testing
import Webhooks

@Suite("Webhook store migrations")
struct WebhookStoreMigrationTests {
    @Test("A database at the first schema is upgraded in place: rows kept, tenants backfilled")
    func upgradeFromFirstSchema() throws {
        let dir = try StoreTestDirectory()
        let path = dir.path("old.sqlite")
        do {
            // What the first release left on disk: only store-001, two webhooks.
            let old = try SQLiteConnection(path: path)
            try SQLiteMigrator([WebhookStore.migrations[0]]).migrate(old)
            try old.execute("""
                INSERT INTO webhook (tenant, name, url, auth, tenants, events, active, origin)
                VALUES ('acme', 'crm', 'https://crm.example/h', '{"type":"bearer","token":"t"}', '[]',
                        '["call.event_call_started"]', 1, 'api'),
                       ('main', 'wall', 'https://wall.example/h', '{"type":"none"}', '["globex"]', '[]', 0, 'yaml')
                """)
        }
        let store = try WebhookStore(path: path)
        #expect(try store.database.read { try SQLiteMigrator.appliedMigrations(in: $0) }
                == ["store-001-webhook", "store-002-tenant"])
        let crm = try #require(try store.webhook(named: "crm", tenant: "acme"))
        #expect(crm.id == 1 && crm.auth == .bearer(token: "t") && crm.events == [.callStarted] && crm.isActive)
        #expect(try store.webhook(named: "wall", tenant: "main")?.tenants == ["globex"])
        #expect(try store.tenantNames() == ["main", "acme", "globex"])
        // The rebuilt table enforces the tenant foreign key and keeps AUTOINCREMENT.
        let error = try #require(throws: SQLiteError.self) {
            try store.database.write { try $0.execute("UPDATE webhook SET tenant = 'nowhere' WHERE id = 1", []) }
        }
        #expect(error.extendedCode == SQLiteError.SQLITE_CONSTRAINT_FOREIGNKEY)
        #expect(try store.insert(WebhookStoreTests.hook("next")).id == 3)
    }

    @Test("The store and the outbox migrations coexist in one file")
    func coexistsWithOtherMigrations() throws {
        let dir = try StoreTestDirectory()
        let database = try SQLiteDatabase(path: dir.path("both.sqlite"))
        try SQLiteMigrator([SQLiteMigration(name: "other-001", sql: "CREATE TABLE other (x)")]).migrate(database)
        _ = try WebhookStore(database: database)
        _ = try WebhookStore(database: database)  // second open: nothing pending
        #expect(try database.read { try SQLiteMigrator.appliedMigrations(in: $0) }
                == ["other-001", "store-001-webhook", "store-002-tenant"])
    }
}
