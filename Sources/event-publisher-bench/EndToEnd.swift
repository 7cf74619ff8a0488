import AMIProtocol
import CallCorrelation
import CallEvents
import Foundation

/// `e2e-report`: joins what `ami-replay-server --log-sent` sent with what `webhook-sink --record`
/// received.
///
/// The join key is the event id. Event ids are `evt_<call id>_<sequence>` and derive from the input
/// only, so this command replays the very messages the server sent (its `load()` split, its
/// per-pass id rewrite) through the same decoder and correlator (the daemon's configuration file),
/// and notes for every event id the (pass, message index) that caused it. The server's log gives
/// the send time of each (pass, index); the sink's record gives the receive time of each
/// `webhook-id`. Latency = receive − send, both wall clock on this machine. An expected id never
/// received is lost; a received id not expected is counted apart (`unexpected`).
func endToEndReport(_ args: Arguments) {
    let capture = args.string("file", defaultCapturePath())
    let loops = args.int("loops", 1)
    let sentPath = args.string("sent")
    let recordPath = args.string("record")
    let label = args.string("label", "e2e")
    let configuration = correlationConfiguration(args.options["config"])

    // 1. Expected events and their causes.
    let messages = replayMessages(readFile(capture))
    var cause: [String: Int] = [:]  // event id -> pass * messages.count + index
    var decoder = AMIFrameDecoder()
    var correlator = CallCorrelator(configuration: configuration)
    var last = EventInstant(microseconds: 0)
    var rewritten: [UInt8] = []
    for pass in 0..<loops {
        for (index, bytes) in messages.enumerated() {
            rewriteIDs(bytes, pass: pass, into: &rewritten)
            decoder.feed(rewritten)
            while let frame = decoder.next() {
                guard case .message(let message) = frame else { continue }
                if let instant = CorrelationSession.stampedInstant(of: message) {
                    last = max(last, instant)
                }
                for event in correlator.process(message, at: last).events where cause[event.id] == nil {
                    cause[event.id] = pass * messages.count + index
                }
            }
        }
    }

    // 2. Send times: `send_ns conn loop index event uniqueid linkedid`.
    guard let sentText = try? String(contentsOfFile: sentPath, encoding: .utf8) else { fail("cannot read \(sentPath)") }
    var sendNs = [Int64](repeating: -1, count: loops * messages.count)
    var connections: Set<Substring> = []
    var sentCount = 0
    for line in sentText.split(separator: "\n") {
        let cols = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard cols.count >= 4, let ns = Int64(cols[0]), let pass = Int(cols[2]), let index = Int(cols[3]) else { continue }
        connections.insert(cols[1])
        sentCount += 1
        let slot = pass * messages.count + index
        if slot < sendNs.count, sendNs[slot] < 0 { sendNs[slot] = ns }
    }

    // 3. Receive times: `recv_ns conn method path outcome bytes id`.
    guard let recordText = try? String(contentsOfFile: recordPath, encoding: .utf8) else {
        fail("cannot read \(recordPath)")
    }
    var received: [Substring: Int64] = [:]
    var requests = 0, duplicates = 0, non2xx = 0
    for line in recordText.split(separator: "\n") {
        let cols = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard cols.count >= 7, let ns = Int64(cols[0]) else { continue }
        requests += 1
        guard cols[4].hasPrefix("2") else { non2xx += 1; continue }
        if received[cols[6]] != nil { duplicates += 1 } else { received[cols[6]] = ns }
    }

    // 4. Join.
    var latencies: [Double] = []
    var lost = 0, unsent = 0
    for (id, slot) in cause {
        guard let recv = received[Substring(id)] else { lost += 1; continue }
        let sent = sendNs[slot]
        guard sent >= 0 else { unsent += 1; continue }
        latencies.append(Double(recv - sent) / 1e6)
    }
    // 5. Optional stage split from the daemon's outbox (`--stages`: event_id, created_at ms,
    // first attempt started_at ms; millisecond resolution): AMI send → committed to the outbox,
    // committed → first attempt started, attempt started → received by the sink.
    var stagePairs: [(String, String)] = []
    if let stagesPath = args.options["stages"], let text = try? String(contentsOfFile: stagesPath, encoding: .utf8) {
        var toCommit: [Double] = [], toAttempt: [Double] = [], toSink: [Double] = []
        for line in text.split(separator: "\n") {
            let cols = line.split(separator: "\t")
            guard cols.count >= 3, let created = Double(cols[1]), let started = Double(cols[2]),
                  let slot = cause[String(cols[0])], sendNs[slot] >= 0,
                  let recv = received[cols[0]] else { continue }
            let sentMs = Double(sendNs[slot]) / 1e6
            toCommit.append(created - sentMs)
            toAttempt.append(started - created)
            toSink.append(Double(recv) / 1e6 - started)
        }
        for (name, values) in [("ami_to_outbox", toCommit), ("outbox_to_attempt", toAttempt), ("attempt_to_sink", toSink)] {
            let sorted = values.sorted()
            stagePairs.append(("\(name)_p50_ms", fmt(percentile(sorted, 50), 1)))
            stagePairs.append(("\(name)_p99_ms", fmt(percentile(sorted, 99), 1)))
        }
    }
    let unexpectedIDs = received.keys.filter { cause[String($0)] == nil }
    let unexpected = unexpectedIDs.count
    let lostIDs = cause.keys.filter { received[Substring($0)] == nil }
    if !lostIDs.isEmpty { note("\(label): not received: \(lostIDs.sorted().prefix(10).joined(separator: " "))") }
    if !unexpectedIDs.isEmpty {
        note("\(label): received, not expected: \(unexpectedIDs.map(String.init).sorted().prefix(10).joined(separator: " "))")
    }
    latencies.sort()
    let pairs: KeyValuePairs<String, String> = [
        "ami_events_sent": String(sentCount), "connections": String(connections.count),
        "expected_webhooks": String(cause.count), "received_unique": String(received.count),
        "requests": String(requests), "duplicates": String(duplicates), "non2xx": String(non2xx),
        "lost": String(lost), "unexpected": String(unexpected), "cause_not_in_log": String(unsent),
        "p50_ms": fmt(percentile(latencies, 50), 2), "p99_ms": fmt(percentile(latencies, 99), 2),
        "max_ms": fmt(latencies.last ?? .nan, 2),
        "mean_ms": fmt(latencies.isEmpty ? .nan : latencies.reduce(0, +) / Double(latencies.count), 2),
    ]
    var out = pairs.map { ($0.key, $0.value) } + stagePairs
    for token in (args.options["extra"] ?? "").split(separator: " ") {
        guard let eq = token.firstIndex(of: "=") else { continue }
        out.append((String(token[..<eq]), String(token[eq...].dropFirst())))
    }
    printResult(label, out)
}
