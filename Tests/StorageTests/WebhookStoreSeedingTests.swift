import SQLite
import Storage
import Testing
import Webhooks

@Suite("Seeding the store from the configuration")
struct WebhookStoreSeedingTests {
    let hook = WebhookStoreTests.hook

    @Test("First apply inserts YAML webhooks and tenants; applying again changes nothing")
    func firstApplyThenIdempotent() throws {
        let dir = try StoreTestDirectory()
        let store = try WebhookStore(path: dir.path("s.sqlite"))
        let tenants = [TenantRecord(name: "acme", match: "accountcode=acme")]
        let changes = try store.applyConfiguration(webhooks: [hook("crm", "acme", false, []), hook("wall", "main", true, [])],
                                                   tenants: tenants)
        #expect(changes.addedWebhooks == ["acme/crm", "main/wall"])
        #expect(changes.addedTenants == ["acme"])
        #expect(changes.summary == "webhooks +acme/crm +main/wall; tenants +acme")
        #expect(try store.webhooks().allSatisfy { $0.origin == .yaml })
        let again = try store.applyConfiguration(webhooks: [hook("crm", "acme", false, []), hook("wall", "main", true, [])],
                                                 tenants: tenants)
        #expect(again.isEmpty && again.summary == "no changes")
    }

    @Test("A changed YAML webhook is updated in place, keeping its id; a removed one is deleted")
    func updateInPlaceAndRemove() throws {
        let dir = try StoreTestDirectory()
        let store = try WebhookStore(path: dir.path("s.sqlite"))
        try store.applyConfiguration(webhooks: [hook("a", "main", false, []), hook("b", "main", false, [])], tenants: [])
        let idA = try #require(try store.webhook(named: "a", tenant: "main")).id
        var changedA = hook("a", "main", false, [])
        changedA.url = "https://changed.example/h"
        let changes = try store.applyConfiguration(webhooks: [changedA], tenants: [])
        #expect(changes.changedWebhooks == ["main/a"] && changes.removedWebhooks == ["main/b"])
        let a = try #require(try store.webhook(named: "a", tenant: "main"))
        #expect(a.id == idA && a.url == "https://changed.example/h")
        #expect(try store.webhook(named: "b", tenant: "main") == nil)
    }

    @Test("Reloads never touch CLI/API webhooks")
    func apiWebhooksUntouched() throws {
        let dir = try StoreTestDirectory()
        let store = try WebhookStore(path: dir.path("s.sqlite"))
        try store.applyConfiguration(webhooks: [hook("yaml", "main", false, [])], tenants: [])
        let manual = try store.insert(hook("manual", "main", false, []))
        try store.applyConfiguration(webhooks: [], tenants: [])
        #expect(try store.webhooks().map(\.name) == ["manual"])
        #expect(try store.webhook(id: manual.id) == manual)
    }

    @Test("A YAML webhook named like a CLI/API one is skipped and reported; the stored one wins")
    func conflictKeepsAPIWebhook() throws {
        let dir = try StoreTestDirectory()
        let store = try WebhookStore(path: dir.path("s.sqlite"))
        let manual = try store.insert(hook("crm", "main", false, []))
        var yaml = hook("crm", "main", true, [])
        yaml.url = "https://from-yaml.example/h"
        let changes = try store.applyConfiguration(webhooks: [yaml, hook("other", "main", false, [])], tenants: [])
        #expect(changes.conflicts == ["main/crm"])
        #expect(changes.addedWebhooks == ["main/other"])
        #expect(try store.webhook(id: manual.id) == manual)
    }

    @Test("Tenants follow the file; a tenant still used by CLI/API webhooks cannot be removed")
    func tenantRemoval() throws {
        let dir = try StoreTestDirectory()
        let store = try WebhookStore(path: dir.path("s.sqlite"))
        try store.applyConfiguration(webhooks: [hook("y", "acme", false, [])],
                                     tenants: [TenantRecord(name: "acme", match: "accountcode=acme"),
                                               TenantRecord(name: "globex", match: "accountcode=globex")])
        _ = try store.insert(hook("m", "main", false, ["globex"]))
        // Changing a rule and dropping acme (only YAML webhooks use it) works.
        let changes = try store.applyConfiguration(webhooks: [],
                                                   tenants: [TenantRecord(name: "globex", match: "context_prefix=g-")])
        #expect(changes.removedWebhooks == ["acme/y"] && changes.removedTenants == ["acme"])
        #expect(changes.changedTenants == ["globex"])
        // Dropping globex, which the API webhook serves, is refused and nothing changes.
        let error = try #require(throws: WebhookStoreError.self) {
            try store.applyConfiguration(webhooks: [hook("new", "main", false, [])], tenants: [])
        }
        #expect(error == .tenantInUse(tenant: "globex", webhooks: ["main/m"]))
        #expect(try store.tenantNames() == ["main", "globex"])
        #expect(try store.webhook(named: "new", tenant: "main") == nil)
    }
}

extension WebhookStoreSeedingTests {
    /// Positional shorthand for the shared builder.
    func hook(_ name: String, _ tenant: String, _ active: Bool, _ serving: [String]) -> Webhook {
        var webhook = WebhookStoreTests.hook(name, tenant: tenant, active: active, serving: serving)
        webhook.origin = .yaml
        return webhook
    }
}
