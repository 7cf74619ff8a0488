import SQLite

extension Outbox {
    /// The request bodies of `eventIDs` (ids not in the outbox are absent), read in one statement per
    /// 500 ids: the delivery worker loads the bodies of everything it is about to send at once
    /// (a restart backlog, retries) instead of one `SELECT` per attempt.
    public func bodies(eventIDs: [String]) throws -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        result.reserveCapacity(eventIDs.count)
        var start = 0
        while start < eventIDs.count {
            let part = eventIDs[start..<min(start + 500, eventIDs.count)]
            start += part.count
            let placeholders = Array(repeating: "?", count: part.count).joined(separator: ", ")
            let rows = try database.read { connection in
                try connection.query("SELECT event_id, body FROM outbox_event WHERE event_id IN (\(placeholders))",
                                     part.map { .text($0) })
            }
            for row in rows {
                guard let id = row[0].string else { continue }
                if case .blob(let bytes) = row[1] {
                    result[id] = bytes
                } else if let text = row[1].string {
                    result[id] = Array(text.utf8)
                }
            }
        }
        return result
    }
}
