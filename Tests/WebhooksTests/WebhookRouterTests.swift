import CallEvents
import Testing
import Webhooks

@Suite("Routing events to webhooks")
struct WebhookRouterTests {
    static let tenants = ["main", "acme", "globex"]

    func hook(_ id: Int64, _ tenant: String = "main", all: Bool = false, serving: [String] = [], active: Bool = true,
              events: [EventName]? = nil) -> Webhook {
        Webhook(id: id, name: "h\(id)", isActive: active, tenant: tenant, servesAllTenants: all, tenants: serving,
                url: "https://h\(id).example", subscribesToAllEvents: events == nil, events: events ?? [])
    }

    func ids(_ event: EventName = .callStarted, tenant: String, _ hooks: [Webhook]) -> [Int64] {
        WebhookRouter.recipients(of: event, tenant: tenant, among: hooks).map(\.id)
    }

    @Test("Inactive webhooks receive nothing")
    func inactiveReceivesNothing() {
        #expect(ids(tenant: "main", [hook(1, active: false)]) == [])
    }

    @Test("subscribe_all receives every event, including the non-leg ones")
    func subscribeAllReceivesEverything() {
        for event in EventName.allCases {
            #expect(ids(event, tenant: "main", [hook(1)]) == [1])
        }
    }

    @Test("An event list receives only the listed events")
    func eventListFilters() {
        let hooks = [hook(1, events: [.callFinished, .callRating])]
        #expect(EventName.allCases.filter { !ids($0, tenant: "main", hooks).isEmpty } == [.callFinished, .callRating])
    }

    @Test("The routing table: who serves which tenant", arguments: [
        // (origin, all_tenants, tenant list, event tenant, receives)
        ("main", false, [String](), "main", true),
        ("main", false, [], "acme", false),
        ("main", true, [], "main", true),
        ("main", true, [], "acme", true),
        ("main", true, [], "globex", true),
        ("main", true, ["acme"], "globex", true),       // all_tenants ignores the list
        ("main", false, ["acme"], "acme", true),
        ("main", false, ["acme"], "main", false),
        ("main", false, ["acme"], "globex", false),
        ("main", false, ["main", "globex"], "main", true),
        ("main", false, ["main", "globex"], "globex", true),
        ("main", false, ["main", "globex"], "acme", false),
        ("acme", false, [], "acme", true),
        ("acme", false, [], "main", false),
        ("acme", false, [], "globex", false),
        ("acme", false, ["acme"], "acme", true),
        ("acme", true, [], "globex", false),            // stored despite validation: still only its own tenant
        ("acme", true, [], "main", false),
        ("acme", false, ["globex"], "globex", false),   // a tenant's own webhooks serve only that tenant
        ("acme", false, ["globex"], "acme", true),
    ])
    func routingTable(origin: String, all: Bool, list: [String], eventTenant: String, receives: Bool) {
        #expect(ids(tenant: eventTenant, [hook(1, origin, all: all, serving: list)]) == (receives ? [1] : []))
    }

    @Test("Exhaustively: a recipient is active, subscribed and serves the tenant; nothing else is")
    func exhaustive() {
        let lists: [[String]] = [[], ["main"], ["acme"], ["globex"], ["acme", "globex"], ["main", "acme", "globex"]]
        let subscriptions: [[EventName]?] = [nil, [.callStarted], [.callFinished], [.callStarted, .callRating]]
        var hooks: [Webhook] = []
        var id: Int64 = 0
        for origin in Self.tenants {
            for all in [false, true] {
                for list in lists {
                    for active in [false, true] {
                        for events in subscriptions {
                            id += 1
                            hooks.append(hook(id, origin, all: all, serving: list, active: active, events: events))
                        }
                    }
                }
            }
        }
        for event in EventName.allCases {
            for tenant in Self.tenants + ["unknown"] {
                let expected = hooks.filter { h in
                    guard h.isActive, h.subscribesToAllEvents || h.events.contains(event) else { return false }
                    switch (h.tenant == "main", h.servesAllTenants) {
                    case (true, true): return true
                    case (true, false): return h.tenants.isEmpty ? tenant == "main" : h.tenants.contains(tenant)
                    case (false, _): return tenant == h.tenant
                    }
                }.map(\.id)
                #expect(ids(event, tenant: tenant, hooks.reversed()) == expected, "\(event) for \(tenant)")
            }
        }
    }

    @Test("Recipients come in a stable order whatever the input order")
    func stableOrder() {
        let hooks = [hook(3), hook(1), hook(2, "acme"), hook(4, all: true)]
        #expect(ids(tenant: "main", hooks) == [1, 3, 4])
        #expect(ids(tenant: "main", hooks.reversed()) == [1, 3, 4])
        #expect(ids(tenant: "acme", hooks) == [2, 4])
    }
}
