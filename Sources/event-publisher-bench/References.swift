import Foundation

/// Runs a reference tool and returns its `key=value` output lines as dictionaries.
func runTool(_ path: String, _ arguments: [String]) -> [[String: String]] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    do { try process.run() } catch { fail("cannot run \(path): \(error)") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { fail("\(path) exited with \(process.terminationStatus)") }
    return String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
        var pairs: [String: String] = [:]
        for token in line.split(separator: " ") {
            guard let eq = token.firstIndex(of: "=") else { continue }
            pairs[String(token[..<eq])] = String(token[eq...].dropFirst())
        }
        return pairs
    }
}

/// One run of `ami-scan-ref --mem --repeat N`: wall rate (the tool's own timing, summed over the
/// passes), CPU rate (user+system CPU of the child, file loading included, so slightly pessimistic
/// for the reference) and MB/s.
struct ScanReferenceRun {
    var eventsPerSecond: Double
    var cpuEventsPerSecond: Double
    var megabytesPerSecond: Double
    var eventsPerPass: Int
}

func runScanReference(binary: String, path: String, repeats: Int) -> ScanReferenceRun {
    let cpu0 = childrenCPUNanoseconds()
    let lines = runTool(binary, ["--mem", "--repeat", String(repeats), path]).filter { $0["events"] != nil }
    let cpu = Double(childrenCPUNanoseconds() - cpu0) / 1e9
    guard !lines.isEmpty else { fail("no output from \(binary)") }
    let events = lines.compactMap { Double($0["events"]!) }.reduce(0, +)
    let bytes = lines.compactMap { Double($0["bytes"] ?? "") }.reduce(0, +)
    let secs = lines.compactMap { Double($0["secs"] ?? "") }.reduce(0, +)
    return ScanReferenceRun(eventsPerSecond: events / secs, cpuEventsPerSecond: events / cpu,
                            megabytesPerSecond: bytes / secs / 1e6, eventsPerPass: Int(lines[0]["events"]!) ?? 0)
}

/// `ref-scan`: `ami-scan-ref --mem --repeat N FILE`; median of the passes.
func referenceScan(_ args: Arguments) {
    let binary = args.string("bin")
    let path = args.string("file", defaultCapturePath())
    let repeats = args.int("repeat", 200)
    let lines = runTool(binary, ["--mem", "--repeat", String(repeats), path]).filter { $0["events_per_s"] != nil }
    guard !lines.isEmpty else { fail("no output from \(binary)") }
    let rates = lines.compactMap { Double($0["events_per_s"]!) }
    let mb = lines.compactMap { Double($0["MB_per_s"] ?? "") }
    result("ref_scan", [
        "file": (path as NSString).lastPathComponent, "events_per_pass": lines[0]["events"] ?? "?",
        "repeat": String(repeats), "events_per_s": fmt(median(rates)), "MB_per_s": fmt(median(mb), 1),
    ])
}

/// `ref-curl`: `curl-multi-post --url URL -c C -n N`.
func referenceCurl(_ args: Arguments) {
    let binary = args.string("bin")
    let url = args.string("url")
    let concurrency = args.int("concurrency", 64)
    let requests = args.int("requests", 30_000)
    let lines = runTool(binary, ["--url", url, "-c", String(concurrency), "-n", String(requests)])
    guard let line = lines.first(where: { $0["ok"] != nil }) else { fail("no output from \(binary)") }
    let rate = line["req_per_s"] ?? "?"
    func ms(_ key: String) -> String { Double(line[key] ?? "").map { fmt($0 / 1000, 2) } ?? "?" }
    result("ref_curl", [
        "concurrency": String(concurrency), "requests": line["requests"] ?? "?", "ok": line["ok"] ?? "?",
        "requests_per_s": rate, "p50_ms": ms("p50_us"), "p99_ms": ms("p99_us"),
        "connects": line["connects"] ?? "?",
    ])
}
