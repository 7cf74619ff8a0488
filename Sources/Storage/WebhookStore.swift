public import SQLite
public import Webhooks

/// The webhooks and tenants in SQLite: what the CLI, the admin API, the router and the YAML seed share.
///
/// ## Ownership
/// Every webhook has an origin. YAML-owned ones follow the configuration file (see
/// ``applyConfiguration(webhooks:tenants:)``) and are read-only here; CLI/API-created ones are
/// changed only through ``insert(_:)``, ``update(_:)``, ``setActive(id:_:)`` and ``deleteWebhook(id:)``,
/// never by a reload.
///
/// ## Validation
/// Writes run the same ``WebhookValidator`` as the CLI and API, inside the write transaction, with
/// the stored webhooks and tenants as context, so two writers cannot both take one name.
///
/// Thread-safe: every call goes through ``SQLiteDatabase``. Secrets are stored as given; mask with
/// `Webhook.redacted()` for output.
public final class WebhookStore: Sendable {
    public let database: SQLiteDatabase

    /// Uses `database` (which the outbox may share) and applies the store migrations it lacks.
    public init(database: SQLiteDatabase) throws {
        self.database = database
        try SQLiteMigrator(Self.migrations).migrate(database)
    }

    /// Opens (creating with mode 0600 when missing) the database file at `path`.
    public convenience init(path: String) throws {
        try self.init(database: SQLiteDatabase(path: path))
    }

    // MARK: Reading

    /// Webhooks whose name or tenant (origin or a served tenant) contains `search`, ignoring case;
    /// all of them when `search` is nil or empty. Sorted by tenant, then name.
    public func webhooks(matching search: String? = nil) throws -> [Webhook] {
        let all = try database.read { try Self.all($0) }
        guard let needle = search?.lowercased(), !needle.isEmpty else { return all }
        return all.filter { webhook in
            webhook.name.lowercased().contains(needle) || webhook.tenant.lowercased().contains(needle)
                || webhook.tenants.contains { $0.lowercased().contains(needle) }
        }
    }

    /// The active webhooks, for the router.
    public func activeWebhooks() throws -> [Webhook] {
        try database.read { try Self.all($0, where: "active = 1") }
    }

    public func webhook(id: Int64) throws -> Webhook? {
        try database.read { try Self.all($0, where: "id = ?", [.integer(id)]).first }
    }

    /// The webhook called `name` in `tenant`.
    public func webhook(named name: String, tenant: String) throws -> Webhook? {
        try database.read { try Self.all($0, where: "tenant = ? AND name = ?", [.text(tenant), .text(name)]).first }
    }

    /// Every webhook called `name`, whatever its tenant (names are unique per tenant only).
    public func webhooks(named name: String) throws -> [Webhook] {
        try database.read { try Self.all($0, where: "name = ?", [.text(name)]) }
    }

    /// Tenant names, `main` first, then alphabetical.
    public func tenantNames() throws -> [String] {
        try tenants().map(\.name)
    }

    /// Tenants, `main` first, then alphabetical.
    public func tenants() throws -> [TenantRecord] {
        try database.read { try Self.tenants($0) }
    }

    // MARK: Writing (CLI/API)

    /// Validates and stores a new CLI/API webhook; returns it with its id. The origin is always `api`.
    /// - Throws: `WebhookValidationError` with every problem, or `SQLiteError`.
    public func insert(_ webhook: Webhook) throws -> Webhook {
        var webhook = webhook
        webhook.origin = .api
        webhook.id = 0
        return try database.write { connection in
            let stored = try Self.validated(webhook, connection)
            try connection.execute(Self.insertSQL, Self.values(of: stored))
            var result = stored
            result.id = connection.lastInsertRowID
            return result
        }
    }

    /// Validates and replaces the CLI/API webhook with `webhook.id`.
    /// - Throws: ``WebhookStoreError`` (`notFound`, `managedByConfiguration`), `WebhookValidationError`.
    public func update(_ webhook: Webhook) throws -> Webhook {
        try database.write { connection in
            let current = try Self.existingAPIWebhook(id: webhook.id, connection)
            var replacement = webhook
            replacement.origin = current.origin
            let stored = try Self.validated(replacement, connection)
            try Self.overwrite(stored, connection)
            return stored
        }
    }

    /// Enables or disables a CLI/API webhook; returns it as stored.
    public func setActive(id: Int64, _ isActive: Bool) throws -> Webhook {
        try database.write { connection in
            var webhook = try Self.existingAPIWebhook(id: id, connection)
            webhook.isActive = isActive
            try connection.execute("UPDATE webhook SET active = ?, updated_at = \(Self.now) WHERE id = ?",
                                   [.bool(isActive), .integer(id)])
            return webhook
        }
    }

    /// Turns a webhook off whatever its origin: for the system, not for people — the delivery
    /// worker's auto-disable (410 Gone, failing for too long). A YAML-owned webhook turned off this
    /// way is switched back on by the next reload if the file still says `active: true` (the file
    /// stays the source of truth). Returns the webhook as stored, nil when no webhook had that id.
    @discardableResult
    public func deactivate(id: Int64) throws -> Webhook? {
        try database.write { connection in
            guard var webhook = try Self.all(connection, where: "id = ?", [.integer(id)]).first else { return nil }
            webhook.isActive = false
            try connection.execute("UPDATE webhook SET active = 0, updated_at = \(Self.now) WHERE id = ?",
                                   [.integer(id)])
            return webhook
        }
    }

    /// Deletes a CLI/API webhook; false when no webhook had that id.
    /// - Throws: ``WebhookStoreError/managedByConfiguration(tenant:name:)`` for YAML-owned ones.
    public func deleteWebhook(id: Int64) throws -> Bool {
        try database.write { connection in
            guard let webhook = try Self.all(connection, where: "id = ?", [.integer(id)]).first else { return false }
            guard webhook.origin == .api else {
                throw WebhookStoreError.managedByConfiguration(tenant: webhook.tenant, name: webhook.name)
            }
            try connection.execute("DELETE FROM webhook WHERE id = ?", [.integer(id)])
            return true
        }
    }

    // MARK: Helpers shared with seeding

    /// Inserts the 13 columns after `id` (``values(of:)``); SQLite assigns the id.
    static let insertSQL = """
        INSERT INTO webhook (tenant, name, description, active, all_tenants, tenants, url, headers, auth,
                             signing_secret, subscribe_all, events, origin)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    static let now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

    static func all(_ connection: SQLiteConnection, where condition: String? = nil,
                    _ values: [SQLiteValue] = []) throws -> [Webhook] {
        let filter = condition.map { " WHERE \($0)" } ?? ""
        return try connection.query("SELECT \(columns) FROM webhook\(filter) ORDER BY tenant, name, id", values)
            .map(webhook(from:))
    }

    static func tenants(_ connection: SQLiteConnection) throws -> [TenantRecord] {
        try connection.query("SELECT name, origin, match FROM tenant ORDER BY name <> 'main', name").map { row in
            TenantRecord(name: row["name"].string ?? "",
                         origin: TenantRecord.Origin(rawValue: row["origin"].string ?? "") ?? .yaml,
                         match: row["match"].string ?? "")
        }
    }

    static func overwrite(_ webhook: Webhook, _ connection: SQLiteConnection) throws {
        try connection.execute("""
            UPDATE webhook SET tenant = ?, name = ?, description = ?, active = ?, all_tenants = ?, tenants = ?, url = ?,
                headers = ?, auth = ?, signing_secret = ?, subscribe_all = ?, events = ?, origin = ?,
                updated_at = \(now)
            WHERE id = ?
            """, values(of: webhook) + [.integer(webhook.id)])
    }

    private static func existingAPIWebhook(id: Int64, _ connection: SQLiteConnection) throws -> Webhook {
        guard let current = try all(connection, where: "id = ?", [.integer(id)]).first else {
            throw WebhookStoreError.notFound(id: id)
        }
        guard current.origin == .api else {
            throw WebhookStoreError.managedByConfiguration(tenant: current.tenant, name: current.name)
        }
        return current
    }

    /// The product rules against what is stored now (inside the caller's transaction).
    private static func validated(_ webhook: Webhook, _ connection: SQLiteConnection) throws -> Webhook {
        let validator = WebhookValidator(knownTenants: try tenants(connection).map(\.name),
                                         existing: try all(connection))
        switch validator.validate(WebhookDraft(webhook), id: webhook.id) {
        case .success(let valid): return valid
        case .failure(let error): throw error
        }
    }
}
