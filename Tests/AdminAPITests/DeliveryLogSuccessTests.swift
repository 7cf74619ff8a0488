import AdminAPI
import CallEvents
import Observability
import Storage
import Testing

@Suite("Delivery log: the delivering success kept on the delivery row")
struct DeliveryLogSuccessTests {
    @Test("GET /api/deliveries shows a first-try success (kept on the delivery row) as attempt 1")
    func firstTrySuccessIsListed() throws {
        let log = try OutboxBackedRouter(harness: AdminHarness(), attempt: (
            statusCode: 202, latencyMilliseconds: 12, body: "ok", result: .success, newState: .delivered))
        let listed = try #require(log.firstListedDelivery())
        #expect(listed["state"] == "delivered")
        let attempts = try #require(listed["attempts"]?.arrayValue)
        #expect(attempts.count == 1)
        #expect(attempts.first?["number"]?.intValue == 1)
        #expect(attempts.first?["status"]?.intValue == 202)
        #expect(attempts.first?["latency_ms"]?.doubleValue == 12)
        #expect(attempts.first?["time"]?.doubleValue == 1_700_000_001)
    }
}
