import AMIProtocol
import CallCorrelation
import CallEvents
import Configuration
import Foundation

/// Loads the correlation configuration of a daemon config file (the sample when none is given).
func correlationConfiguration(_ path: String?) -> CorrelationConfiguration {
    guard let path, !path.isEmpty else { return .sample }
    do {
        return try GatewayConfiguration.load(path: path, environment: ["AMI_SECRET": "x", "ADMIN_TOKEN": "x"])
            .correlation
    } catch {
        fail("config \(path): \(error)")
    }
}

/// Ratios of interleaved runs: rep i of ours against the reference run just before it.
struct Interleaved {
    var ours: [Double] = []
    var oursCPU: [Double] = []
    var reference: [ScanReferenceRun] = []

    func pairs(_ extra: KeyValuePairs<String, String> = [:]) -> [(String, String)] {
        var out: [(String, String)] = extra.map { ($0.key, $0.value) }
        out.append(("events_per_s", fmt(median(ours))))
        out.append(("cpu_events_per_s", fmt(median(oursCPU))))
        out.append(("all_events_per_s", ours.map { fmt($0) }.joined(separator: ",")))
        if !reference.isEmpty {
            out.append(("ref_events_per_s", fmt(median(reference.map(\.eventsPerSecond)))))
            out.append(("ref_cpu_events_per_s", fmt(median(reference.map(\.cpuEventsPerSecond)))))
            out.append(("ref_MB_per_s", fmt(median(reference.map(\.megabytesPerSecond)), 1)))
            out.append(("ratio", fmt(median(zip(ours, reference).map { $0 / $1.eventsPerSecond }), 3)))
            out.append(("cpu_ratio", fmt(median(zip(oursCPU, reference).map { $0 / $1.cpuEventsPerSecond }), 3)))
        }
        return out
    }
}

func printResult(_ bench: String, _ pairs: [(String, String)]) {
    var line = "RESULT bench=\(bench)"
    for (key, value) in pairs { line += " \(key)=\(value)" }
    print(line)
    fflush(nil)
}

/// `decode`: AMIFrameDecoder alone on the capture, looped in memory to at least `--min-events`
/// events per repetition, fed in `--chunk`-byte slices as a socket read would deliver them. With
/// `--ref-bin`, `ami-scan-ref --mem` runs on the same file (same number of passes) before each
/// repetition, and the ratios are the medians of the per-repetition ratios.
func decodeBench(_ args: Arguments) {
    let path = args.string("file", defaultCapturePath())
    let minEvents = args.int("min-events", 1_000_000)
    let reps = args.int("reps", 5)
    let chunk = args.int("chunk", 65_536)
    let referenceBinary = args.options["ref-bin"]
    let bytes = readFile(path)
    let facts = captureFacts(bytes)
    let passes = (minEvents + facts.events - 1) / facts.events
    var runs = Interleaved()
    var mbRates: [Double] = []
    var checksum = 0
    for _ in 0..<reps {
        if let referenceBinary {
            runs.reference.append(runScanReference(binary: referenceBinary, path: path, repeats: passes))
        }
        var decoder = AMIFrameDecoder()
        var messages = 0
        let t0 = monotonicNanoseconds()
        let c0 = threadCPUNanoseconds()
        bytes.withUnsafeBufferPointer { buffer in
            for _ in 0..<passes {
                var start = 0
                while start < buffer.count {
                    let end = min(start + chunk, buffer.count)
                    decoder.feed(UnsafeBufferPointer(rebasing: buffer[start..<end]))
                    while let frame = decoder.next() {
                        if case .message(let message) = frame {
                            messages += 1
                            checksum &+= message.count
                        }
                    }
                    start = end
                }
            }
        }
        let cpu = Double(threadCPUNanoseconds() - c0) / 1e9
        let secs = Double(monotonicNanoseconds() - t0) / 1e9
        guard messages == passes * facts.messages else {
            fail("decoded \(messages) messages, expected \(passes * facts.messages)")
        }
        runs.ours.append(Double(passes * facts.events) / secs)
        runs.oursCPU.append(Double(passes * facts.events) / cpu)
        mbRates.append(Double(passes * bytes.count) / secs / 1e6)
    }
    var pairs = runs.pairs(["file": (path as NSString).lastPathComponent, "events": String(passes * facts.events),
                            "passes": String(passes), "reps": String(reps)])
    pairs.append(("MB_per_s", fmt(median(mbRates), 1)))
    pairs.append(("checksum", String(checksum & 0xFFFF)))
    printResult("decode", pairs)
}

/// `correlate`: decode + CallCorrelator on the capture looped to at least `--min-events` events.
///
/// Each pass is rewritten as `ami-replay-server --loops` does (`Uniqueid`/`Linkedid` values get the
/// prefix `r<k>-`, outside the timed region) and its `Timestamp`s are shifted by k × (capture span
/// + 1 s), so the correlator sees a continuous stream of distinct calls, as from a real PBX. The
/// daemon's periodic `expireStale` runs every 10,000 messages (timed). RSS is sampled after every
/// pass (untimed): the figures for "RSS growth over a 1M-event run".
func correlateBench(_ args: Arguments) {
    let path = args.string("file", defaultCapturePath())
    let minEvents = args.int("min-events", 1_000_000)
    let reps = args.int("reps", 3)
    let chunk = args.int("chunk", 65_536)
    let referenceBinary = args.options["ref-bin"]
    let configuration = correlationConfiguration(args.options["config"])
    let bytes = readFile(path)
    let facts = captureFacts(bytes)
    let passes = (minEvents + facts.events - 1) / facts.events
    let shift = facts.lastMicros - facts.firstMicros + 1_000_000
    var runs = Interleaved()
    var produced = 0
    var rssSamples: [(events: Int, kib: Int)] = []
    var passBytes: [UInt8] = []
    var liveAtEnd = 0
    for rep in 0..<reps {
        if let referenceBinary {
            runs.reference.append(runScanReference(binary: referenceBinary, path: path, repeats: passes))
        }
        var decoder = AMIFrameDecoder()
        var correlator = CallCorrelator(configuration: configuration)
        var last = EventInstant(microseconds: 0)
        var messages = 0
        var nanos: UInt64 = 0
        var cpuNanos: UInt64 = 0
        produced = 0
        for pass in 0..<passes {
            rewriteIDs(bytes, pass: pass, into: &passBytes)
            let offset = Int64(pass) * shift
            let t0 = monotonicNanoseconds()
            let c0 = threadCPUNanoseconds()
            passBytes.withUnsafeBufferPointer { buffer in
                var start = 0
                while start < buffer.count {
                    let end = min(start + chunk, buffer.count)
                    decoder.feed(UnsafeBufferPointer(rebasing: buffer[start..<end]))
                    while let frame = decoder.next() {
                        guard case .message(let message) = frame else { continue }
                        messages += 1
                        if let instant = CorrelationSession.stampedInstant(of: message) {
                            last = max(last, EventInstant(microseconds: instant.microseconds + offset))
                        }
                        produced += correlator.process(message, at: last).events.count
                        if messages % 10_000 == 0 { produced += correlator.expireStale(now: last).events.count }
                    }
                    start = end
                }
            }
            cpuNanos += threadCPUNanoseconds() - c0
            nanos += monotonicNanoseconds() - t0
            if rep == 0, let memory = memoryKiB() { rssSamples.append(((pass + 1) * facts.events, memory.rss)) }
        }
        liveAtEnd = correlator.liveCallCount
        runs.ours.append(Double(passes * facts.events) / (Double(nanos) / 1e9))
        runs.oursCPU.append(Double(passes * facts.events) / (Double(cpuNanos) / 1e9))
    }
    // Growth: from the first sample at or after 100k events (warmed up) to the end.
    let warm = rssSamples.first { $0.events >= 100_000 } ?? rssSamples.first ?? (0, 0)
    let end = rssSamples.last ?? (0, 0)
    var pairs = runs.pairs([
        "file": (path as NSString).lastPathComponent, "events": String(passes * facts.events),
        "passes": String(passes), "reps": String(reps), "ids": "rewritten-per-pass",
        "call_events_out": String(produced), "live_calls_at_end": String(liveAtEnd)])
    pairs += [
        ("rss_warm_events", String(warm.events)), ("rss_warm_mib", mib(warm.kib)), ("rss_end_mib", mib(end.kib)),
        ("rss_growth_mib", mib(end.kib - warm.kib)),
        ("rss_samples_mib", rssSamples.map { mib($0.kib) }.joined(separator: ",")),
    ]
    printResult("correlate", pairs)
}

/// `memory-live`: streams a generated capture (many concurrent calls) from disk through decoder +
/// correlator and reports RSS when the number of live calls peaks.
func memoryLiveBench(_ args: Arguments) {
    let path = args.string("file")
    let target = args.int("target-live", 10_000)
    let configuration = correlationConfiguration(args.options["config"])
    guard let file = fopen(path, "rb") else { fail("cannot open \(path)") }
    defer { fclose(file) }
    let baseline = memoryKiB()?.rss ?? 0
    var decoder = AMIFrameDecoder()
    var correlator = CallCorrelator(configuration: configuration)
    // `--track-changes=1`: as the daemon, the engine records changed entries (cleared every 2,000
    // messages, ~0.1 s of the bench's 20,000 events/s; nothing encoded): the hook's cost.
    let tracking = args.options["track-changes"] != nil
    if tracking { correlator.trackStateChanges() }
    var last = EventInstant(microseconds: 0)
    var chunk = [UInt8](repeating: 0, count: 65_536)
    var messages = 0
    var peakLive = 0
    var rssAtPeak = 0
    var rssAtTarget = -1
    var messagesAtTarget = -1
    var lastSampleLive = 0
    let c0 = threadCPUNanoseconds()
    while true {
        let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if count <= 0 { break }
        chunk.withUnsafeBufferPointer { decoder.feed(UnsafeBufferPointer(rebasing: $0[0..<count])) }
        while let frame = decoder.next() {
            guard case .message(let message) = frame else { continue }
            messages += 1
            if let instant = CorrelationSession.stampedInstant(of: message) { last = max(last, instant) }
            _ = correlator.process(message, at: last)
            if messages % 10_000 == 0 { _ = correlator.expireStale(now: last) }
            if tracking && messages % 2_000 == 0 { correlator.clearPendingStateChanges() }
            let live = correlator.liveCallCount
            if live > peakLive {
                peakLive = live
                // Sampling /proc costs ~10 µs: only every 100 new calls.
                if live >= lastSampleLive + 100 || live == target {
                    lastSampleLive = live
                    rssAtPeak = memoryKiB()?.rss ?? 0
                }
            }
            if rssAtTarget < 0 && live >= target {
                rssAtTarget = memoryKiB()?.rss ?? 0
                messagesAtTarget = messages
                if args.options["snapshot-cost"] != nil { snapshotCost(correlator) }
            }
        }
    }
    let cpu = Double(threadCPUNanoseconds() - c0) / 1e9
    let end = memoryKiB()
    result("memory_live", [
        "cpu_events_per_s": fmt(Double(messages) / cpu),
        "file": (path as NSString).lastPathComponent, "messages": String(messages),
        "track_changes": tracking ? "yes" : "no",
        "peak_live_calls": String(peakLive), "peak_live_channels_at_end": String(correlator.liveChannelCount),
        "baseline_rss_mib": mib(baseline),
        "rss_at_target_mib": rssAtTarget >= 0 ? mib(rssAtTarget) : "n/a",
        "messages_at_target": String(messagesAtTarget),
        "rss_at_peak_mib": mib(rssAtPeak), "hwm_mib": mib(end?.hwm ?? 0), "rss_end_mib": mib(end?.rss ?? 0),
    ])
}

/// `memory-live --snapshot-cost`: at the target, what persisting the whole state costs once, as
/// the single JSON blob of earlier builds (`snapshot()`) and as per-entry rows (`stateRows()`, the
/// daemon's full rewrite; its incremental saves write the changed rows only). Raises the HWM.
func snapshotCost(_ correlator: CallCorrelator) {
    let before = memoryKiB()
    let c0 = threadCPUNanoseconds()
    let blob = correlator.snapshot()
    let c1 = threadCPUNanoseconds()
    let afterBlob = memoryKiB()
    let rows = correlator.stateRows()
    let c2 = threadCPUNanoseconds()
    result("snapshot_cost", [
        "live_calls": String(correlator.liveCallCount), "blob_bytes": String(blob.count),
        "blob_ms": fmt(Double(c1 - c0) / 1e6), "blob_hwm_mib": mib(afterBlob?.hwm ?? 0),
        "rss_before_mib": mib(before?.rss ?? 0),
        "rows": String(rows.count), "rows_bytes": String(rows.reduce(0) { $0 + $1.body.count }),
        "rows_ms": fmt(Double(c2 - c1) / 1e6),
    ])
}

/// `correlate-profile`: where the correlator's time goes, per AMI event name (monotonic clock
/// around each `process` call; ~25 ns of clock overhead each). Also the cost of the daemon's
/// per-message `Timestamp` parsing and `eventName` lookup. One pass per `--passes`, ids rewritten.
func correlateProfile(_ args: Arguments) {
    let path = args.string("file", defaultCapturePath())
    let passes = args.int("passes", 8)
    let configuration = correlationConfiguration(args.options["config"])
    let bytes = readFile(path)
    let facts = captureFacts(bytes)
    let shift = facts.lastMicros - facts.firstMicros + 1_000_000
    var decoder = AMIFrameDecoder()
    var correlator = CallCorrelator(configuration: configuration)
    var last = EventInstant(microseconds: 0)
    var passBytes: [UInt8] = []
    var byName: [String: (count: Int, nanos: UInt64, out: Int)] = [:]
    var decodeNanos: UInt64 = 0, stampNanos: UInt64 = 0, nameNanos: UInt64 = 0, messages = 0
    for pass in 0..<passes {
        rewriteIDs(bytes, pass: pass, into: &passBytes)
        let offset = Int64(pass) * shift
        var frames: [AMIFrame] = []
        let d0 = monotonicNanoseconds()
        decoder.feed(passBytes)
        while let frame = decoder.next() { frames.append(frame) }
        decodeNanos += monotonicNanoseconds() - d0
        for frame in frames {
            guard case .message(let message) = frame else { continue }
            messages += 1
            let t0 = monotonicNanoseconds()
            if let instant = CorrelationSession.stampedInstant(of: message) {
                last = max(last, EventInstant(microseconds: instant.microseconds + offset))
            }
            let t1 = monotonicNanoseconds()
            let name = message.eventName ?? "(none)"
            let t2 = monotonicNanoseconds()
            let produced = correlator.process(message, at: last).events.count
            let t3 = monotonicNanoseconds()
            stampNanos += t1 - t0
            nameNanos += t2 - t1
            var entry = byName[name] ?? (0, 0, 0)
            entry.count += 1
            entry.nanos += t3 - t2
            entry.out += produced
            byName[name] = entry
        }
    }
    let total = byName.values.reduce(UInt64(0)) { $0 + $1.nanos }
    print("messages=\(messages) decode_ns_per_msg=\(decodeNanos / UInt64(messages))"
          + " timestamp_ns_per_msg=\(stampNanos / UInt64(messages)) eventName_ns_per_msg=\(nameNanos / UInt64(messages))"
          + " process_ns_per_msg=\(total / UInt64(messages))")
    print("event                      count   share_of_process  ns_each  call_events_out")
    for (name, entry) in byName.sorted(by: { $0.value.nanos > $1.value.nanos }).prefix(25) {
        print(name.padding(toLength: 24, withPad: " ", startingAt: 0),
              String(format: "%8d   %6.1f %%        %7d  %d", entry.count, Double(entry.nanos) / Double(total) * 100,
                     Int(entry.nanos) / entry.count, entry.out))
    }
}

/// `encode`: `CallEvent.encodedJSON` (the webhook body, built on the ingest thread before the
/// outbox commit) on the call events the soak capture yields, `--reps` times over; prints the CPU
/// per event and the mean body size. Not a target of its own: it is part of every delivery's cost.
func encodeBench(_ args: Arguments) {
    let path = args.string("file", defaultCapturePath())
    let reps = args.int("reps", 20)
    let configuration = correlationConfiguration(args.options["config"])
    var decoder = AMIFrameDecoder()
    var correlator = CallCorrelator(configuration: configuration)
    var events: [CallEvent] = []
    var last = EventInstant(microseconds: 0)
    decoder.feed(readFile(path))
    while let frame = decoder.next() {
        guard case .message(let message) = frame else { continue }
        if let instant = CorrelationSession.stampedInstant(of: message) { last = max(last, instant) }
        events.append(contentsOf: correlator.process(message, at: last).events)
    }
    guard !events.isEmpty else { fail("the capture yields no call events") }
    var bytes = 0
    let cpu0 = processCPUNanoseconds()
    for _ in 0..<reps {
        for event in events { bytes &+= event.encodedJSON().count }
    }
    let cpu = processCPUNanoseconds() - cpu0
    let count = events.count * reps
    printResult("encode", [("events", String(events.count)), ("reps", String(reps)),
                           ("mean_body_bytes", String(bytes / count)),
                           ("cpu_us_per_event", fmt(Double(cpu) / 1e3 / Double(count), 2))])
}
