import Foundation

/// `table FILE`: reads the `RESULT` lines of one run and prints one table with the ratios to the
/// references measured in that run.
func printTable(_ args: Arguments) {
    guard let path = args.positional.first, let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        fail("usage: event-publisher-bench table RESULTS-FILE")
    }
    var results: [String: [String: String]] = [:]
    for line in text.split(separator: "\n") where line.hasPrefix("RESULT ") {
        var pairs: [String: String] = [:]
        for token in line.dropFirst(7).split(separator: " ") {
            guard let eq = token.firstIndex(of: "=") else { continue }
            pairs[String(token[..<eq])] = String(token[eq...].dropFirst())
        }
        guard var name = pairs["bench"] else { continue }
        if name == "delivery" || name == "ref_curl", let c = pairs["concurrency"] { name += "_c\(c)" }
        results[name] = pairs
    }
    func value(_ bench: String, _ key: String) -> Double? { results[bench]?[key].flatMap(Double.init) }
    func field(_ bench: String, _ key: String) -> String { results[bench]?[key] ?? "n/a" }
    func count(_ number: Double?) -> String {
        guard let number, number.isFinite else { return "n/a" }
        if number >= 1e6 { return String(format: "%.2f M", number / 1e6) }
        if number >= 1e4 { return String(format: "%.1f k", number / 1e3) }
        return String(format: "%.0f", number)
    }

    func storePerEvent(_ bench: String) -> String {
        guard let bytes = value(bench, "store_bytes"), let count = value(bench, "received_unique"), count > 0 else {
            return "n/a"
        }
        return String(format: "%.0f", bytes / count)
    }
    var rows: [[String]] = [["measurement", "event-publisher", "reference (same run)", "ratio (wall)",
                             "ratio (CPU time)", "target", "met"]]
    func ratioRow(_ bench: String, _ label: String, ours: String, reference: String, referenceName: String,
                  target: Double?, unit: (Double?) -> String = count) {
        let r = value(bench, "ratio")
        let cpu = value(bench, "cpu_ratio")
        var met = target == nil ? "—" : "n/a"
        if let target, let r { met = r >= target ? "yes" : ((cpu ?? 0) >= target ? "CPU only" : "NO") }
        rows.append([label, unit(value(bench, ours)), "\(unit(value(bench, reference))) \(referenceName)",
                     r.map { String(format: "%.2f×", $0) } ?? "n/a", cpu.map { String(format: "%.2f×", $0) } ?? "—",
                     target.map { String(format: "≥ %.2f×", $0) } ?? "—", met])
    }

    ratioRow("decode", "AMI decode, events/s", ours: "events_per_s", reference: "ref_events_per_s",
             referenceName: "ami-scan-ref --mem", target: 0.5)
    if let ours = value("decode", "MB_per_s"), let ref = value("decode", "ref_MB_per_s") {
        rows.append(["AMI decode, MB/s", fmt(ours), "\(fmt(ref)) ami-scan-ref --mem",
                     String(format: "%.2f×", ours / ref), "—", "—", "—"])
    }
    ratioRow("correlate", "decode + correlate, events/s", ours: "events_per_s", reference: "ref_events_per_s",
             referenceName: "ami-scan-ref --mem", target: 0.25)
    for bench in results.keys.filter({ $0.hasPrefix("delivery_c") }).sorted() {
        let c = String(bench.dropFirst("delivery_c".count))
        ratioRow(bench, "delivery (SQLite outbox), deliveries/s, c=\(c)", ours: "deliveries_per_s",
                 reference: "ref_requests_per_s", referenceName: "curl-multi-post", target: 0.7)
    }
    for bench in results.keys.filter({ $0.hasPrefix("delivery_c") }).sorted() where results[bench]?["cpu_us_per_delivery"] != nil {
        let c = String(bench.dropFirst("delivery_c".count))
        rows.append(["delivery c=\(c): CPU µs per delivery: ours / sink",
                     "\(field(bench, "cpu_us_per_delivery")) / \(field(bench, "sink_cpu_us_per_delivery"))",
                     "\(field(bench, "ref_cpu_us_per_request")) / \(field(bench, "sink_cpu_us_per_ref_request")) curl-multi-post / sink",
                     "—", "—", "—", "—"])
    }
    // C durable senders (`delivery-floor`): how far any sender with that outbox SQL can get.
    for schema in ["outbox", "minimal", "lean"] {
        let bench = "delivery_floor_\(schema)"
        guard results[bench] != nil else { continue }
        ratioRow(bench, "C durable sender, schema \(schema) (1 thread), c=\(field(bench, "concurrency"))",
                 ours: "deliveries_per_s", reference: "ref_requests_per_s", referenceName: "curl-multi-post",
                 target: nil)
        rows.append(["C durable sender, schema \(schema): CPU µs per delivery", field(bench, "cpu_us_per_delivery"),
                     "\(field(bench, "ref_cpu_us_per_request")) curl-multi-post", "—", "—", "—", "—"])
    }
    if let storage = results["delivery_storage"] {
        rows.append(["delivery: SQLite outbox alone (no HTTP), CPU µs per delivery",
                     storage["cpu_us_per_delivery"] ?? "n/a",
                     "enqueue \(storage["enqueue_cpu_us_per_delivery"] ?? "?") + record \(storage["record_cpu_us_per_delivery"] ?? "?") + checkpoint",
                     "—", "—", "—", "—"])
    }
    for bench in results.keys.filter({ $0.hasPrefix("e2e_") }).sorted(by: { $0.count < $1.count || ($0.count == $1.count && $0 < $1) }) {
        let rate = bench.dropFirst(4)
        let p99 = value(bench, "p99_ms")
        let lost = value(bench, "lost")
        var met = "n/a"
        if let p99, let lost { met = (lost == 0 && (rate != "1000" || p99 <= 5)) ? "yes" : "NO" }
        rows.append(["end-to-end \(rate) ev/s: p50 / p99 / max ms",
                     "\(field(bench, "p50_ms")) / \(field(bench, "p99_ms")) / \(field(bench, "max_ms"))",
                     "\(field(bench, "expected_webhooks")) webhooks, \(field(bench, "ami_events_sent")) AMI events",
                     "—", "—", rate == "1000" ? "p99 ≤ 5 ms" : "—", met])
        if results[bench]?["ami_to_outbox_p99_ms"] != nil {
            rows.append(["end-to-end \(rate) ev/s: p50 / p99 ms per stage",
                         "\(field(bench, "ami_to_outbox_p50_ms")) / \(field(bench, "ami_to_outbox_p99_ms")) → "
                             + "\(field(bench, "outbox_to_attempt_p50_ms")) / \(field(bench, "outbox_to_attempt_p99_ms")) → "
                             + "\(field(bench, "attempt_to_sink_p50_ms")) / \(field(bench, "attempt_to_sink_p99_ms"))",
                         "AMI→outbox commit → 1st attempt → sink (1 ms resolution)", "—", "—", "—", "—"])
        }
        rows.append(["end-to-end \(rate) ev/s: lost / dup / unexpected",
                     "\(field(bench, "lost")) / \(field(bench, "duplicates")) / \(field(bench, "unexpected"))",
                     "daemon peak RSS \(field(bench, "daemon_hwm_mib")) MiB, SQLite \(storePerEvent(bench)) B/event",
                     "—", "—", "0 lost",
                     lost.map { $0 == 0 ? "yes" : "NO" } ?? "n/a"])
    }
    if let live = results["memory_live"] {
        let rss = Double(live["rss_at_target_mib"] ?? "") ?? Double(live["rss_at_peak_mib"] ?? "")
        rows.append(["RSS at 10k live calls (decode+correlate, peak \(live["peak_live_calls"] ?? "?")), MiB",
                     rss.map { String(format: "%.1f", $0) } ?? "n/a",
                     "baseline \(live["baseline_rss_mib"] ?? "?") MiB", "—", "—", "≤ 100 MiB at 10k",
                     rss.map { $0 <= 100 && (Int(live["peak_live_calls"] ?? "") ?? 0) >= 10_000 ? "yes" : "NO" } ?? "n/a"])
    }
    if let live = results["memory_live"], let rate = Double(live["cpu_events_per_s"] ?? "") {
        let reference = value("correlate", "ref_cpu_events_per_s")
        rows.append(["decode + correlate at ~10k live calls, events/s (CPU time)", count(rate),
                     "\(count(reference)) ami-scan-ref CPU (soak)", "—",
                     reference.map { String(format: "%.2f×", rate / $0) } ?? "—", "—", "—"])
    }
    if let daemon = results["memory_daemon"] {
        let rss = Double(daemon["rss_mib"] ?? "")
        rows.append(["daemon RSS at 10k live calls (event-publisher run), MiB", daemon["rss_mib"] ?? "n/a",
                     "peak \(daemon["hwm_mib"] ?? "?") MiB, \(daemon["messages"] ?? "?") AMI events", "—", "—",
                     "≤ 100 MiB", rss.map { $0 <= 100 ? "yes" : "NO" } ?? "n/a"])
    }
    if let corr = results["correlate"] {
        let growth = Double(corr["rss_growth_mib"] ?? "")
        rows.append(["RSS growth over \(corr["events"] ?? "?") events, MiB",
                     growth.map { String(format: "%+.1f", $0) } ?? "n/a",
                     "\(corr["rss_warm_mib"] ?? "?") → \(corr["rss_end_mib"] ?? "?") MiB", "—", "—", "no growth",
                     growth.map { $0 <= 2 ? "yes" : "NO" } ?? "n/a"])
    }

    let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
    for (index, row) in rows.enumerated() {
        let cells = row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
        print("| " + cells.joined(separator: " | ") + " |")
        if index == 0 { print("|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|") }
    }
}
