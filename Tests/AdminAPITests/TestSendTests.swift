import AdminAPI
import CallEvents
import MicroHTTPD
import Synchronization
import Testing
import Webhooks

@Suite("Test sends from the Request section")
struct TestSendTests {
    @Test("A test send reaches a real receiver and reports reachability, status, body and time")
    func testSendReportsReceiverAnswer() throws {
        let received = Mutex<[HTTPRequest]>([])
        let receiver = try HTTPServer { request in
            received.withLock { $0.append(request) }
            return HTTPResponse(status: 202, contentType: "text/plain", body: "thanks")
        }
        defer { receiver.stop() }
        let harness = AdminHarness(testSender: DeliveryTestSender(totalTimeoutMilliseconds: 5_000))
        let reply = harness.call("POST", "/api/webhooks/test", json: [
            "url": .string(receiver.baseURL + "/hook"), "headers": [["name": "X-Team", "value": "sales"]],
            "auth": ["type": "bearer", "token": "tok-1"], "body": "{\"hello\":1}",
        ])
        #expect(reply.status == 200, "\(reply.text)")
        #expect(reply.json?["reachable"] == true)
        #expect(reply.json?["status"] == 202)
        #expect(reply.json?["response_body"] == "thanks")
        #expect((reply.json?["time_ms"]?.doubleValue ?? -1) >= 0)
        let request = try #require(received.withLock { $0.first })
        #expect(request.path == "/hook")
        #expect(request.header("x-team") == "sales")
        #expect(request.header("authorization") == "Bearer tok-1")
        #expect(String(decoding: request.body, as: UTF8.self) == "{\"hello\":1}")
    }

    @Test("A test send to a closed port reports the endpoint unreachable")
    func unreachableEndpoint() throws {
        let closed = try HTTPServer { _ in HTTPResponse(status: 200) }
        let url = closed.baseURL
        closed.stop()
        let harness = AdminHarness(testSender: DeliveryTestSender(totalTimeoutMilliseconds: 3_000))
        let reply = harness.call("POST", "/api/webhooks/test", json: ["url": .string(url), "body": "{}"])
        #expect(reply.status == 200)
        #expect(reply.json?["reachable"] == false)
        #expect(reply.json?["status"] == .null)
        #expect(reply.json?["error"]?.stringValue?.isEmpty == false)
    }

    @Test("With a webhook id, masked secrets in the test come from the stored webhook")
    func testSendUsesStoredSecrets() throws {
        let sender = RecordingTestSender()
        let harness = AdminHarness(testSender: sender)
        let id = try harness.create(sampleWebhookJSON())
        let masked = try #require(harness.call("GET", "/api/webhooks/\(id)").json?.objectValue)
        var body = masked
        body["body"] = ["type": "call.event_call_started"]
        #expect(harness.call("POST", "/api/webhooks/test", json: .object(body)).status == 200)
        let sent = try #require(sender.sent.first)
        #expect(sent.headers.first?.value == "key-123")
        #expect(sent.signingSecret == "whsec_c2VjcmV0LWtleS0xMjM0NTY=")
        guard case .oauth2ClientCredentials(let client) = sent.auth else {
            Issue.record("auth not kept")
            return
        }
        #expect(client.clientSecret == "client-secret-456")
        #expect(String(decoding: sent.body, as: UTF8.self) == #"{"type":"call.event_call_started"}"#)
    }

    @Test("A test without a valid URL is refused naming url")
    func testNeedsAURL() {
        let harness = AdminHarness()
        #expect(harness.call("POST", "/api/webhooks/test", json: ["body": "{}"]).errorField == "url")
        #expect(harness.call("POST", "/api/webhooks/test", json: ["url": "not a url"]).errorField == "url")
    }
}
