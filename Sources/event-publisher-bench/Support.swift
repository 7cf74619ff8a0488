import AMIProtocol
import CallCorrelation
import CallEvents
import Foundation
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Clock, memory

/// Monotonic nanoseconds (CLOCK_MONOTONIC), for durations.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// CPU time of the calling thread, nanoseconds.
@inline(__always)
func threadCPUNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// CPU time of this process (all threads), nanoseconds.
func processCPUNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// CPU time (user + system) of all waited-for children so far, nanoseconds.
/// User + system CPU of another process (from `/proc/PID/stat`, clock ticks of 10 ms), nil when
/// unreadable: the sink's share of a delivery run.
func otherProcessCPUNanoseconds(_ pid: Int) -> UInt64? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return nil }
    // Fields after "(comm)": state is field 3, utime 14 and stime 15 (1-based, as in proc(5)).
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
    let ticks = UInt64(sysconf(Int32(_SC_CLK_TCK)))
    return (user + system) * 1_000_000_000 / max(ticks, 1)
}

func childrenCPUNanoseconds() -> UInt64 {
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    func ns(_ t: timeval) -> UInt64 { UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_usec) * 1_000 }
    return ns(usage.ru_utime) + ns(usage.ru_stime)
}

/// Wall-clock nanoseconds (CLOCK_REALTIME), comparable with Python's `time.time_ns()`.
func wallNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// `VmRSS` and `VmHWM` of a process from /proc (KiB), nil when unreadable.
func memoryKiB(pid: String = "self") -> (rss: Int, hwm: Int)? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    var rss = -1, hwm = -1
    for line in text.split(separator: "\n") {
        if line.hasPrefix("VmRSS:") { rss = Int(line.split(separator: " ")[1]) ?? -1 }
        if line.hasPrefix("VmHWM:") { hwm = Int(line.split(separator: " ")[1]) ?? -1 }
    }
    return rss >= 0 ? (rss, hwm) : nil
}

func mib(_ kib: Int) -> String { String(format: "%.1f", Double(kib) / 1024) }

// MARK: - Output

/// One result line: `RESULT bench=<name> key=value …` (the table command reads these back).
func result(_ bench: String, _ pairs: KeyValuePairs<String, String>) {
    var line = "RESULT bench=\(bench)"
    for (key, value) in pairs { line += " \(key)=\(value)" }
    print(line)
    fflush(nil)
}

func note(_ text: String) {
    FileHandle.standardError.write(Data(("bench: " + text + "\n").utf8))
}

func fail(_ text: String) -> Never {
    note("error: " + text)
    exit(1)
}

// MARK: - Arguments

struct Arguments {
    var positional: [String] = []
    var options: [String: String] = [:]

    init(_ args: ArraySlice<String>) {
        var iterator = args.makeIterator()
        while let arg = iterator.next() {
            if arg.hasPrefix("--") {
                let name = String(arg.dropFirst(2))
                if let eq = name.firstIndex(of: "=") {
                    options[String(name[..<eq])] = String(name[name.index(after: eq)...])
                } else {
                    options[name] = iterator.next() ?? ""
                }
            } else {
                positional.append(arg)
            }
        }
    }

    func string(_ name: String, _ fallback: String? = nil) -> String {
        if let value = options[name] { return value }
        if let fallback { return fallback }
        fail("missing --\(name)")
    }

    func int(_ name: String, _ fallback: Int) -> Int {
        guard let text = options[name] else { return fallback }
        guard let value = Int(text.replacingOccurrences(of: "_", with: "")) else { fail("--\(name) wants a number") }
        return value
    }

    func double(_ name: String, _ fallback: Double) -> Double {
        guard let text = options[name] else { return fallback }
        guard let value = Double(text) else { fail("--\(name) wants a number") }
        return value
    }
}

// MARK: - Captures

func readFile(_ path: String) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    return [UInt8](data)
}

/// The soak capture: the project's copy, else the shared one.
func defaultCapturePath() -> String {
    let local = "fixtures/ami/17-soak-300-mixed.ami"
    if FileManager.default.fileExists(atPath: local) { return local }
    return "/work/shared/fixtures/ami/17-soak-300-mixed.ami"
}

/// Splits a capture the way `ami-replay-server` does (`load()`): the banner line goes, the rest is
/// split at CRLF CRLF, `Response:` messages are dropped, each message keeps its closing CRLF CRLF.
/// The index of a message here is the `index` column of the server's `--log-sent` file.
func replayMessages(_ bytes: [UInt8]) -> [[UInt8]] {
    var data = bytes[...]
    let bannerPrefix = Array("Asterisk Call Manager".utf8)
    if data.starts(with: bannerPrefix), let newline = data.firstIndex(of: 0x0A) {
        data = data[(newline + 1)...]
    }
    var messages: [[UInt8]] = []
    var start = data.startIndex
    let end = data.endIndex
    let responsePrefix = Array("Response:".utf8)
    func add(_ lower: Int, _ upper: Int) {
        var a = lower, b = upper
        while a < b, data[a] == 0x0D || data[a] == 0x0A { a += 1 }
        while b > a, data[b - 1] == 0x0D || data[b - 1] == 0x0A { b -= 1 }
        guard a < b else { return }
        let slice = data[a..<b]
        if slice.starts(with: responsePrefix) { return }
        messages.append(Array(slice) + [0x0D, 0x0A, 0x0D, 0x0A])
    }
    var index = start
    while index + 3 < end {
        if data[index] == 0x0D && data[index + 1] == 0x0A && data[index + 2] == 0x0D && data[index + 3] == 0x0A {
            add(start, index)
            index += 4
            start = index
        } else {
            index += 1
        }
    }
    add(start, end)
    return messages
}

/// `ami-replay-server`'s per-pass id rewrite: from pass 1 on, every value after `…niqueid: `,
/// `…inkedid: `, `…niqueID: `, `…inkedID: ` gets the prefix `r<k>-`, so calls of different passes
/// stay distinct.
func rewriteIDs(_ input: [UInt8], pass: Int, into output: inout [UInt8]) {
    output.removeAll(keepingCapacity: true)
    guard pass > 0 else { output.append(contentsOf: input); return }
    let prefix = Array("r\(pass)-".utf8)
    output.reserveCapacity(input.count + input.count / 16)
    input.withUnsafeBufferPointer { buf in
        let n = buf.count
        var copied = 0
        var i = 8
        while i + 1 < n {
            // Find ": " preceded by "niqueid"/"inkedid" (last letters "id"/"ID").
            if buf[i] == 0x3A && buf[i + 1] == 0x20 {
                let d = buf[i - 1], c = buf[i - 2]
                if (d == 0x64 && c == 0x69) || (d == 0x44 && c == 0x49) {  // "id" / "ID"
                    let w0 = buf[i - 7], w1 = buf[i - 6], w2 = buf[i - 5], w3 = buf[i - 4], w4 = buf[i - 3]
                    let nique = w0 == 0x6E && w1 == 0x69 && w2 == 0x71 && w3 == 0x75 && w4 == 0x65  // "nique"
                    let inked = w0 == 0x69 && w1 == 0x6E && w2 == 0x6B && w3 == 0x65 && w4 == 0x64  // "inked"
                    if nique || inked {
                        output.append(contentsOf: UnsafeBufferPointer(rebasing: buf[copied..<(i + 2)]))
                        output.append(contentsOf: prefix)
                        copied = i + 2
                    }
                }
                i += 2
            } else {
                i += 1
            }
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: buf[copied..<n]))
    }
}

/// Messages that are events, and the `Timestamp:` span of a capture (first and last, µs).
func captureFacts(_ bytes: [UInt8]) -> (messages: Int, events: Int, firstMicros: Int64, lastMicros: Int64) {
    var decoder = AMIFrameDecoder()
    decoder.feed(bytes)
    var messages = 0, events = 0
    var first: Int64 = .max, last: Int64 = .min
    for frame in decoder.finish() {
        guard case .message(let message) = frame else { continue }
        messages += 1
        if message.eventName != nil { events += 1 }
        if let instant = CorrelationSession.stampedInstant(of: message) {
            first = min(first, instant.microseconds)
            last = max(last, instant.microseconds)
        }
    }
    return (messages, events, first == .max ? 0 : first, last == .min ? 0 : last)
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func fmt(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }
