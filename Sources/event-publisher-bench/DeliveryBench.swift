import CallEvents
import Delivery
import Foundation
import Observability
import Storage
import Webhooks

/// `delivery`: deliveries/s through the public Delivery API with the durable SQLite outbox.
///
/// `--requests` events spread round-robin over `--calls` calls (so `--concurrency` lanes can be in
/// flight at once: one call's events go in order, one at a time), each with a ~`--body-size`-byte
/// JSON body like `curl-multi-post`'s, one subscribe-all webhook at `--url`. The clock runs from the
/// first `enqueue` (batches of `--batch` events, one transaction each, as the daemon commits one
/// AMI read's events) to the last successful attempt; enqueueing overlaps sending.
func deliveryBench(_ args: Arguments) {
    let url = args.string("url")
    let total = args.int("requests", 30_000)
    let calls = args.int("calls", 1_000)
    let concurrency = args.int("concurrency", 64)
    let bodySize = args.int("body-size", 1_024)
    let batch = args.int("batch", 200)
    let dir = args.string("dir", NSTemporaryDirectory() + "ep-bench-delivery")
    try? FileManager.default.removeItem(atPath: dir)
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let outbox: Outbox
    do { outbox = try Outbox(path: dir + "/outbox.sqlite") } catch { fail("outbox: \(error)") }

    let hook = Webhook(id: 1, name: "sink", isActive: true, url: url, subscribesToAllEvents: true)
    let configuration = DeliveryConfiguration(maxInFlightPerWebhook: concurrency,
                                              maxInFlightTotal: max(concurrency, 1_024))
    let service = DeliveryService(outbox: outbox, webhooks: { @Sendable in [hook] }, configuration: configuration,
                                  logger: Logger(label: "bench.delivery", level: .error))

    // Events: a ~bodySize-byte envelope (the padding field fills it up).
    let base = EventInstant(microseconds: 1_796_415_265_000_000)
    func event(_ index: Int) -> CallEvent {
        let call = index % calls
        let sequence = index / calls + 1
        let callID = "bench-\(call)"
        var data: [String: JSONValue] = ["call_id": .string(callID), "direction": .string("internal"),
                                         "from": .string("1001"), "to": .string("1002")]
        let probe = CallEvent(id: "evt_\(callID)_\(sequence)", type: .callUpdated, timestamp: base, tenant: "main",
                              sequence: sequence, callID: callID, data: .object(data))
        let padding = max(0, bodySize - probe.encodedJSON().count - 14)
        data["padding"] = .string(String(repeating: "x", count: padding))
        return CallEvent(id: probe.id, type: .callUpdated, timestamp: base.adding(seconds: Double(index) / 1000),
                         tenant: "main", sequence: sequence, callID: callID, data: .object(data))
    }
    let events = (0..<total).map(event)
    let bodyBytes = events.first.map { $0.encodedJSON().count } ?? 0

    service.start()
    let t0 = monotonicNanoseconds()
    var enqueued = 0
    do {
        var start = 0
        while start < total {
            let end = min(start + batch, total)
            enqueued += try service.enqueue(Array(events[start..<end])) { _ in [hook] }
            start = end
        }
    } catch {
        fail("enqueue: \(error)")
    }
    let tEnqueued = monotonicNanoseconds()
    var succeeded: UInt64 = 0
    var lastProgress = tEnqueued
    var lastCount: UInt64 = 0
    while true {
        let metrics = service.metrics()
        succeeded = metrics.attemptsByOutcome["succeeded"] ?? 0
        if succeeded >= UInt64(total) { break }
        let now = monotonicNanoseconds()
        if succeeded != lastCount { lastCount = succeeded; lastProgress = now }
        if now - lastProgress > 10_000_000_000 {
            note("delivery stalled at \(succeeded)/\(total): \(metrics.attemptsByOutcome)")
            break
        }
        usleep(500)
    }
    let t1 = monotonicNanoseconds()
    let metrics = service.metrics()
    service.stop(timeout: .seconds(5))
    let secs = Double(t1 - t0) / 1e9
    let failures = metrics.attemptsByOutcome.filter { $0.key != "succeeded" }.values.reduce(0, +)
    result("delivery", [
        "requests": String(total), "delivered": String(succeeded), "other_outcomes": String(failures),
        "concurrency": String(concurrency), "calls": String(calls), "body_bytes": String(bodyBytes),
        "batch": String(batch), "enqueue_secs": fmt(Double(tEnqueued - t0) / 1e9, 3),
        "enqueued_per_s": fmt(Double(enqueued) / (Double(tEnqueued - t0) / 1e9)),
        "secs": fmt(secs, 3), "deliveries_per_s": fmt(Double(succeeded) / secs),
        "mean_attempt_ms": fmt(metrics.latencySum / Double(max(1, metrics.latencyCounts.reduce(0, +))) * 1000, 2),
    ])
    try? FileManager.default.removeItem(atPath: dir)
}
