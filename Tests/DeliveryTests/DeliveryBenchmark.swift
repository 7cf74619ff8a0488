import CallEvents
import Delivery
import Foundation
import Storage
import Testing
import Webhooks

/// Throughput of the whole path (durable outbox → worker → libcurl → receiver), by hand only:
/// `DELIVERY_BENCH_URL=http://127.0.0.1:18081/hook DELIVERY_BENCH_EVENTS=20000 swift test --filter DeliveryBenchmark`
/// against `../shared/bench/webhook-sink`. Prints figures; asserts only that everything arrived.
@Suite("Delivery benchmark")
struct DeliveryBenchmark {
    static let url = ProcessInfo.processInfo.environment["DELIVERY_BENCH_URL"]

    @Test("Deliveries per second to an external sink", .enabled(if: DeliveryBenchmark.url != nil))
    func throughput() throws {
        let environment = ProcessInfo.processInfo.environment
        let count = Int(environment["DELIVERY_BENCH_EVENTS"] ?? "") ?? 10_000
        let calls = Int(environment["DELIVERY_BENCH_CALLS"] ?? "") ?? 200
        let batch = Int(environment["DELIVERY_BENCH_BATCH"] ?? "") ?? 20
        let perWebhook = Int(environment["DELIVERY_BENCH_CONCURRENCY"] ?? "") ?? 16
        let retries = (environment["DELIVERY_BENCH_RETRY_MS"] ?? "200,500,1000,2000,5000").split(separator: ",")
            .compactMap { Int($0) }
        let configuration = DeliveryConfiguration(
            policy: RetryPolicy(schedule: retries.map { .milliseconds($0) }, jitterFraction: 0.2),
            limits: DeliveryLimits(connectTimeoutMilliseconds: 2_000, totalTimeoutMilliseconds: 3_000),
            maxInFlightPerWebhook: perWebhook, userAgent: "event-publisher/bench")
        let harness = try Harness(webhooks: [Fixture.webhook(id: 1, url: try #require(Self.url))],
                                  configuration: configuration)
        // One call's events follow each other; `calls` calls run side by side.
        let events = (0..<count).map { Fixture.event(call: "bench\($0 % calls)", sequence: $0 / calls + 1) }
        // DELIVERY_BENCH_PREFILL=1: fill the outbox first, then time only the sending (a restart backlog).
        let prefill = environment["DELIVERY_BENCH_PREFILL"] == "1"
        var start = ContinuousClock.now
        if !prefill { harness.service.start() }
        var enqueueTime = Duration.zero
        for chunk in stride(from: 0, to: events.count, by: batch) {
            let t0 = ContinuousClock.now
            try harness.enqueue(Array(events[chunk..<min(chunk + batch, events.count)]))
            enqueueTime += ContinuousClock.now - t0
        }
        let enqueued = ContinuousClock.now - start
        if prefill {
            start = ContinuousClock.now
            harness.service.start()
        }
        // Poll the in-memory counters, not SQLite, so the measurement does not compete for the outbox.
        let deadline = ContinuousClock.now + .seconds(600)
        var done = false
        while ContinuousClock.now < deadline {
            let outcomes = harness.service.metrics().attemptsByOutcome
            if (outcomes["succeeded"] ?? 0) + (outcomes["failed"] ?? 0) >= UInt64(count) {
                done = true
                break
            }
            usleep(2_000)
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let metrics = harness.service.metrics()
        print("""
            delivery-bench: events=\(count) calls=\(calls) batch=\(batch) per-webhook=\(perWebhook) \
            enqueue-total=\(enqueueTime) enqueue-wall=\(enqueued) all-settled=\(elapsed) \
            throughput=\(Int(Double(count) / seconds))/s outcomes=\(metrics.attemptsByOutcome.sorted { $0.key < $1.key })
            """)
        #expect(done)
    }
}
