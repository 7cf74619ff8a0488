import Delivery
import Testing
import Webhooks

@Suite("Signature and headers")
struct SignatureAndHeaderTests {
    @Test("The signature matches the Standard Webhooks reference vector")
    func matchesReferenceVector() {
        // From the Standard Webhooks / svix libraries' test suites.
        let signature = StandardWebhooksSignature.sign(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                                       messageID: "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                                       timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test("The signature matches Python's hmac for arbitrary bodies")
    func matchesPython() throws {
        let secret = "whsec_" + "c2VjcmV0LWtleS1mb3ItdGVzdHMtMTIzNDU2Nzg5MA=="
        let body = Array(#"{"id":"evt_1","data":{"name":"Zoë ☎"}}"#.utf8)
        let ours = StandardWebhooksSignature.sign(secret: secret, messageID: "evt_1", timestamp: 1_700_000_000, body: body)
        #expect(ours == (try pythonSignature(secret: secret, messageID: "evt_1", timestamp: "1700000000", body: body)))
    }

    @Test("Headers come in the documented order; fixed headers cannot replace protocol headers")
    func headerOrder() throws {
        let request = DeliveryRequest(url: "http://x", messageID: "evt_9", timestamp: 1_700_000_000, body: [],
                                      headers: [WebhookHeader(name: "X-Tenant", value: "acme"),
                                                WebhookHeader(name: "Content-Type", value: "text/plain"),
                                                WebhookHeader(name: "webhook-id", value: "forged")],
                                      authorization: "Bearer t0k3n", signingSecret: nil, userAgent: "event-publisher/1.0")
        #expect(try request.headerLines() == [
            "Content-Type: application/json", "User-Agent: event-publisher/1.0", "webhook-id: evt_9",
            "webhook-timestamp: 1700000000", "Authorization: Bearer t0k3n", "X-Tenant: acme",
        ])
    }

    @Test("A header value with CR or LF is never sent", arguments: ["a\r\nX-Evil: 1", "a\nb", "a\rb", "a\u{0}b"])
    func refusesLineBreaks(_ value: String) {
        let fixed = DeliveryRequest(url: "http://x", messageID: "evt_1", timestamp: 1, body: [],
                                    headers: [WebhookHeader(name: "X-Note", value: value)], authorization: nil,
                                    signingSecret: nil, userAgent: "ua")
        #expect(throws: DeliveryRequestError.lineBreakInHeader("X-Note")) { try fixed.headerLines() }
        let token = DeliveryRequest(url: "http://x", messageID: "evt_1", timestamp: 1, body: [], headers: [],
                                    authorization: "Bearer " + value, signingSecret: nil, userAgent: "ua")
        #expect(throws: DeliveryRequestError.lineBreakInHeader("Authorization")) { try token.headerLines() }
    }

    @Test("A malformed signing secret fails the attempt instead of sending unsigned")
    func refusesBadSecret() {
        let request = DeliveryRequest(url: "http://x", messageID: "evt_1", timestamp: 1, body: [], headers: [],
                                      authorization: nil, signingSecret: "whsec_***", userAgent: "ua")
        #expect(throws: DeliveryRequestError.invalidSigningSecret) { try request.headerLines() }
    }
}
