import CallEvents
import Foundation
import SQLite
import Storage
import Testing
import Webhooks

@Suite("Webhook store")
struct WebhookStoreTests {
    static func hook(_ name: String, tenant: String = "main", active: Bool = false, serving: [String] = []) -> Webhook {
        Webhook(name: name, isActive: active, tenant: tenant, tenants: serving, url: "https://\(name).example/h",
                headers: [WebhookHeader(name: "X-Api-Key", value: "key-\(name)")],
                auth: .basic(username: "u", password: "pw-\(name)"), events: [.callStarted])
    }

    func store(_ dir: StoreTestDirectory, tenants: [String] = ["acme", "globex"]) throws -> WebhookStore {
        let store = try WebhookStore(path: dir.path("store.sqlite"))
        try store.applyConfiguration(webhooks: [], tenants: tenants.map { TenantRecord(name: $0, match: "accountcode=\($0)") })
        return store
    }

    @Test("A webhook round-trips with every field, secrets stored as given")
    func roundTrip() throws {
        let dir = try StoreTestDirectory()
        let store = try store(dir)
        let webhook = Webhook(name: "full", description: "all fields ✓", isActive: true, tenant: "main",
                              servesAllTenants: false, tenants: ["acme", "globex"], url: "https://full.example/x?y=1",
                              headers: [WebhookHeader(name: "X-B", value: "2"), WebhookHeader(name: "X-A", value: "1")],
                              auth: .oauth2Password(OAuth2Client(tokenURL: "https://idp/t", clientID: "c", clientSecret: "s",
                                                                 scopes: ["a", "b"]), username: "u", password: "p"),
                              signingSecret: "whsec_YWJjZA==", subscribesToAllEvents: false,
                              events: [.callFinished, .callStarted], origin: .api)
        let stored = try store.insert(webhook)
        #expect(stored.id > 0)
        var expected = webhook
        expected.id = stored.id
        #expect(try store.webhook(id: stored.id) == expected)
        #expect(try store.webhook(named: "full", tenant: "main") == expected)
        // A second connection (another process) reads the same thing.
        #expect(try WebhookStore(path: dir.path("store.sqlite")).webhook(id: stored.id) == expected)
    }

    @Test("Every auth mode survives storage")
    func authModes() throws {
        let dir = try StoreTestDirectory()
        let store = try store(dir)
        let modes: [WebhookAuth] = [.none, .basic(username: "u", password: "p"), .bearer(token: "t"),
                                    .oauth2ClientCredentials(OAuth2Client(tokenURL: "https://i/t", clientID: "c", clientSecret: "s")),
                                    .oauth2Password(OAuth2Client(tokenURL: "https://i/t", clientID: "c", clientSecret: "s"),
                                                    username: "u", password: "p")]
        for (index, auth) in modes.enumerated() {
            var webhook = Self.hook("m\(index)")
            webhook.auth = auth
            let id = try store.insert(webhook).id
            #expect(try store.webhook(id: id)?.auth == auth)
        }
    }

    @Test("Inserts are validated with the stored webhooks and tenants as context")
    func insertValidates() throws {
        let dir = try StoreTestDirectory()
        let store = try store(dir)
        _ = try store.insert(Self.hook("crm", tenant: "acme"))
        var bad = Self.hook("crm", tenant: "acme")
        bad.url = "nope"
        bad.tenants = ["initech"]
        let error = try #require(throws: WebhookValidationError.self) { try store.insert(bad) }
        #expect(error.problems.map(\.description) == [
            "name: already used in tenant \"acme\"",
            "tenants[0]: unknown tenant \"initech\" (known: main, acme, globex)",
            "url: must be an absolute URL such as https://host/path",
        ])
        _ = try store.insert(Self.hook("crm", tenant: "globex"))  // same name, other tenant
        #expect(try store.webhooks(named: "crm").map(\.tenant) == ["acme", "globex"])
    }

    @Test("Search matches webhook or tenant names, ignoring case; results sorted by tenant then name")
    func search() throws {
        let dir = try StoreTestDirectory()
        let store = try store(dir)
        for webhook in [Self.hook("Zeta"), Self.hook("alpha"), Self.hook("CRM", tenant: "acme"),
                        Self.hook("wallboard", serving: ["globex"]), Self.hook("Ärger", tenant: "globex")] {
            _ = try store.insert(webhook)
        }
        #expect(try store.webhooks().map(\.name) == ["CRM", "Ärger", "Zeta", "alpha", "wallboard"])
        #expect(try store.webhooks(matching: "crm").map(\.name) == ["CRM"])
        #expect(try store.webhooks(matching: "ACME").map(\.name) == ["CRM"])
        #expect(try store.webhooks(matching: "GLOB").map(\.name) == ["Ärger", "wallboard"])
        #expect(try store.webhooks(matching: "ärg").map(\.name) == ["Ärger"])
        #expect(try store.webhooks(matching: "").count == 5)
        #expect(try store.webhooks(matching: "nothing").isEmpty)
    }

    @Test("Update replaces a webhook in place; enable and disable flip only activity")
    func updateAndToggle() throws {
        let dir = try StoreTestDirectory()
        let store = try store(dir)
        var webhook = try store.insert(Self.hook("crm"))
        webhook.url = "https://new.example/h"
        webhook.description = "moved"
        #expect(try store.update(webhook) == webhook)
        #expect(try store.webhook(id: webhook.id)?.url == "https://new.example/h")
        #expect(try store.setActive(id: webhook.id, true).isActive)
        #expect(try store.activeWebhooks().map(\.id) == [webhook.id])
        #expect(try !store.setActive(id: webhook.id, false).isActive)
        #expect(try store.activeWebhooks().isEmpty)
        #expect(throws: WebhookStoreError.notFound(id: 999)) { try store.update(Webhook(id: 999, name: "x", url: "https://x")) }
    }

    @Test("Delete removes a webhook and never reuses its id")
    func deleteNeverReusesIDs() throws {
        let dir = try StoreTestDirectory()
        let store = try store(dir)
        let first = try store.insert(Self.hook("a"))
        #expect(try store.deleteWebhook(id: first.id))
        #expect(try !store.deleteWebhook(id: first.id))
        #expect(try store.webhook(id: first.id) == nil)
        #expect(try store.insert(Self.hook("a")).id > first.id)
    }

    @Test("YAML-owned webhooks are read-only through the store's CLI/API methods")
    func yamlOwnedAreReadOnly() throws {
        let dir = try StoreTestDirectory()
        let store = try store(dir)
        try store.applyConfiguration(webhooks: [Self.hook("seeded")], tenants: [TenantRecord(name: "acme")])
        let seeded = try #require(try store.webhook(named: "seeded", tenant: "main"))
        #expect(seeded.origin == .yaml)
        let refusal = WebhookStoreError.managedByConfiguration(tenant: "main", name: "seeded")
        #expect(throws: refusal) { try store.update(seeded) }
        #expect(throws: refusal) { try store.setActive(id: seeded.id, true) }
        #expect(throws: refusal) { try store.deleteWebhook(id: seeded.id) }
        #expect(refusal.description == "webhook \"seeded\" of tenant \"main\" comes from the YAML configuration; change it there")
        // And the API cannot take its name.
        #expect(throws: WebhookValidationError.self) { try store.insert(Self.hook("seeded")) }
    }

    @Test("The system may deactivate any webhook; a reload re-asserts the file")
    func systemDeactivation() throws {
        let dir = try StoreTestDirectory()
        let store = try store(dir)
        let seeded = Self.hook("seeded", active: true)
        try store.applyConfiguration(webhooks: [seeded], tenants: [TenantRecord(name: "acme"), TenantRecord(name: "globex")])
        let id = try #require(try store.webhook(named: "seeded", tenant: "main")).id
        #expect(try store.deactivate(id: id)?.isActive == false)
        #expect(try store.activeWebhooks().isEmpty)
        #expect(try store.deactivate(id: 999) == nil)
        let changes = try store.applyConfiguration(webhooks: [seeded], tenants: [TenantRecord(name: "acme"),
                                                                             TenantRecord(name: "globex")])
        #expect(changes.changedWebhooks == ["main/seeded"])
        #expect(try store.activeWebhooks().map(\.id) == [id])
    }

    @Test("Tenants list main first, then alphabetically")
    func tenantsOrder() throws {
        let dir = try StoreTestDirectory()
        let store = try store(dir, tenants: ["zeta", "acme"])
        #expect(try store.tenantNames() == ["main", "acme", "zeta"])
        #expect(try store.tenants().first == TenantRecord.main)
    }

    @Test("The store file is created private")
    func storeFileIsPrivate() throws {
        let dir = try StoreTestDirectory()
        _ = try WebhookStore(path: dir.path("p.sqlite"))
        #expect(try FileManager.default.attributesOfItem(atPath: dir.path("p.sqlite"))[.posixPermissions] as? Int == 0o600)
    }
}
