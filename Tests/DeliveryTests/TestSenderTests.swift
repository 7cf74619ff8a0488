import Delivery
import Foundation
import TestSupport
import Testing
import Webhooks

@Suite("Test send")
struct TestSenderTests {
    @Test("A reachable endpoint reports status, body and time, with real headers and signature")
    func reachable() throws {
        let receiver = try WebhookReceiver(script: [.status(202, body: "accepted")])
        let secret = "whsec_" + Data("test-send-key".utf8).base64EncodedString()
        let body = Array(#"{"id":"evt_sample","type":"call.event_call_started"}"#.utf8)
        let result = TestSender.send(url: receiver.url, headers: [WebhookHeader(name: "X-A", value: "1")],
                                     auth: .bearer(token: "tok"), signingSecret: secret, body: body)
        #expect(result.reachable)
        #expect(result.succeeded)
        #expect(result.status == 202)
        #expect(result.responseBody == "accepted")
        #expect(result.error == nil)
        #expect(result.elapsedMilliseconds > 0)
        let request = try #require(receiver.requests.first)
        #expect(request.header("webhook-id") == "evt_sample")
        #expect(request.header("authorization") == "Bearer tok")
        #expect(request.header("x-a") == "1")
        let timestamp = try #require(request.header("webhook-timestamp"))
        #expect(request.header("webhook-signature")
                == (try pythonSignature(secret: secret, messageID: "evt_sample", timestamp: timestamp, body: body)))
    }

    @Test("An error status is reachable but not a success")
    func errorStatus() throws {
        let receiver = try WebhookReceiver(script: [.status(500, body: "boom")])
        let result = TestSender.send(url: receiver.url, headers: [], auth: .none, signingSecret: nil, body: Array("x".utf8))
        #expect(result.reachable)
        #expect(!result.succeeded)
        #expect(result.status == 500)
        #expect(result.responseBody == "boom")
        #expect(result.messageID.hasPrefix("msg_test_"))
    }

    @Test("An unreachable endpoint is reported clearly")
    func unreachable() {
        let result = TestSender.send(url: "http://127.0.0.1:9/hook", headers: [], auth: .none, signingSecret: nil, body: [])
        #expect(!result.reachable)
        #expect(result.status == nil)
        let error = result.error ?? ""
        #expect(error.contains("http://127.0.0.1:9/hook unreachable"))
        #expect(error.contains("Couldn't connect") || error.contains("Failed to connect"))
    }

    @Test("An unknown host is reported clearly")
    func unknownHost() {
        let result = TestSender.send(url: "http://no-such-host.invalid/hook", headers: [], auth: .none,
                                     signingSecret: nil, body: [])
        #expect(!result.reachable)
        #expect(result.error?.contains("resolve") == true)
    }

    @Test("A test send through OAuth2 gets a token first; a token failure says so")
    func oauth2() throws {
        let endpoint = try OAuth2TokenEndpoint(clients: [.init(id: "pbx", secret: "cs")])
        let receiver = try WebhookReceiver { endpoint.validate($0.header("authorization")) ? .ok : .status(401) }
        let good = OAuth2Client(tokenURL: endpoint.tokenURL, clientID: "pbx", clientSecret: "cs")
        let ok = TestSender.send(url: receiver.url, headers: [], auth: .oauth2ClientCredentials(good), signingSecret: nil,
                                 body: Array("{}".utf8))
        #expect(ok.status == 200)
        let bad = OAuth2Client(tokenURL: endpoint.tokenURL, clientID: "pbx", clientSecret: "nope")
        let refused = TestSender.send(url: receiver.url, headers: [], auth: .oauth2ClientCredentials(bad),
                                      signingSecret: nil, body: Array("{}".utf8))
        #expect(!refused.reachable)
        #expect(refused.error?.contains("OAuth2 token endpoint") == true)
        #expect(refused.error?.contains("invalid_client") == true)
        #expect(receiver.requests.count == 1)
    }
}
