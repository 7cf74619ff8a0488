import Delivery
import Foundation
import Synchronization
import TestSupport
import Testing
import Webhooks

@Suite("Authentication modes")
struct AuthenticationTests {
    @Test("Basic auth sends the configured user and password")
    func basic() throws {
        let receiver = try WebhookReceiver()
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url,
                                                             auth: .basic(username: "crm", password: "pä:ss"))])
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])
        let request = try #require(receiver.waitForRequests(count: 1).first)
        let expected = "Basic " + Data("crm:pä:ss".utf8).base64EncodedString()
        #expect(request.header("authorization") == expected)
    }

    @Test("Bearer auth sends the configured token")
    func bearer() throws {
        let receiver = try WebhookReceiver()
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url, auth: .bearer(token: "s3cr3t"))])
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])
        #expect(receiver.waitForRequests(count: 1).first?.header("authorization") == "Bearer s3cr3t")
        #expect(!harness.logs.fullText.contains("s3cr3t"))
    }

    /// A receiver that accepts only tokens the endpoint issued.
    func checkingReceiver(_ endpoint: OAuth2TokenEndpoint, scope: String? = nil) throws -> WebhookReceiver {
        try WebhookReceiver { request in
            endpoint.validate(request.header("authorization"), requiredScope: scope)
                ? .ok : .status(401, headers: ["WWW-Authenticate": "Bearer"])
        }
    }

    @Test("OAuth2 client credentials: one token with the scopes, cached for many deliveries")
    func clientCredentials() throws {
        let endpoint = try OAuth2TokenEndpoint(clients: [.init(id: "pbx", secret: "cs&=+", allowedScopes: ["events:write"])])
        let receiver = try checkingReceiver(endpoint, scope: "events:write")
        let client = OAuth2Client(tokenURL: endpoint.tokenURL, clientID: "pbx", clientSecret: "cs&=+",
                                  scopes: ["events:write"])
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url, auth: .oauth2ClientCredentials(client))])
        harness.service.start()
        try harness.enqueue((1...10).map { Fixture.event(call: "C\($0)", sequence: 1) })
        #expect(harness.waitForDeliveries { $0.count == 10 && $0.allSatisfy { $0.state == .delivered } })
        #expect(receiver.requests.count == 10)
        #expect(endpoint.issuedTokens.count == 1)
        #expect(endpoint.issuedTokens.first?.grantType == "client_credentials")
        #expect(endpoint.issuedTokens.first?.scopes == ["events:write"])
        #expect(!harness.logs.fullText.contains(endpoint.issuedTokens.first?.accessToken ?? "-"))
    }

    @Test("OAuth2 password grant sends the user's credentials to the token endpoint")
    func passwordGrant() throws {
        let endpoint = try OAuth2TokenEndpoint(clients: [.init(id: "pbx", secret: "cs")],
                                               users: [.init(username: "alice", password: "wonder land")])
        let receiver = try checkingReceiver(endpoint)
        let client = OAuth2Client(tokenURL: endpoint.tokenURL, clientID: "pbx", clientSecret: "cs", scopes: ["a", "b"])
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url,
                                                             auth: .oauth2Password(client, username: "alice",
                                                                                   password: "wonder land"))])
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])
        #expect(harness.waitForDeliveries { $0.first?.state == .delivered })
        let issued = try #require(endpoint.issuedTokens.first)
        #expect(issued.grantType == "password")
        #expect(issued.username == "alice")
        #expect(issued.scopes == ["a", "b"])
    }

    @Test("A 401 with a cached token refreshes the token once and sends again")
    func refreshesOn401() throws {
        let endpoint = try OAuth2TokenEndpoint(clients: [.init(id: "pbx", secret: "cs")])
        let receiver = try checkingReceiver(endpoint)
        let client = OAuth2Client(tokenURL: endpoint.tokenURL, clientID: "pbx", clientSecret: "cs")
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url, auth: .oauth2ClientCredentials(client))])
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])
        #expect(harness.waitForDeliveries { $0.first?.state == .delivered })
        endpoint.revokeAll()
        try harness.enqueue([Fixture.event(call: "A", sequence: 2)])
        #expect(harness.waitForDeliveries { $0.count == 2 && $0.allSatisfy { $0.state == .delivered } })
        #expect(endpoint.issuedTokens.count == 2)
        let second = try #require(try harness.outbox.deliveries().first { $0.eventID == "evt_A_2" })
        let attempts = try harness.outbox.attempts(deliveryID: second.id)
        #expect(attempts.map(\.statusCode) == [401, 200])
        #expect(attempts.first?.error?.contains("fetching a new token") == true)
    }

    @Test("A token about to expire is replaced before it is used")
    func refreshesBeforeExpiry() throws {
        let endpoint = try OAuth2TokenEndpoint(clients: [.init(id: "pbx", secret: "cs")], tokenLifetimeSeconds: 1)
        let receiver = try checkingReceiver(endpoint)
        let client = OAuth2Client(tokenURL: endpoint.tokenURL, clientID: "pbx", clientSecret: "cs")
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url, auth: .oauth2ClientCredentials(client))])
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])
        #expect(harness.waitForDeliveries { $0.first?.state == .delivered })
        usleep(1_100_000)  // let the one-second token expire
        try harness.enqueue([Fixture.event(call: "A", sequence: 2)])
        #expect(harness.waitForDeliveries { $0.count == 2 && $0.allSatisfy { $0.state == .delivered } })
        #expect(endpoint.issuedTokens.count == 2)
        #expect(!receiver.requests.contains { $0.header("authorization") == nil })
        #expect(receiver.requests.count == 2)  // no 401 round trip: the old token was never sent
    }

    @Test("Token endpoint errors are logged clearly and the delivery is retried")
    func tokenEndpointErrorsRetry() throws {
        let endpoint = try OAuth2TokenEndpoint(clients: [.init(id: "pbx", secret: "cs")])
        endpoint.failNext(2, status: 503)
        let receiver = try checkingReceiver(endpoint)
        let client = OAuth2Client(tokenURL: endpoint.tokenURL, clientID: "pbx", clientSecret: "cs")
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url, auth: .oauth2ClientCredentials(client))])
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])
        #expect(harness.waitForDeliveries { $0.first?.state == .delivered })
        let delivery = try #require(try harness.outbox.deliveries().first)
        let attempts = try harness.outbox.attempts(deliveryID: delivery.id)
        #expect(attempts.count == 3)
        #expect(attempts.first?.statusCode == nil)
        #expect(attempts.first?.error == "OAuth2 token endpoint \(endpoint.tokenURL) refused: HTTP 503 temporarily_unavailable")
        #expect(receiver.requests.count == 1)
    }

    @Test("Wrong client credentials are reported with the endpoint's error")
    func wrongClientSecret() throws {
        let endpoint = try OAuth2TokenEndpoint(clients: [.init(id: "pbx", secret: "right")])
        let receiver = try checkingReceiver(endpoint)
        let client = OAuth2Client(tokenURL: endpoint.tokenURL, clientID: "pbx", clientSecret: "not-the-secret-4711")
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url, auth: .oauth2ClientCredentials(client))],
                                  configuration: Fixture.configuration(policy: Fixture.policy([])))
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])
        #expect(harness.waitForDeliveries { $0.first?.state == .failed })
        let delivery = try #require(try harness.outbox.deliveries().first)
        #expect(delivery.lastError?.contains("HTTP 401 invalid_client (unknown client or wrong secret)") == true)
        #expect(receiver.requests.isEmpty)
        #expect(!harness.logs.fullText.contains("not-the-secret-4711"))
    }
}
