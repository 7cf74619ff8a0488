import AdminAPI
import CallEvents
import Foundation
import Observability
import Testing

@Suite("The admin server over real HTTP on port 0")
struct LiveServerTests {
    let harness = AdminHarness()

    func startServer(maxBodyBytes: Int = 64 * 1024) throws -> AdminServer {
        var options = AdminServer.Options()
        options.maxBodyBytes = maxBodyBytes
        let server = try AdminServer(listen: "127.0.0.1:0", token: AdminHarness.token,
                                     dependencies: harness.dependencies,
                                     logger: Logger(label: "admin", handler: harness.logs), options: options)
        try server.start()
        return server
    }

    @Test("Without the token a real request gets 401; with it the CRUD round trip works")
    func crudOverHTTP() async throws {
        let server = try startServer()
        defer { server.stop() }
        #expect(server.port > 0)
        let anonymous = LiveClient(baseURL: server.baseURL, token: nil)
        #expect(try await anonymous.send("GET", "/api/webhooks").status == 401)
        let client = LiveClient(baseURL: server.baseURL, token: AdminHarness.token)
        let created = try await client.send("POST", "/api/webhooks", body: sampleWebhookJSON().jsonString)
        #expect(created.status == 201)
        let id = try #require(created.json?["id"]?.intValue)
        let listed = try await client.send("GET", "/api/webhooks?search=acme")
        #expect(listed.json?["webhooks"]?.arrayValue?.count == 1)
        #expect(!listed.text.contains("client-secret-456"))
        let edited = try await client.send("PUT", "/api/webhooks/\(id)", body: #"{"active": false}"#)
        #expect(edited.json?["active"] == false)
        #expect(try await client.send("DELETE", "/api/webhooks/\(id)").status == 204)
        #expect(try await client.send("GET", "/api/webhooks/\(id)").status == 404)
    }

    @Test("An oversized body is refused with 413 before it reaches the router")
    func oversizedBodyIs413() async throws {
        let server = try startServer(maxBodyBytes: 1024)
        defer { server.stop() }
        let client = LiveClient(baseURL: server.baseURL, token: AdminHarness.token)
        let big = "{\"name\":\"" + String(repeating: "x", count: 4096) + "\"}"
        let reply = try await client.send("POST", "/api/webhooks", body: big)
        #expect(reply.status == 413)
        #expect(reply.errorField == "body")
        #expect(try harness.store.webhooks(matching: nil).isEmpty)
    }

    @Test("Invalid JSON over HTTP is a 400 in the contract's error shape")
    func invalidJSONOverHTTP() async throws {
        let server = try startServer()
        defer { server.stop() }
        let reply = try await LiveClient(baseURL: server.baseURL, token: AdminHarness.token)
            .send("POST", "/api/webhooks", body: "{oops")
        #expect(reply.status == 400)
        #expect(reply.json?["error"]?["message"]?.stringValue?.isEmpty == false)
        #expect(reply.errorField == "body")
    }

    @Test("The page, its assets, /healthz and /metrics are served without a token")
    func pageServedOverHTTP() async throws {
        let server = try startServer()
        defer { server.stop() }
        let client = LiveClient(baseURL: server.baseURL, token: nil)
        let page = try await client.send("GET", "/")
        #expect(page.status == 200)
        #expect(page.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(page.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
        #expect(page.text.contains("<title>Webhooks"))
        #expect(try await client.send("GET", "/assets/app.css").status == 200)
        #expect(try await client.send("GET", "/assets/missing.js").status == 404)
        #expect(try await client.send("GET", "/healthz").json == ["status": "ok"])
        #expect(try await client.send("GET", "/metrics").text.contains("event_publisher_ami_connected"))
    }

    @Test("Starting twice keeps one listener; stop is idempotent")
    func startAndStopAreIdempotent() throws {
        let server = try startServer()
        let port = server.port
        try server.start()
        #expect(server.port == port)
        server.stop()
        server.stop()
        #expect(server.port == 0)
    }

    @Test("admin.listen must be host:port")
    func listenIsValidated() {
        for listen in ["localhost", "127.0.0.1:", "127.0.0.1:70000", ":x"] {
            #expect(throws: AdminServerError.self) {
                try AdminServer(listen: listen, token: "t", dependencies: harness.dependencies,
                                logger: Logger(label: "admin", handler: harness.logs))
            }
        }
    }
}
