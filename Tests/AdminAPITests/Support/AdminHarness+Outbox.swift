import AdminAPI
import CallEvents
import Observability
import Storage
import Testing

/// A router whose delivery log reads a real outbox holding one delivery of `evt_1` with one
/// recorded attempt, for the delivery-log tests.
struct OutboxBackedRouter {
    /// Kept so its scratch directory and store live as long as the router.
    let harness: AdminHarness
    let router: AdminRouter
    let outbox: Outbox
    let webhookID: Int64
    let deliveryID: Int64

    init(harness: AdminHarness, attempt: (statusCode: Int, latencyMilliseconds: Int, body: String,
                                          result: DeliveryAttemptResult, newState: DeliveryState)) throws {
        self.harness = harness
        webhookID = try harness.create(sampleWebhookJSON())
        outbox = try Outbox(path: harness.directory + "/store.sqlite")
        let event = CallEvent(id: "evt_1", type: .callStarted,
                              timestamp: EventInstant(microseconds: 1_700_000_000_000_000),
                              tenant: "acme", sequence: 1, callID: "call-1", data: ["call_id": "call-1"])
        let item = OutboxItem(event: event, webhookID: webhookID, webhookName: "crm")
        let delivery = try #require(try outbox.enqueue([item], nowMilliseconds: 1_700_000_000_000).first)
        deliveryID = delivery.id
        try outbox.record([DeliveryAttemptReport(
            deliveryID: delivery.id, attempt: 1, startedAt: 1_700_000_001_000,
            latencyMilliseconds: attempt.latencyMilliseconds, statusCode: attempt.statusCode,
            responseBody: attempt.body, error: nil, result: attempt.result, newState: attempt.newState,
            nextAttemptAt: nil)],
            nowMilliseconds: 1_700_000_001_000 + Int64(attempt.latencyMilliseconds))
        let dependencies = AdminDependencies(webhooks: harness.store, events: CallEventCatalog(),
                                             deliveries: OutboxDeliveryLog(outbox: outbox),
                                             testSender: RecordingTestSender(), metrics: { AdminMetricsSnapshot() })
        router = AdminRouter(token: "t", dependencies: dependencies, logger: Logger(label: "t", handler: harness.logs))
    }

    /// The first delivery `GET /api/deliveries?webhook=…` lists.
    func firstListedDelivery() -> JSONValue? {
        let response = router.handle(.init(method: "GET", path: "/api/deliveries", query: ["webhook": "\(webhookID)"],
                                           headers: ["Authorization": "Bearer t"]))
        return try? TestJSON.parse(response.body)["deliveries"]?.arrayValue?.first
    }
}
