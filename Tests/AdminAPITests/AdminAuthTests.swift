import AdminAPI
import Testing

@Suite("The admin token guards every /api route")
struct AdminAuthTests {
    let harness = AdminHarness()

    @Test("A request without a token is refused with 401 and no details")
    func missingTokenIsRefused() {
        let reply = harness.call("GET", "/api/webhooks", token: nil)
        #expect(reply.status == 401)
        #expect(reply.json?["error"]?["message"] == "unauthorized")
        #expect(reply.header("WWW-Authenticate") == "Bearer")
    }

    @Test("A wrong token gets exactly the same answer as a missing one")
    func wrongTokenLooksLikeMissingToken() {
        let missing = harness.call("GET", "/api/webhooks", token: nil)
        for wrong in ["nope", AdminHarness.token + "x", String(AdminHarness.token.dropLast()), ""] {
            let reply = harness.call("GET", "/api/webhooks", token: wrong)
            #expect(reply.status == 401)
            #expect(reply.body == missing.body)
        }
    }

    @Test("Every /api route needs the token, even unknown ones and writes")
    func everyAPIRouteNeedsTheToken() {
        for (method, path) in [("POST", "/api/webhooks"), ("DELETE", "/api/webhooks/1"), ("GET", "/api/events"),
                               ("GET", "/api/tenants"), ("POST", "/api/deliveries/1/redeliver"),
                               ("POST", "/api/webhooks/test"), ("GET", "/api/nothing-here")] {
            #expect(harness.call(method, path, token: nil).status == 401, "\(method) \(path)")
        }
    }

    @Test("Only the Bearer scheme carries the token; the scheme name is case-insensitive")
    func onlyBearerSchemeIsAccepted() {
        let basic = harness.router.handle(.init(method: "GET", path: "/api/tenants",
                                                headers: ["Authorization": "Basic \(AdminHarness.token)"]))
        #expect(basic.status == 401)
        let lower = harness.router.handle(.init(method: "GET", path: "/api/tenants",
                                                headers: ["Authorization": "bearer \(AdminHarness.token)"]))
        #expect(lower.status == 200)
    }

    @Test("An empty configured token refuses everything instead of accepting an empty one")
    func emptyConfiguredTokenRefusesAll() {
        let router = AdminRouter(token: "", dependencies: harness.dependencies,
                                 logger: .init(label: "t", handler: harness.logs))
        let reply = router.handle(.init(method: "GET", path: "/api/tenants", headers: ["Authorization": "Bearer "]))
        #expect(reply.status == 401)
    }

    @Test("The page, /healthz and /metrics are open")
    func openRoutesNeedNoToken() {
        #expect(harness.call("GET", "/", token: nil).status == 200)
        #expect(harness.call("GET", "/assets/app.js", token: nil).status == 200)
        #expect(harness.call("GET", "/healthz", token: nil).json == ["status": "ok"])
        #expect(harness.call("GET", "/metrics", token: nil).status == 200)
    }
}
