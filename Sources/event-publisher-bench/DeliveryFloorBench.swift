import Foundation

/// `delivery-floor`: what a durable sender written in C reaches against `curl-multi-post` in the
/// same run, for each outbox schema of `scripts/durable-post-floor.c` (`--schemas`, default
/// `outbox,minimal,lean`): the loop of `curl-multi-post` plus the outbox's SQL, in one thread.
///
/// It answers "how far can a durable outbox get towards the 0.7× delivery target on this machine",
/// which the `delivery` figure alone cannot: `outbox` is our schema's SQL with no Swift at all,
/// `minimal` the least SQL that still keeps dedup, resume and the delivery log, `lean` two bare
/// rowid tables (durable, but not a usable outbox). Each repetition runs the reference, then every
/// schema; ratios are medians of the per-repetition ratios. CPU per delivery is the child's own.
func deliveryFloorBench(_ args: Arguments) {
    let url = args.string("url")
    let floor = args.string("floor-bin")
    let reference = args.string("ref-bin")
    let total = args.int("requests", 30_000)
    let concurrency = args.int("concurrency", 64)
    let reps = args.int("reps", 3)
    let schemas = args.string("schemas", "outbox,minimal,lean").split(separator: ",").map(String.init)
    var referenceRates: [Double] = []
    var referenceCPU: [Double] = []
    var rates: [String: [Double]] = [:]
    var ratios: [String: [Double]] = [:]
    var cpu: [String: [Double]] = [:]
    for _ in 0..<reps {
        let cpu0 = childrenCPUNanoseconds()
        let lines = runTool(reference, ["--url", url, "-c", String(concurrency), "-n", String(total)])
        referenceCPU.append(Double(childrenCPUNanoseconds() - cpu0) / 1e3 / Double(total))
        guard let line = lines.first(where: { $0["req_per_s"] != nil }), let referenceRate = Double(line["req_per_s"]!),
              line["ok"] == String(total) else { fail("curl-multi-post: \(lines)") }
        referenceRates.append(referenceRate)
        for schema in schemas {
            let output = runTool(floor, [url, String(concurrency), String(total), schema])
            guard let result = output.first(where: { $0["req_per_s"] != nil }), let rate = Double(result["req_per_s"]!),
                  result["ok"] == String(total), let used = Double(result["cpu_us_per_request"] ?? "") else {
                fail("durable-post-floor \(schema): \(output)")
            }
            rates[schema, default: []].append(rate)
            ratios[schema, default: []].append(rate / referenceRate)
            cpu[schema, default: []].append(used)
        }
    }
    for schema in schemas {
        printResult("delivery_floor_\(schema)", [
            ("schema", schema), ("concurrency", String(concurrency)), ("requests", String(total)),
            ("deliveries_per_s", fmt(median(rates[schema] ?? []))),
            ("all_deliveries_per_s", (rates[schema] ?? []).map { fmt($0) }.joined(separator: ",")),
            ("ref_requests_per_s", fmt(median(referenceRates))),
            ("ratio", fmt(median(ratios[schema] ?? []), 3)),
            ("cpu_us_per_delivery", fmt(median(cpu[schema] ?? []), 1)),
            ("ref_cpu_us_per_request", fmt(median(referenceCPU), 1)),
            ("cpu_ratio", fmt(median(referenceCPU) / median(cpu[schema] ?? []), 3)),
        ])
    }
}
