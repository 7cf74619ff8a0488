import CallEvents
@testable import Delivery
import Foundation
import SQLite
import Storage
import TestSupport
import Testing
import Webhooks

/// Keeping the success on the delivery row (`delivery-003`) changes nothing after a crash: an
/// attempt whose batch was lost is sent again with the same webhook-id, and the log then shows the
/// stored attempt only, from the row.
@Suite("Kept successes across a crash")
struct KeptSuccessCrashTests {
    @Test("A lost batch is sent again in order; each delivery's log shows one success, kept on its row")
    func crashThenResend() throws {
        let receiver = try WebhookReceiver()
        let directory = try TemporaryDirectory()
        let webhook = Fixture.webhook(id: 1, url: receiver.url)
        do {
            let first = try Harness(webhooks: [webhook], configuration: BatchedRecordingTests.holdingConfiguration(),
                                    directory: directory)
            first.service.start()
            try first.enqueue([Fixture.event(call: "A", sequence: 1), Fixture.event(call: "A", sequence: 2)])
            receiver.waitForRequests(count: 1)
            usleep(200_000)
            #expect(try first.outbox.deliveries().allSatisfy { $0.state == .pending && $0.attempts == 0 })
            first.service.simulateCrash()
        }
        let second = try Harness(webhooks: [webhook], directory: directory)
        second.service.start()
        #expect(second.waitForDeliveries { $0.count == 2 && $0.allSatisfy { $0.state == .delivered } })
        #expect(receiver.requests.compactMap { $0.header("webhook-id") } == ["evt_A_1", "evt_A_1", "evt_A_2"])
        #expect(second.service.stop(timeout: .seconds(5)))
        let reopened = try Outbox(path: directory.file("events.sqlite"))
        for delivery in try reopened.deliveries() {
            let attempts = try reopened.attempts(deliveryID: delivery.id)
            #expect(attempts.map(\.attempt) == [1], "\(delivery.eventID)")
            #expect(attempts.map(\.result) == [.success])
            #expect(attempts.first?.statusCode == delivery.lastStatus)
        }
        #expect(try reopened.attemptCount() == 2)
        #expect(try reopened.database.read {
            try $0.queryFirst("SELECT COUNT(*) FROM delivery_attempt")?[0].int64
        } == 0)
    }
}
