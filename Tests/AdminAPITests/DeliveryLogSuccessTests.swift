import AdminAPI
import CallEvents
import Observability
import Storage
import Testing

@Suite("Delivery log: the delivering success kept on the delivery row")
struct DeliveryLogSuccessTests {
    @Test("GET /api/deliveries shows a first-try success (kept on the delivery row) as attempt 1")
    func firstTrySuccessIsListed() throws {
        let harness = AdminHarness()
        let webhookID = try harness.create(sampleWebhookJSON())
        let outbox = try Outbox(path: harness.directory + "/store.sqlite")
        let event = CallEvent(id: "evt_1", type: .callStarted,
                              timestamp: EventInstant(microseconds: 1_700_000_000_000_000),
                              tenant: "acme", sequence: 1, callID: "call-1", data: ["call_id": "call-1"])
        let item = OutboxItem(event: event, webhookID: webhookID, webhookName: "crm")
        let delivery = try #require(try outbox.enqueue([item], nowMilliseconds: 1_700_000_000_000).first)
        try outbox.record([DeliveryAttemptReport(
            deliveryID: delivery.id, attempt: 1, startedAt: 1_700_000_001_000, latencyMilliseconds: 12, statusCode: 202,
            responseBody: "ok", error: nil, result: .success, newState: .delivered, nextAttemptAt: nil)],
            nowMilliseconds: 1_700_000_001_012)
        let dependencies = AdminDependencies(webhooks: harness.store, events: CallEventCatalog(),
                                             deliveries: OutboxDeliveryLog(outbox: outbox),
                                             testSender: RecordingTestSender(), metrics: { AdminMetricsSnapshot() })
        let router = AdminRouter(token: "t", dependencies: dependencies,
                                 logger: Logger(label: "t", handler: harness.logs))
        let response = router.handle(.init(method: "GET", path: "/api/deliveries", query: ["webhook": "\(webhookID)"],
                                           headers: ["Authorization": "Bearer t"]))
        let listed = try #require(try? TestJSON.parse(response.body)["deliveries"]?.arrayValue?.first)
        #expect(listed["state"] == "delivered")
        let attempts = try #require(listed["attempts"]?.arrayValue)
        #expect(attempts.count == 1)
        #expect(attempts.first?["number"]?.intValue == 1)
        #expect(attempts.first?["status"]?.intValue == 202)
        #expect(attempts.first?["latency_ms"]?.doubleValue == 12)
        #expect(attempts.first?["time"]?.doubleValue == 1_700_000_001)
    }
}
