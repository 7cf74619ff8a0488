import CallEvents
import Curl
import Delivery
import Foundation
import Storage
import TestSupport
import Testing
import Webhooks

/// `delivery.refuse_private_destinations` applied by the delivery worker and the test sender.
@Suite("Destination policy in delivery")
struct DestinationPolicyDeliveryTests {
    private static func configuration(_ policy: DestinationPolicy) -> DeliveryConfiguration {
        var configuration = Fixture.configuration()
        configuration.destinationPolicy = policy
        return configuration
    }

    @Test("With the policy on, a loopback destination is refused, never contacted and not retried")
    func refusesLoopbackWithoutContactOrRetry() throws {
        let receiver = try WebhookReceiver()
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url)],
                                  configuration: Self.configuration(.refusingPrivateNetworks))
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])

        #expect(harness.waitForDeliveries { $0.first?.state == .failed })
        let delivery = try #require(try harness.outbox.deliveries().first)
        let attempts = try harness.outbox.attempts(deliveryID: delivery.id)
        #expect(attempts.count == 1, "not retried")
        let error = try #require(attempts.first?.error)
        #expect(error.contains("127.0.0.1"), "names the address: \(error)")
        #expect(error.contains("delivery.refuse_private_destinations"), "names the setting: \(error)")
        // Longer than the retry schedule (100 ms steps): still one attempt, no request.
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try harness.outbox.attempts(deliveryID: delivery.id).count == 1)
        #expect(receiver.requests.isEmpty, "no request reached the receiver")
    }

    @Test("With the policy on, a host name resolving to loopback is refused too")
    func refusesHostNameResolvingToLoopback() throws {
        let receiver = try WebhookReceiver()
        let url = "http://localhost:\(receiver.port)/hook"
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: url)],
                                  configuration: Self.configuration(.refusingPrivateNetworks))
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])
        #expect(harness.waitForDeliveries { $0.first?.state == .failed })
        let delivery = try #require(try harness.outbox.deliveries().first)
        let error = try #require(try harness.outbox.attempts(deliveryID: delivery.id).first?.error)
        #expect(error.contains("host localhost"), "\(error)")
        #expect(receiver.requests.isEmpty)
    }

    @Test("With the policy off (the default) the same loopback delivery succeeds")
    func defaultAllowsLoopback() throws {
        #expect(DeliveryConfiguration().destinationPolicy == .permissive)
        let receiver = try WebhookReceiver()
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url)])
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])
        #expect(receiver.waitForRequests(count: 1).count == 1)
        #expect(harness.waitForDeliveries { $0.first?.state == .delivered })
    }

    @Test("A test send with the policy on is refused before any request; with it off it goes through")
    func testSendHonoursPolicy() throws {
        let receiver = try WebhookReceiver()
        let refused = TestSender.send(url: receiver.url, headers: [], auth: .none, signingSecret: nil, body: Array("{}".utf8),
                                      destinationPolicy: .refusingPrivateNetworks)
        #expect(!refused.reachable)
        #expect(refused.error?.contains("127.0.0.1") == true)
        #expect(refused.error?.contains("delivery.refuse_private_destinations") == true)
        #expect(receiver.requests.isEmpty)

        let allowed = TestSender.send(url: receiver.url, headers: [], auth: .none, signingSecret: nil, body: Array("{}".utf8))
        #expect(allowed.succeeded)
        #expect(receiver.requests.count == 1)
    }

    @Test("Resolve entries pin a host name to the checked address (CURLOPT_RESOLVE)")
    func resolveEntriesPinTheAddress() throws {
        let receiver = try WebhookReceiver()
        // `.invalid` never resolves through DNS (RFC 6761); only the pin can make this request succeed.
        var request = CurlRequest(url: "http://pinned.invalid:\(receiver.port)/hook", body: Array("{}".utf8))
        request.resolveEntries = ["pinned.invalid:\(receiver.port):127.0.0.1"]
        let result = try CurlTransfer(request: request).perform()
        #expect((try? result.get().status) == 200)
        #expect(receiver.requests.first?.header("host") == "pinned.invalid:\(receiver.port)")
    }
}
