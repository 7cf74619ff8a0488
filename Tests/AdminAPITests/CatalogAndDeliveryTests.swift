import AdminAPI
import CallEvents
import Observability
import Storage
import Testing

@Suite("Events catalogue and delivery log")
struct CatalogAndDeliveryTests {
    @Test("The catalogue lists every event with category, description, schema and sample")
    func catalogueListsEveryEvent() throws {
        let harness = AdminHarness()
        let events = try #require(harness.call("GET", "/api/events").json?["events"]?.arrayValue)
        #expect(events.compactMap { $0["name"]?.stringValue } == EventName.allCases.map(\.rawValue))
        for event in events {
            #expect(event["category"] == "call")
            #expect(event["description"]?.stringValue?.isEmpty == false)
            #expect(event["schema"]?.objectValue != nil)
            #expect(event["sample"]?.objectValue != nil)
        }
    }

    @Test("One event is shown by name; an unknown name is 404")
    func eventByName() {
        let harness = AdminHarness()
        let shown = harness.call("GET", "/api/events/call.event_call_started")
        #expect(shown.json?["name"] == "call.event_call_started")
        #expect(harness.call("GET", "/api/events/call.unknown").status == 404)
    }

    @Test("The delivery log lists one webhook's deliveries with attempts; redeliver queues one again")
    func deliveryLogAndRedeliver() throws {
        let harness = AdminHarness(deliveries: [
            AdminDelivery(id: 7, webhookID: 1, eventID: "c1:1", eventName: "call.event_call_started", state: "failed",
                          createdAt: 1_700_000_000, attempts: [
                              AdminDeliveryAttempt(number: 1, time: 1_700_000_000, status: 503, latencyMilliseconds: 12,
                                                   response: "busy"),
                              AdminDeliveryAttempt(number: 2, time: 1_700_000_060, error: "connection refused"),
                          ]),
            AdminDelivery(id: 8, webhookID: 2, eventID: "c2:1", eventName: "call.event_call_started",
                          state: "succeeded", createdAt: 1_700_000_100),
        ])
        let listed = try #require(harness.call("GET", "/api/deliveries", query: ["webhook": "1"]).json?["deliveries"]?
            .arrayValue)
        #expect(listed.count == 1)
        #expect(listed[0]["state"] == "failed")
        #expect(listed[0]["attempts"]?.arrayValue?.map { $0["status"] } == [.int(503), .null])
        #expect(listed[0]["attempts"]?.arrayValue?.last?["error"] == "connection refused")
        #expect(harness.call("GET", "/api/deliveries").json?["deliveries"]?.arrayValue?.count == 2)
        #expect(harness.call("GET", "/api/deliveries", query: ["webhook": "x"]).errorField == "webhook")

        #expect(harness.call("POST", "/api/deliveries/7/redeliver").status == 202)
        #expect(harness.deliveries.redeliveredIDs == [7])
        #expect(harness.call("POST", "/api/deliveries/99/redeliver").status == 404)
        #expect(harness.call("GET", "/api/deliveries/7/redeliver").status == 405)
    }

    @Test("The delivery log reads the real outbox: attempts with status, and redeliver puts a failed one back")
    func deliveryLogFromOutbox() throws {
        let log = try OutboxBackedRouter(harness: AdminHarness(), attempt: (
            statusCode: 410, latencyMilliseconds: 42, body: "gone", result: .error, newState: .failed))
        let list = log.firstListedDelivery
        let listed = try #require(list())
        #expect(listed["state"] == "failed")
        #expect(listed["event"] == "call.event_call_started")
        #expect(listed["attempts"]?.arrayValue?.first?["status"] == 410)
        #expect(listed["attempts"]?.arrayValue?.first?["latency_ms"] == 42)
        let redeliver = log.router.handle(.init(method: "POST", path: "/api/deliveries/\(log.deliveryID)/redeliver",
                                            headers: ["Authorization": "Bearer t"]))
        #expect(redeliver.status == 202)
        #expect(list()?["state"] == "retrying")
    }
}
