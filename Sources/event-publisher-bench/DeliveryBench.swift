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
///
/// With `--ref-bin`, `curl-multi-post` runs against the same sink at the same concurrency and count
/// before each of `--reps` repetitions; the ratio is the median of the per-repetition ratios.
func deliveryBench(_ args: Arguments) {
    let url = args.string("url")
    let total = args.int("requests", 30_000)
    let concurrency = args.int("concurrency", 64)
    let reps = args.int("reps", 3)
    var ours: [Double] = []
    var oursCPU: [Double] = []
    var references: [Double] = []
    var referenceCPU: [Double] = []
    var last: [(String, String)] = []
    // The sink's CPU per request on each side (`--sink-pid`): it shares the 2 cores with the sender.
    let sinkPID = args.options["sink-pid"].flatMap { Int($0) }
    var sinkOurs: [Double] = []
    var sinkReference: [Double] = []
    func sinkCPU() -> UInt64? { sinkPID.flatMap(otherProcessCPUNanoseconds) }
    for _ in 0..<reps {
        if let binary = args.options["ref-bin"] {
            let cpu0 = childrenCPUNanoseconds()
            let sink0 = sinkCPU()
            let lines = runTool(binary, ["--url", url, "-c", String(concurrency), "-n", String(total)])
            if let sink0, let sink1 = sinkCPU() { sinkReference.append(Double(sink1 - sink0) / 1e3 / Double(total)) }
            referenceCPU.append(Double(childrenCPUNanoseconds() - cpu0) / 1e3 / Double(total))
            guard let line = lines.first(where: { $0["req_per_s"] != nil }), let rate = Double(line["req_per_s"]!),
                  line["ok"] == String(total) else { fail("curl-multi-post: \(lines)") }
            references.append(rate)
        }
        let sink0 = sinkCPU()
        let (rate, pairs) = deliveryRun(args)
        if let sink0, let sink1 = sinkCPU() { sinkOurs.append(Double(sink1 - sink0) / 1e3 / Double(total)) }
        ours.append(rate)
        oursCPU.append(Double(pairs.first { $0.0 == "cpu_us_per_delivery" }?.1 ?? "") ?? .nan)
        last = pairs
    }
    var pairs = last
    pairs.removeAll { $0.0 == "cpu_us_per_delivery" }
    pairs.append(("cpu_us_per_delivery", fmt(median(oursCPU), 1)))
    pairs.append(("deliveries_per_s", fmt(median(ours))))
    pairs.append(("all_deliveries_per_s", ours.map { fmt($0) }.joined(separator: ",")))
    if !references.isEmpty {
        pairs.append(("ref_requests_per_s", fmt(median(references))))
        pairs.append(("all_ref_requests_per_s", references.map { fmt($0) }.joined(separator: ",")))
        pairs.append(("ratio", fmt(median(zip(ours, references).map { $0 / $1 }), 3)))
        pairs.append(("ref_cpu_us_per_request", fmt(median(referenceCPU), 1)))
        // Deliveries per CPU second against requests per CPU second (both processes' own CPU).
        pairs.append(("cpu_ratio", fmt(median(referenceCPU) / median(oursCPU), 3)))
    }
    if !sinkOurs.isEmpty {
        pairs.append(("sink_cpu_us_per_delivery", fmt(median(sinkOurs), 1)))
        if !sinkReference.isEmpty { pairs.append(("sink_cpu_us_per_ref_request", fmt(median(sinkReference), 1))) }
    }
    printResult("delivery", pairs)
}

func deliveryRun(_ args: Arguments) -> (Double, [(String, String)]) {
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

    let events = benchEvents(total: total, calls: calls, bodySize: bodySize)
    let bodyBytes = events.first.map { $0.encodedJSON().count } ?? 0

    // `--separate`: enqueue everything first (worker not started), then time the sending alone
    // (the worker resumes the pending rows at start, as after a restart).
    let separate = args.options["separate"] != nil
    if !separate { service.start() }
    let cpu0 = processCPUNanoseconds()
    var t0 = monotonicNanoseconds()
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
    let enqueueStart = t0
    let cpuEnqueued = processCPUNanoseconds()
    if separate {
        t0 = monotonicNanoseconds()
        service.start()
    }
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
    let cpuUsed = processCPUNanoseconds() - cpu0
    let metrics = service.metrics()
    service.stop(timeout: .seconds(5))
    // Honesty check, outside the timed region: the outbox in SQLite says every delivery is
    // delivered, with an attempt row for each (the clock stopped at the last 2xx; the worker stores
    // attempts in batches, the last one at most ~5 ms later, and `stop` stores what is left).
    let stored: OutboxCounts
    let attemptRows: Int64
    do {
        stored = try outbox.counts()
        attemptRows = try outbox.attemptCount()
    } catch {
        fail("reading the outbox back: \(error)")
    }
    guard stored.delivered == total, stored.pending == 0, attemptRows >= Int64(total) else {
        fail("the outbox does not match the counters: \(stored), \(attemptRows) attempt rows, \(succeeded) successes")
    }
    let secs = Double(t1 - t0) / 1e9
    let failures = metrics.attemptsByOutcome.filter { $0.key != "succeeded" }.values.reduce(0, +)
    try? FileManager.default.removeItem(atPath: dir)
    guard succeeded >= UInt64(total) else { fail("delivered \(succeeded) of \(total)") }
    return (Double(succeeded) / secs, [
        ("requests", String(total)), ("delivered", String(succeeded)),
        ("extra_successes", String(succeeded - UInt64(total))), ("other_outcomes", String(failures)),
        ("stored_delivered", String(stored.delivered)), ("stored_attempts", String(attemptRows)),
        ("concurrency", String(concurrency)), ("calls", String(calls)), ("body_bytes", String(bodyBytes)),
        ("batch", String(batch)), ("mode", separate ? "enqueue-then-send" : "overlapped"),
        ("enqueue_secs", fmt(Double(tEnqueued - enqueueStart) / 1e9, 3)),
        ("enqueued_per_s", fmt(Double(enqueued) / (Double(tEnqueued - enqueueStart) / 1e9))), ("secs", fmt(secs, 3)),
        ("cpu_us_per_delivery", fmt(Double(cpuUsed) / 1e3 / Double(max(1, succeeded)), 1)),
        ("cpu_us_enqueue_per_event", separate ? fmt(Double(cpuEnqueued - cpu0) / 1e3 / Double(total), 1) : "n/a"),
        ("cpu_us_send_per_delivery",
         separate ? fmt(Double(cpuUsed - (cpuEnqueued - cpu0)) / 1e3 / Double(max(1, succeeded)), 1) : "n/a"),
        ("mean_attempt_ms", fmt(metrics.latencySum / Double(max(1, metrics.latencyCounts.reduce(0, +))) * 1000, 2)),
    ])
}

/// `delivery-storage`: the durable part of a delivery alone, with no HTTP: the same events as
/// `delivery` enqueued through `DeliveryService` (JSON encoding + outbox transaction of `--batch`
/// events), then each delivery recorded as a first-try success through `Outbox.record` in batches of
/// `--record-batch` (as the recorder thread does), and the WAL checkpoints this causes. Prints the
/// process CPU per delivery: what SQLite durability costs before any request is made, next to the
/// whole CPU per request of `curl-multi-post`.
func deliveryStorageBench(_ args: Arguments) {
    let total = args.int("requests", 30_000)
    let calls = args.int("calls", 1_000)
    let bodySize = args.int("body-size", 1_024)
    let batch = args.int("batch", 200)
    let recordBatch = args.int("record-batch", 64)
    let reps = args.int("reps", 3)
    var enqueueCPU: [Double] = []
    var recordCPU: [Double] = []
    var totalCPU: [Double] = []
    for rep in 0..<reps {
        let dir = args.string("dir", NSTemporaryDirectory() + "ep-bench-storage") + "-\(rep)"
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let outbox: Outbox
        do { outbox = try Outbox(path: dir + "/outbox.sqlite") } catch { fail("outbox: \(error)") }
        let hook = Webhook(id: 1, name: "sink", isActive: true, url: "http://127.0.0.1:9/hook", subscribesToAllEvents: true)
        // Never started: the enqueued rows only pile up in its mailbox.
        let service = DeliveryService(outbox: outbox, webhooks: { @Sendable in [hook] },
                                      logger: Logger(label: "bench.storage", level: .error))
        let events = benchEvents(total: total, calls: calls, bodySize: bodySize)
        var ids: [Int64] = []
        let cpu0 = processCPUNanoseconds()
        do {
            var start = 0
            while start < total {
                let end = min(start + batch, total)
                _ = try service.enqueue(Array(events[start..<end])) { _ in [hook] }
                start = end
            }
            let cpu1 = processCPUNanoseconds()
            enqueueCPU.append(Double(cpu1 - cpu0) / 1e3 / Double(total))
            ids = try outbox.pendingDeliveries().map(\.id).sorted()
            let cpu2 = processCPUNanoseconds()
            start = 0
            while start < ids.count {
                let end = min(start + recordBatch, ids.count)
                try outbox.record(ids[start..<end].map {
                    DeliveryAttemptReport(deliveryID: $0, attempt: 1, startedAt: 1, latencyMilliseconds: 1,
                                          statusCode: 200, responseBody: nil, error: nil, result: .success,
                                          newState: .delivered, nextAttemptAt: nil)
                }, nowMilliseconds: 2)
                start = end
            }
            let cpu3 = processCPUNanoseconds()
            recordCPU.append(Double(cpu3 - cpu2) / 1e3 / Double(total))
            usleep(300_000)  // lets the background checkpoint of the last commits finish
            let cpu4 = processCPUNanoseconds()
            totalCPU.append(Double((cpu1 - cpu0) + (cpu4 - cpu2)) / 1e3 / Double(total))
            guard try outbox.counts().delivered == total else { fail("not every delivery was recorded") }
        } catch {
            fail("storage run: \(error)")
        }
        try? FileManager.default.removeItem(atPath: dir)
    }
    printResult("delivery_storage", [
        ("requests", String(total)), ("calls", String(calls)), ("batch", String(batch)),
        ("record_batch", String(recordBatch)),
        ("enqueue_cpu_us_per_delivery", fmt(median(enqueueCPU), 1)),
        ("record_cpu_us_per_delivery", fmt(median(recordCPU), 1)),
        ("cpu_us_per_delivery", fmt(median(totalCPU), 1)),
        ("all_cpu_us_per_delivery", totalCPU.map { fmt($0, 1) }.joined(separator: ",")),
    ])
}

/// `total` events of about `bodySize` bytes of JSON, round-robin over `calls` calls (a padding field
/// fills the envelope up), as `curl-multi-post` posts 1 KB bodies.
func benchEvents(total: Int, calls: Int, bodySize: Int) -> [CallEvent] {
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
    return (0..<total).map(event)
}
