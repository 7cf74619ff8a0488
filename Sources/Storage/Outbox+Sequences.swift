import SQLite

extension Outbox {
    /// The highest stored sequence of each of `callIDs` (ids with no stored event are absent), for
    /// the ingest pipeline's resync after a restart. Values are bound, never spliced into the SQL.
    public func highestSequences(callIDs: [String]) throws -> [String: Int] {
        var result: [String: Int] = [:]
        var start = 0
        while start < callIDs.count {
            let part = Array(callIDs[start..<min(start + 500, callIDs.count)])
            start += part.count
            let placeholders = Array(repeating: "?", count: part.count).joined(separator: ", ")
            let rows = try database.read { connection in
                try connection.query(
                    "SELECT call_id, MAX(sequence) FROM outbox_event WHERE call_id IN (\(placeholders)) GROUP BY call_id",
                    part.map { .text($0) })
            }
            for row in rows {
                if let id = row[0].string, let sequence = row[1].int { result[id] = sequence }
            }
        }
        return result
    }
}
