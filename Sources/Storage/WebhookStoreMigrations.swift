public import SQLite

extension WebhookStore {
    /// The webhook store's tables as named migrations, oldest first. Never edit a shipped one; append.
    ///
    /// - `store-001-webhook`: the first schema, one `webhook` table; lists (served tenants, headers,
    ///   events) and the auth settings are JSON text, since they are always read and written whole.
    /// - `store-002-tenant`: tenants become a table (`main` built in, the rest seeded from YAML) and
    ///   `webhook.tenant` a foreign key to it, so a tenant cannot disappear under its webhooks; rows
    ///   gain `created_at`/`updated_at`. SQLite cannot add a foreign key with ALTER TABLE, so the
    ///   table is rebuilt (https://www.sqlite.org/lang_altertable.html#otheralter) and tenants
    ///   named by existing webhooks are backfilled first.
    ///
    /// `AUTOINCREMENT` keeps ids of deleted webhooks from being reused: the outbox and delivery log
    /// refer to webhooks by id.
    public static let migrations: [SQLiteMigration] = [
        SQLiteMigration(name: "store-001-webhook", sql: """
            CREATE TABLE webhook (
                id             INTEGER PRIMARY KEY AUTOINCREMENT,
                tenant         TEXT NOT NULL DEFAULT 'main',
                name           TEXT NOT NULL,
                description    TEXT NOT NULL DEFAULT '',
                active         INTEGER NOT NULL DEFAULT 0,
                all_tenants    INTEGER NOT NULL DEFAULT 0,
                tenants        TEXT NOT NULL DEFAULT '[]',
                url            TEXT NOT NULL,
                headers        TEXT NOT NULL DEFAULT '[]',
                auth           TEXT NOT NULL DEFAULT '{"type":"none"}',
                signing_secret TEXT,
                subscribe_all  INTEGER NOT NULL DEFAULT 0,
                events         TEXT NOT NULL DEFAULT '[]',
                origin         TEXT NOT NULL DEFAULT 'api' CHECK (origin IN ('yaml', 'api')),
                UNIQUE (tenant, name)
            );
            """),
        SQLiteMigration(name: "store-002-tenant", disablesForeignKeys: true, sql: """
            CREATE TABLE tenant (
                name   TEXT PRIMARY KEY NOT NULL,
                origin TEXT NOT NULL DEFAULT 'yaml' CHECK (origin IN ('builtin', 'yaml')),
                match  TEXT NOT NULL DEFAULT ''
            );
            INSERT INTO tenant (name, origin) VALUES ('main', 'builtin');
            INSERT OR IGNORE INTO tenant (name) SELECT DISTINCT tenant FROM webhook;
            INSERT OR IGNORE INTO tenant (name) SELECT DISTINCT j.value FROM webhook, json_each(webhook.tenants) AS j;
            CREATE TABLE webhook_new (
                id             INTEGER PRIMARY KEY AUTOINCREMENT,
                tenant         TEXT NOT NULL DEFAULT 'main' REFERENCES tenant (name) ON UPDATE CASCADE,
                name           TEXT NOT NULL,
                description    TEXT NOT NULL DEFAULT '',
                active         INTEGER NOT NULL DEFAULT 0,
                all_tenants    INTEGER NOT NULL DEFAULT 0,
                tenants        TEXT NOT NULL DEFAULT '[]',
                url            TEXT NOT NULL,
                headers        TEXT NOT NULL DEFAULT '[]',
                auth           TEXT NOT NULL DEFAULT '{"type":"none"}',
                signing_secret TEXT,
                subscribe_all  INTEGER NOT NULL DEFAULT 0,
                events         TEXT NOT NULL DEFAULT '[]',
                origin         TEXT NOT NULL DEFAULT 'api' CHECK (origin IN ('yaml', 'api')),
                created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                updated_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                UNIQUE (tenant, name)
            );
            INSERT INTO webhook_new (id, tenant, name, description, active, all_tenants, tenants, url, headers, auth,
                                     signing_secret, subscribe_all, events, origin)
                SELECT id, tenant, name, description, active, all_tenants, tenants, url, headers, auth,
                       signing_secret, subscribe_all, events, origin
                FROM webhook;
            DROP TABLE webhook;
            ALTER TABLE webhook_new RENAME TO webhook;
            CREATE INDEX webhook_by_origin ON webhook (origin);
            """),
    ]
}
