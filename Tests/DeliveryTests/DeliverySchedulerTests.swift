@testable import Delivery
import Storage
import Testing

@Suite("Delivery scheduler")
struct DeliverySchedulerTests {
    func delivery(_ id: Int64, webhook: Int64 = 1, call: String = "A", sequence: Int, at: Int64 = 0) -> OutboxDelivery {
        OutboxDelivery(id: id, eventID: "evt_\(call)_\(sequence)", eventType: "call.event_call_updated",
                       webhookID: webhook, callID: call, sequence: sequence, attempts: 0, nextAttemptAt: at,
                       isManual: false)
    }

    func take(_ scheduler: inout DeliveryScheduler, at now: Int64, perWebhook: Int = 16) -> [Int64] {
        scheduler.takeDue(now: now, canSend: { _ in true }, maxPerWebhook: perWebhook, maxTotal: 100).map(\.id).sorted()
    }

    @Test("Only the head of a call's lane goes; the next follows once it is delivered")
    func oneEventPerCallInFlight() {
        var scheduler = DeliveryScheduler()
        scheduler.add(delivery(1, sequence: 1), now: 0)
        scheduler.add(delivery(2, sequence: 2), now: 0)
        scheduler.add(delivery(3, call: "B", sequence: 1), now: 0)
        #expect(take(&scheduler, at: 0) == [1, 3])
        #expect(take(&scheduler, at: 0) == [])
        scheduler.complete(1, .removed, now: 1)
        #expect(take(&scheduler, at: 1) == [2])
    }

    @Test("A failed head holds its call until the retry time; other calls go on")
    func retryHoldsTheLane() {
        var scheduler = DeliveryScheduler()
        scheduler.add(delivery(1, sequence: 1), now: 0)
        scheduler.add(delivery(2, sequence: 2), now: 0)
        #expect(take(&scheduler, at: 0) == [1])
        scheduler.complete(1, .retry(at: 500), now: 10)
        #expect(scheduler.retryingCount == 1)
        scheduler.add(delivery(3, call: "B", sequence: 1), now: 20)
        #expect(take(&scheduler, at: 20) == [3])
        #expect(scheduler.nextTimer == 500)
        #expect(take(&scheduler, at: 499) == [])
        #expect(take(&scheduler, at: 500) == [1])
        scheduler.complete(1, .removed, now: 501)
        #expect(scheduler.retryingCount == 0)
        #expect(take(&scheduler, at: 501) == [2])
    }

    @Test("Events arriving out of order are sent in sequence order")
    func sortsBySequence() {
        var scheduler = DeliveryScheduler()
        scheduler.add(delivery(5, sequence: 3), now: 0)
        scheduler.add(delivery(4, sequence: 2), now: 0)
        scheduler.add(delivery(3, sequence: 1), now: 0)
        var order: [Int64] = []
        for step in 0..<3 {
            let due = take(&scheduler, at: Int64(step))
            order += due
            for id in due { scheduler.complete(id, .removed, now: Int64(step)) }
        }
        #expect(order == [3, 4, 5])
    }

    @Test("Webhooks are independent, and the per-webhook limit bounds what is in flight")
    func perWebhookLimit() {
        var scheduler = DeliveryScheduler()
        for call in 0..<5 { scheduler.add(delivery(Int64(call), webhook: 1, call: "c\(call)", sequence: 1), now: 0) }
        scheduler.add(delivery(10, webhook: 2, call: "c0", sequence: 1), now: 0)
        #expect(take(&scheduler, at: 0, perWebhook: 2).count == 3)
        #expect(scheduler.inFlightByWebhook == [1: 2, 2: 1])
    }

    @Test("Webhooks that may not send keep their deliveries")
    func heldWhileInactive() {
        var scheduler = DeliveryScheduler()
        scheduler.add(delivery(1, webhook: 7, sequence: 1), now: 0)
        #expect(scheduler.takeDue(now: 0, canSend: { $0 != 7 }, maxPerWebhook: 4, maxTotal: 4).isEmpty)
        #expect(take(&scheduler, at: 1) == [1])
    }

    @Test("A redelivery of a waiting row moves its attempt forward; a row in flight is left alone")
    func redeliveryMovesTheAttempt() {
        var scheduler = DeliveryScheduler()
        scheduler.add(delivery(1, sequence: 1), now: 0)
        #expect(take(&scheduler, at: 0) == [1])
        let changedInFlight = scheduler.add(delivery(1, sequence: 1, at: 0), now: 0)
        #expect(!changedInFlight)
        scheduler.complete(1, .retry(at: 60_000), now: 5)
        #expect(take(&scheduler, at: 10) == [])
        let moved = scheduler.add(delivery(1, sequence: 1, at: 10), now: 10)
        #expect(moved)
        #expect(take(&scheduler, at: 10) == [1])
    }

    @Test("A released attempt stays at the head of its call")
    func releaseKeepsOrder() {
        var scheduler = DeliveryScheduler()
        scheduler.add(delivery(1, sequence: 1), now: 0)
        scheduler.add(delivery(2, sequence: 2), now: 0)
        #expect(take(&scheduler, at: 0) == [1])
        scheduler.release(1, now: 0)
        #expect(scheduler.inFlightCount == 0)
        #expect(take(&scheduler, at: 0) == [1])
    }

    @Test("An ended attempt frees its slot for another call; its own call waits for the stored verdict")
    func endedAttemptFreesTheSlotNotTheCall() {
        var scheduler = DeliveryScheduler()
        scheduler.add(delivery(1, sequence: 1), now: 0)
        scheduler.add(delivery(2, sequence: 2), now: 0)
        scheduler.add(delivery(3, call: "B", sequence: 1), now: 0)
        #expect(take(&scheduler, at: 0, perWebhook: 1) == [1])
        scheduler.endAttempt(1)
        #expect(scheduler.inFlightCount == 0)
        // The slot goes to call B; call A's next event waits for event 1's verdict to be stored.
        #expect(take(&scheduler, at: 0, perWebhook: 1) == [3])
        scheduler.endAttempt(3)
        #expect(take(&scheduler, at: 0, perWebhook: 1) == [])
        scheduler.complete(1, .removed, now: 0)
        #expect(take(&scheduler, at: 0, perWebhook: 1) == [2])
        scheduler.complete(3, .removed, now: 0)
        #expect(scheduler.inFlightCount == 1)
    }
}
