import AdminAPI
import CallEvents
import Storage
import Testing
import Webhooks

@Suite("Webhooks over the API: create, list, search, edit, delete")
struct WebhookAPITests {
    let harness = AdminHarness()

    @Test("A webhook created with POST can be listed, shown, edited and deleted")
    func crudRoundTrip() throws {
        let created = harness.call("POST", "/api/webhooks", json: sampleWebhookJSON())
        #expect(created.status == 201)
        let id = try #require(created.json?["id"]?.intValue)
        #expect(created.json?["origin"] == "api")

        let list = harness.call("GET", "/api/webhooks")
        #expect(list.json?["webhooks"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["crm"])

        let shown = harness.call("GET", "/api/webhooks/\(id)")
        #expect(shown.json?["url"] == "https://crm.example.com/hooks/pbx")
        #expect(shown.json?["headers"]?.arrayValue?.count == 2)
        #expect(shown.json?["auth"]?["type"] == "oauth2_client_credentials")
        #expect(shown.json?["auth"]?["scopes"] == ["calls.write"])

        let edited = harness.call("PUT", "/api/webhooks/\(id)",
                                  json: ["description": "Edited", "active": false, "events": ["call.call_rating"]])
        #expect(edited.status == 200)
        #expect(edited.json?["description"] == "Edited")
        #expect(edited.json?["name"] == "crm", "keys left out keep their value")
        let stored = try #require(try harness.store.webhook(id: id))
        #expect(stored.isActive == false)
        #expect(stored.events == [.callRating])

        #expect(harness.call("DELETE", "/api/webhooks/\(id)").status == 204)
        #expect(harness.call("GET", "/api/webhooks/\(id)").status == 404)
        #expect(harness.call("DELETE", "/api/webhooks/\(id)").status == 404)
    }

    @Test("Search matches the webhook name or a tenant name, ignoring case")
    func searchByNameOrTenant() throws {
        try harness.create(sampleWebhookJSON(name: "crm", tenants: ["acme"]))
        try harness.create(sampleWebhookJSON(name: "billing", tenants: ["globex"]))
        func names(_ search: String) -> [String] {
            harness.call("GET", "/api/webhooks", query: ["search": search]).json?["webhooks"]?.arrayValue?
                .compactMap { $0["name"]?.stringValue } ?? []
        }
        #expect(names("CRM") == ["crm"])
        #expect(names("globex") == ["billing"])
        #expect(names("  ") == ["billing", "crm"])
        #expect(names("nothing") == [])
    }

    @Test("Validation reports every problem, each naming its field, with the CLI's rules")
    func validationNamesFields() {
        let reply = harness.call("POST", "/api/webhooks", json: [
            "name": "", "url": "ftp://x", "description": .string(String(repeating: "d", count: 1001)),
            "events": ["call.nope"], "auth": ["type": "bearer"],
        ])
        #expect(reply.status == 422)
        #expect(reply.errorField == "name")
        #expect(Set(reply.problemFields).isSuperset(of: ["name", "url", "description", "events[0]", "auth.token"]))
    }

    @Test("A field of the wrong JSON type is a 422 naming that field")
    func wrongTypeNamesField() {
        #expect(harness.call("POST", "/api/webhooks", json: ["name": 5]).errorField == "name")
        #expect(harness.call("POST", "/api/webhooks", json: ["active": "yes"]).errorField == "active")
        #expect(harness.call("POST", "/api/webhooks", json: ["auth": ["type": "basic", "username": true]]).errorField
            == "auth.username")
        #expect(harness.call("POST", "/api/webhooks", json: ["events": "call.call_rating"]).errorField == "events")
    }

    @Test("Invalid JSON and a non-object body are 400s naming the body")
    func invalidJSONIsBadRequest() {
        for body in ["{\"name\": ", "not json", "[1,2]", ""] {
            let reply = harness.call("POST", "/api/webhooks", body: body)
            #expect(reply.status == 400, "\(body)")
            #expect(reply.errorField == "body")
        }
    }

    @Test("Names are unique per tenant, also when editing")
    func namesAreUniquePerTenant() throws {
        try harness.create(sampleWebhookJSON(name: "crm"))
        let duplicate = harness.call("POST", "/api/webhooks", json: sampleWebhookJSON(name: "crm"))
        #expect(duplicate.status == 422)
        #expect(duplicate.errorField == "name")
        let other = try harness.create(sampleWebhookJSON(name: "other"))
        #expect(harness.call("PUT", "/api/webhooks/\(other)", json: ["name": "crm"]).errorField == "name")
        #expect(harness.call("PUT", "/api/webhooks/\(other)", json: ["name": "other"]).status == 200)
    }

    @Test("Unknown ids are 404 and wrong methods 405, in the error shape")
    func unknownRoutesAndMethods() {
        #expect(harness.call("GET", "/api/webhooks/999").status == 404)
        #expect(harness.call("GET", "/api/webhooks/abc").status == 404)
        #expect(harness.call("PUT", "/api/webhooks/999", json: ["name": "x"]).status == 404)
        let patch = harness.call("PATCH", "/api/webhooks")
        #expect(patch.status == 405)
        #expect(patch.json?["error"]?["message"]?.stringValue?.contains("GET, POST") == true)
        #expect(harness.call("GET", "/nowhere").status == 404)
    }

    @Test("Webhooks seeded from YAML are shown but cannot be changed or deleted through the API")
    func yamlWebhooksAreReadOnly() throws {
        try harness.store.applyConfiguration(
            webhooks: [Webhook(name: "seeded", url: "https://seed.example.com/h", subscribesToAllEvents: true,
                               origin: .yaml)],
            tenants: [TenantRecord(name: "acme"), TenantRecord(name: "globex")])
        let listed = try #require(harness.call("GET", "/api/webhooks").json?["webhooks"]?.arrayValue?.first)
        #expect(listed["origin"] == "yaml")
        let id = try #require(listed["id"]?.intValue)
        let edit = harness.call("PUT", "/api/webhooks/\(id)", json: ["description": "x"])
        #expect(edit.status == 409)
        #expect(edit.errorField == "origin")
        #expect(harness.call("DELETE", "/api/webhooks/\(id)").status == 409)
    }

    @Test("Tenants come from the store, main first")
    func tenantsAreListed() {
        #expect(harness.call("GET", "/api/tenants").json == ["tenants": ["main", "acme", "globex"]])
    }
}
