import AdminAPI
import CallEvents
import Testing
import Webhooks

@Suite("Secrets never leave the API and masks sent back keep them")
struct SecretMaskingTests {
    let harness = AdminHarness()
    let secrets = ["client-secret-456", "key-123", "whsec_c2VjcmV0LWtleS0xMjM0NTY="]

    @Test("Create, show, list and update answers mask every secret")
    func responsesMaskSecrets() throws {
        let created = harness.call("POST", "/api/webhooks", json: sampleWebhookJSON())
        let id = try #require(created.json?["id"]?.intValue)
        let answers = [created, harness.call("GET", "/api/webhooks/\(id)"), harness.call("GET", "/api/webhooks"),
                       harness.call("PUT", "/api/webhooks/\(id)", json: ["description": "x"])]
        for answer in answers {
            for secret in secrets { #expect(!answer.text.contains(secret), "\(secret) leaked: \(answer.text)") }
        }
        let shown = try #require(harness.call("GET", "/api/webhooks/\(id)").json)
        #expect(shown["auth"]?["client_secret"] == "********")
        #expect(shown["signing_secret"] == "********")
        #expect(shown["headers"]?.arrayValue?.first?["value"] == "********")
        #expect(shown["headers"]?.arrayValue?.last?["value"] == "sales", "ordinary headers stay readable")
    }

    @Test("Sending the masked document back leaves every stored secret unchanged")
    func maskedRoundTripKeepsSecrets() throws {
        let id = try harness.create(sampleWebhookJSON())
        var document = try #require(harness.call("GET", "/api/webhooks/\(id)").json?.objectValue)
        document["description"] = "changed"
        let reply = harness.call("PUT", "/api/webhooks/\(id)", json: .object(document))
        #expect(reply.status == 200, "\(reply.text)")
        let stored = try #require(try harness.store.webhook(id: id))
        #expect(stored.description == "changed")
        #expect(stored.auth == .oauth2ClientCredentials(OAuth2Client(
            tokenURL: "https://auth.example.com/token", clientID: "gateway", clientSecret: "client-secret-456",
            scopes: ["calls.write"])))
        #expect(stored.headers.first == WebhookHeader(name: "X-Api-Key", value: "key-123"))
        #expect(stored.signingSecret == "whsec_c2VjcmV0LWtleS0xMjM0NTY=")
    }

    @Test("A new secret replaces the stored one")
    func newSecretReplacesStored() throws {
        let id = try harness.create(sampleWebhookJSON())
        let reply = harness.call("PUT", "/api/webhooks/\(id)", json: [
            "auth": ["type": "oauth2_client_credentials", "token_url": "https://auth.example.com/token",
                     "client_id": "gateway", "client_secret": "rotated"],
        ])
        #expect(reply.status == 200)
        guard case .oauth2ClientCredentials(let client)? = try harness.store.webhook(id: id)?.auth else {
            Issue.record("auth type changed")
            return
        }
        #expect(client.clientSecret == "rotated")
    }

    @Test("A mask with no stored secret behind it is refused, naming the field")
    func maskWithoutStoredSecretIsRefused() throws {
        var json = try #require(sampleWebhookJSON().objectValue)
        json["auth"] = ["type": "bearer", "token": "********"]
        let reply = harness.call("POST", "/api/webhooks", json: .object(json))
        #expect(reply.status == 422)
        #expect(reply.problemFields.contains("auth.token"))
    }

    @Test("Masked credentials in the URL are kept when the URL comes back unchanged")
    func maskedURLCredentialsAreKept() throws {
        var json = try #require(sampleWebhookJSON().objectValue)
        json["url"] = "https://user:pa55@crm.example.com/hook?token=abc"
        let id = try harness.create(.object(json))
        let shown = try #require(harness.call("GET", "/api/webhooks/\(id)").json)
        let maskedURL = try #require(shown["url"]?.stringValue)
        #expect(!maskedURL.contains("pa55") && !maskedURL.contains("abc"))
        #expect(harness.call("PUT", "/api/webhooks/\(id)", json: ["url": .string(maskedURL)]).status == 200)
        #expect(try harness.store.webhook(id: id)?.url == "https://user:pa55@crm.example.com/hook?token=abc")
    }
}
