import CallEvents
import Delivery
import Foundation
import Storage
import Synchronization
import TestSupport
import Testing
import Webhooks

@Suite("Delivery over HTTP")
struct DeliveryServiceTests {
    @Test("An event arrives with the delivery headers and a signature Python can verify")
    func deliversSignedEvent() throws {
        let receiver = try WebhookReceiver()
        let secret = "whsec_" + Data("a-test-signing-key-0123456789".utf8).base64EncodedString()
        let webhook = Fixture.webhook(id: 1, url: receiver.url, signingSecret: secret,
                                      headers: [WebhookHeader(name: "X-Tenant", value: "acme")])
        let harness = try Harness(webhooks: [webhook])
        harness.service.start()
        let event = Fixture.event(call: "A", sequence: 1)
        try harness.enqueue([event])

        let request = try #require(receiver.waitForRequests(count: 1).first)
        #expect(request.method == "POST")
        #expect(request.body == event.encodedJSON())
        #expect(request.header("content-type") == "application/json")
        #expect(request.header("user-agent") == "event-publisher/test")
        #expect(request.header("webhook-id") == event.id)
        #expect(request.header("x-tenant") == "acme")
        let timestamp = try #require(request.header("webhook-timestamp"))
        #expect(Int64(timestamp) != nil)
        let expected = try pythonSignature(secret: secret, messageID: event.id, timestamp: timestamp, body: request.body)
        #expect(request.header("webhook-signature") == expected)
        #expect(harness.waitForDeliveries { $0.first?.state == .delivered })
    }

    @Test("Without a signing secret no signature header is sent")
    func unsignedWithoutSecret() throws {
        let receiver = try WebhookReceiver()
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url)])
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])
        let request = try #require(receiver.waitForRequests(count: 1).first)
        #expect(request.header("webhook-signature") == nil)
        #expect(request.header("authorization") == nil)
    }

    @Test("A failed delivery is retried no earlier than Retry-After, with the same webhook-id")
    func retriesHonouringRetryAfter() throws {
        let receiver = try WebhookReceiver(script: [.retryAfter(503, seconds: 1), .status(500)])
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url)])
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])

        let requests = receiver.waitForRequests(count: 3)
        #expect(requests.count == 3)
        #expect(Set(requests.compactMap { $0.header("webhook-id") }) == ["evt_A_1"])
        #expect(harness.waitForDeliveries { $0.first?.state == .delivered })
        let delivery = try #require(try harness.outbox.deliveries().first)
        let attempts = try harness.outbox.attempts(deliveryID: delivery.id)
        #expect(attempts.map(\.statusCode) == [503, 500, 200])
        #expect(attempts.map(\.result) == [.failure, .failure, .success])
        // The planned wait honours Retry-After (1 s) over the 100 ms schedule, and the retry kept to it.
        let first = attempts[0]
        let planned = try #require(first.nextAttemptAt)
        #expect(planned - first.startedAt >= 1_000)
        #expect(attempts[1].startedAt >= planned)
        #expect(requests[1].receivedAt.timeIntervalSince(requests[0].receivedAt) >= 0.9)
    }

    @Test("A dropped connection is a network failure and is retried")
    func droppedConnectionRetries() throws {
        let receiver = try WebhookReceiver(script: [.drop])
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url)])
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])
        #expect(harness.waitForDeliveries { $0.first?.state == .delivered })
        let delivery = try #require(try harness.outbox.deliveries().first)
        let attempts = try harness.outbox.attempts(deliveryID: delivery.id)
        #expect(attempts.first?.statusCode == nil)
        #expect(attempts.first?.error?.isEmpty == false)
        #expect(attempts.last?.result == .success)
    }

    @Test("After the schedule is exhausted the delivery is a dead letter")
    func exhaustedScheduleFails() throws {
        let receiver = try WebhookReceiver(otherwise: .status(500, body: "broken"))
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url)],
                                  configuration: Fixture.configuration(policy: Fixture.policy([50, 50])))
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])
        #expect(harness.waitForDeliveries { $0.first?.state == .failed })
        let delivery = try #require(try harness.outbox.deliveries().first)
        #expect(delivery.attempts == 3)
        let attempts = try harness.outbox.attempts(deliveryID: delivery.id)
        #expect(attempts.map(\.result) == [.failure, .failure, .error])
        #expect(attempts.last?.responseBody == "broken")
        #expect(attempts.last?.error?.contains("gave up after 3 attempts") == true)
        #expect(receiver.requests.count == 3)
        #expect(harness.service.metrics().attemptsByOutcome["failed"] == 1)
    }

    @Test("410 Gone disables the webhook; its later events wait in the outbox")
    func goneDisablesWebhook() throws {
        let receiver = try WebhookReceiver(script: [.status(410)])
        let harness = try Harness(webhooks: [Fixture.webhook(id: 4, url: receiver.url)])
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1), Fixture.event(call: "A", sequence: 2)])
        #expect(harness.waitForDeliveries { $0.contains { $0.state == .failed } })
        #expect(harness.disabled.value.map(\.0) == [4])
        #expect(harness.webhooks.all.first?.isActive == false)
        // The call's next event was not sent after the 410 and is still pending.
        #expect(receiver.wait(timeout: .milliseconds(500)) { $0.count > 1 } == false)
        let states = try harness.outbox.deliveries().map(\.state).sorted { $0.rawValue < $1.rawValue }
        #expect(states == [.failed, .pending])
        // Re-enabled, it receives what waited.
        harness.webhooks.setActive(4, true)
        harness.service.webhooksChanged()
        #expect(receiver.wait { $0.count == 2 })
    }

    @Test("A call's next event waits while its previous one is retried; other calls proceed")
    func perCallOrderUnderFailures() throws {
        let failuresLeft = Locked(2)
        let receiver = try WebhookReceiver { request in
            let id = request.header("webhook-id")
            if id == "evt_A_1" {
                return failuresLeft.withLock { left in
                    guard left > 0 else { return .ok }
                    left -= 1
                    return .status(503)
                }
            }
            return .ok
        }
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url)],
                                  configuration: Fixture.configuration(policy: Fixture.policy([500, 500, 500])))
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1), Fixture.event(call: "A", sequence: 2),
                             Fixture.event(call: "B", sequence: 1), Fixture.event(call: "B", sequence: 2),
                             Fixture.event(call: "A", sequence: 3)])
        #expect(receiver.wait { $0.filter { $0.header("webhook-id") == "evt_A_3" }.count == 1 })
        let ids = receiver.requests.compactMap { $0.header("webhook-id") }
        // Call A in order, after two failures of its first event; never a later A before A_1 succeeded.
        #expect(ids.filter { $0.hasPrefix("evt_A") } == ["evt_A_1", "evt_A_1", "evt_A_1", "evt_A_2", "evt_A_3"])
        #expect(ids.filter { $0.hasPrefix("evt_B") } == ["evt_B_1", "evt_B_2"])
        // Call B did not wait for A's retries.
        let firstAfterB2 = try #require(ids.firstIndex(of: "evt_B_2"))
        let lastA1 = try #require(ids.lastIndex(of: "evt_A_1"))
        #expect(firstAfterB2 < lastA1)
    }

    @Test("A slow endpoint does not delay another webhook")
    func slowEndpointDoesNotDelayOthers() throws {
        let slow = try WebhookReceiver(otherwise: .delayed(milliseconds: 3_000, .ok))
        let fast = try WebhookReceiver()
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: slow.url), Fixture.webhook(id: 2, url: fast.url)])
        harness.service.start()
        let events = (1...20).map { Fixture.event(call: "C\($0)", sequence: 1) }
        try harness.enqueue(events)
        #expect(fast.wait { $0.count == 20 })
        // When the fast webhook has everything, the slow one has not finished a single attempt.
        let slowDone = try harness.outbox.deliveries(DeliveryQuery(webhookID: 1)).filter { $0.attempts > 0 }
        #expect(slowDone.isEmpty)
    }

    @Test("A dead endpoint does not delay another webhook")
    func deadEndpointDoesNotDelayOthers() throws {
        let fast = try WebhookReceiver()
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: "http://127.0.0.1:9/hook"),
                                             Fixture.webhook(id: 2, url: fast.url)])
        harness.service.start()
        try harness.enqueue((1...10).map { Fixture.event(call: "C\($0)", sequence: 1) })
        #expect(fast.wait { $0.count == 10 })
        #expect(harness.waitForDeliveries { records in
            records.filter { $0.webhookID == 1 }.allSatisfy { $0.attempts >= 1 && $0.lastError != nil }
        })
        let refused = try #require(try harness.outbox.deliveries(DeliveryQuery(webhookID: 1)).first)
        #expect(refused.lastError?.contains("onnect") == true)
    }

    @Test("Redirects are not followed, and long responses are truncated in the log")
    func noRedirectsAndTruncatedLog() throws {
        let target = try WebhookReceiver()
        let long = String(repeating: "x", count: 10_000)
        let receiver = try WebhookReceiver(script: [.status(302, headers: ["Location": target.url], body: long)])
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url)])
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])
        #expect(harness.waitForDeliveries { $0.first?.state == .delivered })
        #expect(target.requests.isEmpty)
        let delivery = try #require(try harness.outbox.deliveries().first)
        let first = try #require(try harness.outbox.attempts(deliveryID: delivery.id).first)
        #expect(first.statusCode == 302)
        #expect(first.result == .failure)
        let logged = try #require(first.responseBody)
        #expect(logged.utf8.count <= 2_048 + 3)
        #expect(logged.hasSuffix("…"))
    }

    @Test("Pending deliveries resume from the same database file after a restart")
    func resumesAfterRestart() throws {
        let receiver = try WebhookReceiver()
        let directory = try TemporaryDirectory()
        let webhook = Fixture.webhook(id: 1, url: receiver.url)
        do {
            // The first process enqueues and goes away before sending anything.
            let first = try Harness(webhooks: [webhook], directory: directory)
            try first.enqueue([Fixture.event(call: "A", sequence: 1), Fixture.event(call: "A", sequence: 2),
                               Fixture.event(call: "B", sequence: 1)])
        }
        #expect(receiver.requests.isEmpty)
        let second = try Harness(webhooks: [webhook], directory: directory)
        second.service.start()
        #expect(receiver.wait { $0.count == 3 })
        #expect(second.waitForDeliveries { $0.count == 3 && $0.allSatisfy { $0.state == .delivered } })
        let ids = receiver.requests.compactMap { $0.header("webhook-id") }
        #expect(ids.filter { $0.hasPrefix("evt_A") } == ["evt_A_1", "evt_A_2"])
    }

    @Test("Stopping leaves what could not finish in the outbox, and the next start sends it")
    func gracefulStop() throws {
        let receiver = try WebhookReceiver(script: [.delayed(milliseconds: 2_000, .ok)])
        let directory = try TemporaryDirectory()
        let webhook = Fixture.webhook(id: 1, url: receiver.url)
        do {
            let first = try Harness(webhooks: [webhook], directory: directory)
            first.service.start()
            try first.enqueue([Fixture.event(call: "A", sequence: 1)])
            receiver.waitForRequests(count: 1)
            #expect(first.service.stop(timeout: .milliseconds(200)))
            #expect(try first.outbox.deliveries().first?.state == .pending)
        }
        let second = try Harness(webhooks: [webhook], directory: directory)
        second.service.start()
        #expect(second.waitForDeliveries { $0.first?.state == .delivered })
        #expect(receiver.requests.count == 2)
        #expect(Set(receiver.requests.compactMap { $0.header("webhook-id") }) == ["evt_A_1"])
    }

    @Test("Stopping waits for an attempt in flight when it finishes within the bound")
    func stopFinishesInFlight() throws {
        let receiver = try WebhookReceiver(script: [.delayed(milliseconds: 300, .ok)])
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url)])
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])
        receiver.waitForRequests(count: 1)
        #expect(harness.service.stop(timeout: .seconds(5)))
        #expect(try harness.outbox.deliveries().first?.state == .delivered)
    }

    @Test("A dead letter can be redelivered by id")
    func redeliversFailedDelivery() throws {
        let receiver = try WebhookReceiver(script: [.status(500), .status(500)])
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url)],
                                  configuration: Fixture.configuration(policy: Fixture.policy([50])))
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])
        #expect(harness.waitForDeliveries { $0.first?.state == .failed })
        let id = try #require(try harness.outbox.deliveries().first?.id)
        #expect(try harness.service.redeliver(deliveryID: id))
        #expect(harness.waitForDeliveries { $0.first?.state == .delivered })
        #expect(try harness.outbox.attempts(deliveryID: id).map(\.statusCode) == [500, 500, 200])
        #expect(try harness.service.redeliver(deliveryID: 12_345) == false)
    }

    @Test("A redelivery requested by another process is picked up by the running service")
    func picksUpRedeliveryFromOtherProcess() throws {
        let receiver = try WebhookReceiver(script: [.status(500)])
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url)],
                                  configuration: Fixture.configuration(policy: Fixture.policy([])))
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])
        #expect(harness.waitForDeliveries { $0.first?.state == .failed })
        let id = try #require(try harness.outbox.deliveries().first?.id)
        // The CLI opens its own connection to the same file.
        let cli = try Outbox(path: harness.directory.file("events.sqlite"))
        #expect(try cli.redeliver(deliveryID: id, nowMilliseconds: Int64(Date().timeIntervalSince1970 * 1000)) != nil)
        #expect(harness.waitForDeliveries { $0.first?.state == .delivered })
    }

    @Test("A webhook failing for the configured time is disabled, and can be re-enabled")
    func autoDisablesAfterFailingTooLong() throws {
        let healthy = Locked(false)
        let receiver = try WebhookReceiver { _ in healthy.value ? .ok : .status(503) }
        let harness = try Harness(webhooks: [Fixture.webhook(id: 9, url: receiver.url)],
                                  configuration: Fixture.configuration(
                                      policy: Fixture.policy(Array(repeating: 100, count: 50),
                                                             disableAfter: .milliseconds(400))))
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])
        #expect(receiver.wait { _ in !harness.disabled.value.isEmpty })
        #expect(harness.disabled.value.first?.1.contains("failed for") == true)
        #expect(harness.logs.messages.contains("webhook disabled"))
        let countAtDisable = receiver.requests.count
        #expect(receiver.wait(timeout: .milliseconds(400)) { $0.count > countAtDisable } == false)
        healthy.withLock { $0 = true }
        harness.webhooks.setActive(9, true)
        harness.service.webhooksChanged()
        #expect(harness.waitForDeliveries { $0.first?.state == .delivered })
    }

    @Test("Finished deliveries older than the retention are purged from the log; pending ones stay")
    func purgesOldDeliveries() throws {
        let receiver = try WebhookReceiver()
        var configuration = Fixture.configuration()
        configuration.logRetention = .milliseconds(1)
        configuration.purgeIntervalMilliseconds = 100
        var inactive = Fixture.webhook(id: 2, url: receiver.url)
        inactive.isActive = false  // its delivery is held, pending, for as long as the test runs
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: receiver.url), inactive],
                                  configuration: configuration)
        harness.service.start()
        try harness.enqueue([Fixture.event(call: "A", sequence: 1)])
        receiver.waitForRequests(count: 1)
        #expect(harness.waitForDeliveries { $0.map(\.webhookID) == [2] })
        #expect(try harness.outbox.deliveries().first?.state == .pending)
    }

    @Test("Many calls to many webhooks are all delivered once each, in per-call order")
    func manyDeliveries() throws {
        let receivers = try (0..<3).map { _ in try WebhookReceiver() }
        let harness = try Harness(webhooks: receivers.enumerated().map { Fixture.webhook(id: Int64($0 + 1), url: $1.url) })
        harness.service.start()
        let events = (1...50).flatMap { call in (1...4).map { Fixture.event(call: "C\(call)", sequence: $0) } }
        try harness.enqueue(events)
        for receiver in receivers {
            #expect(receiver.wait(timeout: .seconds(20)) { $0.count >= 200 })
            let ids = receiver.requests.compactMap { $0.header("webhook-id") }
            #expect(Set(ids).count == 200)
            for call in 1...50 {
                #expect(ids.filter { $0.hasPrefix("evt_C\(call)_") } == (1...4).map { "evt_C\(call)_\($0)" })
            }
        }
        #expect(harness.waitForDeliveries { $0.count == 600 && $0.allSatisfy { $0.state == .delivered } })
        let metrics = harness.service.metrics()
        #expect(metrics.attemptsByOutcome["succeeded"] == 600)
        #expect(metrics.latencyCounts.reduce(0, +) == 600)
    }
}
