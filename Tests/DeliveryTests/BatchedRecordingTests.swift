import CallEvents
@testable import Delivery
import Foundation
import Storage
import TestSupport
import Testing
import Webhooks

/// The worker stores finished attempts in batches (one transaction per batch). Until a batch is
/// stored, the calls in it wait, and a crash loses only the batch: those events are sent again
/// with the same webhook-id, before the calls' next events.
@Suite("Batched attempt recording")
struct BatchedRecordingTests {
    /// A batch that is only stored when full, old (never, here) or at stop.
    static func holdingConfiguration() -> DeliveryConfiguration {
        var configuration = Fixture.configuration()
        configuration.recordBatchMaxSize = 1_000
        configuration.recordBatchMaxDelayMilliseconds = 600_000
        configuration.recordBatchEarlyWhenIdle = false
        return configuration
    }

    @Test("A crash between an attempt and the storing of its batch: sent again with the same webhook-id, in order")
    func crashBeforeTheBatchIsStored() throws {
        let receiver = try WebhookReceiver()
        let directory = try TemporaryDirectory()
        let webhook = Fixture.webhook(id: 1, url: receiver.url)
        do {
            let first = try Harness(webhooks: [webhook], configuration: Self.holdingConfiguration(),
                                    directory: directory)
            first.service.start()
            try first.enqueue([Fixture.event(call: "A", sequence: 1), Fixture.event(call: "A", sequence: 2)])
            receiver.waitForRequests(count: 1)
            // The receiver has evt_A_1 but its verdict is not stored: evt_A_2 must not go yet.
            usleep(300_000)
            #expect(receiver.requests.count == 1)
            #expect(try first.outbox.deliveries().allSatisfy { $0.state == .pending && $0.attempts == 0 })
            first.service.simulateCrash()
        }
        let second = try Harness(webhooks: [webhook], directory: directory)
        second.service.start()
        #expect(second.waitForDeliveries { $0.count == 2 && $0.allSatisfy { $0.state == .delivered } })
        let ids = receiver.requests.compactMap { $0.header("webhook-id") }
        #expect(ids == ["evt_A_1", "evt_A_1", "evt_A_2"])
    }

    @Test("A graceful stop stores the batch: nothing is sent twice")
    func stopStoresTheBatch() throws {
        let receiver = try WebhookReceiver()
        let directory = try TemporaryDirectory()
        let webhook = Fixture.webhook(id: 1, url: receiver.url)
        do {
            let first = try Harness(webhooks: [webhook], configuration: Self.holdingConfiguration(),
                                    directory: directory)
            first.service.start()
            try first.enqueue([Fixture.event(call: "A", sequence: 1), Fixture.event(call: "B", sequence: 1)])
            receiver.waitForRequests(count: 2)
            #expect(first.service.stop(timeout: .seconds(5)))
            let records = try first.outbox.deliveries()
            #expect(records.count == 2 && records.allSatisfy { $0.state == .delivered && $0.attempts == 1 })
        }
        let second = try Harness(webhooks: [webhook], directory: directory)
        second.service.start()
        usleep(300_000)
        #expect(receiver.requests.count == 2)
    }

    @Test("Under the default settings a call's events follow each other without waiting for a full batch")
    func lightLoadStoresAtOnce() throws {
        let receiver = try WebhookReceiver()
        var configuration = Fixture.configuration()
        configuration.recordBatchMaxDelayMilliseconds = 600_000
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url)], configuration: configuration)
        harness.service.start()
        try harness.enqueue((1...5).map { Fixture.event(call: "A", sequence: $0) })
        // Each verdict is stored as soon as the call's next event could use the free slot.
        #expect(harness.waitForDeliveries { $0.count == 5 && $0.allSatisfy { $0.state == .delivered } })
        #expect(receiver.requests.compactMap { $0.header("webhook-id") } == (1...5).map { "evt_A_\($0)" })
    }
}
