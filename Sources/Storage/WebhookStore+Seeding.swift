import SQLite
import Webhooks

extension WebhookStore {
    /// Makes the store follow the configuration file, in one transaction; returns what changed.
    ///
    /// ## Rules
    /// - A YAML webhook is identified by (tenant, name). New ones are inserted as YAML-owned;
    ///   existing YAML-owned ones are updated in place (same id, so delivery history stays attached)
    ///   when any field differs; YAML-owned ones missing from the file are deleted. Renaming a
    ///   webhook or moving it to another tenant is therefore a delete plus an insert.
    /// - Webhooks created through the CLI/API are never changed or deleted here.
    /// - **Conflict:** when the file names a webhook whose (tenant, name) a CLI/API webhook already
    ///   has, the stored one wins and the YAML entry is skipped and reported in
    ///   ``StoreChanges/conflicts``: a reload must never destroy what a person created by hand,
    ///   and one clash should not block the rest of the file. (The reverse clash cannot arise: the
    ///   CLI/API refuse a name the store already has.)
    /// - Tenants follow the file (`main` is built in). Removing a tenant that CLI/API webhooks still
    ///   use throws ``WebhookStoreError/tenantInUse(tenant:webhooks:)`` and changes nothing, so the
    ///   caller keeps the last good configuration.
    ///
    /// - Parameters:
    ///   - webhooks: the validated YAML webhooks (ids and origins are ignored).
    ///   - tenants: the configured tenants, without `main`.
    @discardableResult
    public func applyConfiguration(webhooks: [Webhook], tenants: [TenantRecord]) throws -> StoreChanges {
        try database.write { connection in
            var changes = StoreChanges()
            let storedTenants = try Self.tenants(connection)
            let wantedTenants = tenants.filter { $0.name != TenantRecord.mainName }
            let wantedNames = Set(wantedTenants.map(\.name))
            let stored = try Self.all(connection)

            // Tenants first, so new webhooks can reference them.
            for tenant in wantedTenants {
                if let current = storedTenants.first(where: { $0.name == tenant.name }) {
                    if current.match != tenant.match || current.origin != .yaml {
                        try connection.execute("UPDATE tenant SET match = ?, origin = 'yaml' WHERE name = ?",
                                               [.text(tenant.match), .text(tenant.name)])
                        changes.changedTenants.append(tenant.name)
                    }
                } else {
                    try connection.execute("INSERT INTO tenant (name, origin, match) VALUES (?, 'yaml', ?)",
                                           [.text(tenant.name), .text(tenant.match)])
                    changes.addedTenants.append(tenant.name)
                }
            }
            let goneTenants = storedTenants.filter { $0.origin != .builtin && !wantedNames.contains($0.name) }
            for tenant in goneTenants {
                let users = stored.filter { webhook in
                    webhook.origin == .api && (webhook.tenant == tenant.name || webhook.tenants.contains(tenant.name))
                }
                if !users.isEmpty {
                    throw WebhookStoreError.tenantInUse(tenant: tenant.name,
                                                        webhooks: users.map { "\($0.tenant)/\($0.name)" })
                }
            }

            // Webhooks.
            var keep: Set<Int64> = []
            for var webhook in webhooks {
                webhook.origin = .yaml
                let key = "\(webhook.tenant)/\(webhook.name)"
                if let current = stored.first(where: { $0.tenant == webhook.tenant && $0.name == webhook.name }) {
                    guard current.origin == .yaml else {
                        changes.conflicts.append(key)
                        continue
                    }
                    keep.insert(current.id)
                    webhook.id = current.id
                    if webhook != current {
                        try Self.overwrite(webhook, connection)
                        changes.changedWebhooks.append(key)
                    }
                } else {
                    try connection.execute(Self.insertSQL, Self.values(of: webhook))
                    keep.insert(connection.lastInsertRowID)
                    changes.addedWebhooks.append(key)
                }
            }
            for webhook in stored where webhook.origin == .yaml && !keep.contains(webhook.id) {
                try connection.execute("DELETE FROM webhook WHERE id = ?", [.integer(webhook.id)])
                changes.removedWebhooks.append("\(webhook.tenant)/\(webhook.name)")
            }

            // Tenants last, once no YAML webhook refers to them any more.
            for tenant in goneTenants {
                try connection.execute("DELETE FROM tenant WHERE name = ?", [.text(tenant.name)])
                changes.removedTenants.append(tenant.name)
            }
            return changes
        }
    }
}
