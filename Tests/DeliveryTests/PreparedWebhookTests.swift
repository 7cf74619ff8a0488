import Delivery
import Foundation
import TestSupport
import Testing
import Webhooks

/// The worker builds a webhook's header lines once per version of the webhook
/// (`DeliveryHeaderTemplate`); these check that the cache never sends what an edit replaced and
/// that the template fails exactly like the per-attempt checks it replaced.
@Suite("Header template per webhook version")
struct PreparedWebhookTests {
    @Test("A webhook edited while deliveries flow: the next attempts use its new URL, headers, auth and secret")
    func editedWebhookIsRebuilt() throws {
        let before = try WebhookReceiver()
        let after = try WebhookReceiver()
        let harness = try Harness(webhooks: [
            Fixture.webhook(id: 1, url: before.url, auth: .bearer(token: "one"),
                            headers: [WebhookHeader(name: "X-Version", value: "1")]),
        ])
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1), Fixture.event(call: "B", sequence: 1)])
        #expect(harness.waitForDeliveries { $0.count == 2 && $0.allSatisfy { $0.state == .delivered } })
        #expect(before.requests.map { $0.header("x-version") } == ["1", "1"])
        #expect(before.requests.allSatisfy { $0.header("authorization") == "Bearer one" })

        let secret = "whsec_" + Data("edited-signing-key-0123456789".utf8).base64EncodedString()
        harness.webhooks.update { list in
            list[0].url = after.url
            list[0].headers = [WebhookHeader(name: "X-Version", value: "2")]
            list[0].auth = .basic(username: "u", password: "p")
            list[0].signingSecret = secret
        }
        harness.service.webhooksChanged()
        try harness.enqueue([Fixture.event(call: "A", sequence: 2), Fixture.event(call: "C", sequence: 1)])
        let requests = after.waitForRequests(count: 2)
        #expect(requests.count == 2)
        for request in requests {
            #expect(request.header("x-version") == "2")
            #expect(request.header("authorization") == "Basic dTpw")
            let timestamp = try #require(request.header("webhook-timestamp"))
            let messageID = try #require(request.header("webhook-id"))
            #expect(request.header("webhook-signature")
                == (try pythonSignature(secret: secret, messageID: messageID, timestamp: timestamp, body: request.body)))
        }
        #expect(before.requests.count == 2)
    }

    @Test("A header made invalid by an edit fails the next attempt with the same error; fixed, the retry is sent")
    func invalidEditFailsThenRecovers() throws {
        let receiver = try WebhookReceiver()
        let configuration = Fixture.configuration(policy: Fixture.policy([300, 300, 300, 300, 300]))
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url)], configuration: configuration)
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])
        #expect(harness.waitForDeliveries { $0.first?.state == .delivered })

        harness.webhooks.update { $0[0].headers = [WebhookHeader(name: "Bad Name", value: "x")] }
        harness.service.webhooksChanged()
        try harness.enqueue([Fixture.event(call: "B", sequence: 1)])
        let expected = DeliveryRequestError.invalidHeaderName("Bad Name").description
        var failed: Int64?
        #expect(harness.waitForDeliveries { records in
            guard let record = records.first(where: { $0.eventID == "evt_B_1" }), record.attempts > 0 else { return false }
            failed = record.id
            return true
        })
        let attempts = try harness.outbox.attempts(deliveryID: try #require(failed))
        #expect(attempts.first?.error == expected)

        harness.webhooks.update { $0[0].headers = [WebhookHeader(name: "X-Good", value: "yes")] }
        harness.service.webhooksChanged()
        #expect(harness.waitForDeliveries { $0.count == 2 && $0.allSatisfy { $0.state == .delivered } })
        #expect(receiver.requests.count == 2)
        #expect(receiver.requests.last?.header("x-good") == "yes")
    }

    @Test("The template throws what the per-attempt checks threw, in the same order")
    func sameErrorsAsPerAttemptChecks() {
        func lines(userAgent: String = "ua", headers: [WebhookHeader] = [],
                   authorization: DeliveryHeaderTemplate.Authorization = .none, secret: String? = nil,
                   messageID: String = "evt_1", token: String? = nil) -> Result<[String], DeliveryRequestError> {
            let template = DeliveryHeaderTemplate(userAgent: userAgent, headers: headers, authorization: authorization,
                                                  signingSecret: secret)
            return Result { () throws(DeliveryRequestError) in
                try template.lines(messageID: messageID, timestamp: 7, body: [], authorization: token)
            }
        }
        let badHeader = [WebhookHeader(name: "Bad Name", value: "x")]
        #expect(lines(userAgent: "a\nb", headers: badHeader) == .failure(.lineBreakInHeader("User-Agent")))
        #expect(lines(headers: badHeader, messageID: "e\r1") == .failure(.lineBreakInHeader("webhook-id")))
        #expect(lines(headers: badHeader, secret: "whsec_***") == .failure(.invalidSigningSecret))
        #expect(lines(headers: badHeader, authorization: .fixed("Bearer a\nb")) == .failure(.lineBreakInHeader("Authorization")))
        #expect(lines(headers: badHeader, authorization: .perAttempt, token: "Bearer a\rb")
            == .failure(.lineBreakInHeader("Authorization")))
        #expect(lines(headers: badHeader) == .failure(.invalidHeaderName("Bad Name")))
        // A fixed Authorization header is sent only when no auth mode sets one.
        let fixedAuth = [WebhookHeader(name: "Authorization", value: "Token x"), WebhookHeader(name: "X-A", value: "1")]
        #expect(lines(headers: fixedAuth) == .success([
            "Content-Type: application/json", "User-Agent: ua", "webhook-id: evt_1", "webhook-timestamp: 7",
            "Authorization: Token x", "X-A: 1",
        ]))
        #expect(lines(headers: fixedAuth, authorization: .perAttempt, token: "Bearer t") == .success([
            "Content-Type: application/json", "User-Agent: ua", "webhook-id: evt_1", "webhook-timestamp: 7",
            "Authorization: Bearer t", "X-A: 1",
        ]))
    }

    @Test("One template serves many attempts: only the id, timestamp and signature change")
    func templateReused() throws {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let template = DeliveryHeaderTemplate(userAgent: "ua", headers: [WebhookHeader(name: "X-T", value: "t")],
                                              authorization: .fixed("Bearer b"), signingSecret: secret)
        for (id, timestamp) in [("msg_p5jXN8AQM9LWM0D4loKWxJek", Int64(1_614_265_330)), ("evt_2", 9)] {
            let body = Array(#"{"test": 2432232314}"#.utf8)
            let expected = try? DeliveryRequest(url: "http://x", messageID: id, timestamp: timestamp, body: body,
                                                headers: [WebhookHeader(name: "X-T", value: "t")],
                                                authorization: "Bearer b", signingSecret: secret, userAgent: "ua")
                .headerLines()
            let lines = try? template.lines(messageID: id, timestamp: timestamp, body: body)
            #expect(lines != nil && lines == expected)
        }
        #expect(try template.lines(messageID: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
                                   body: Array(#"{"test": 2432232314}"#.utf8))
            .contains("webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="))
    }
}
