import SQLite

extension Outbox {
    /// The highest stored sequence of each of `callIDs` (ids with no stored event are absent), for
    /// the ingest pipeline's resync after a restart. Values are bound, never spliced into the SQL.
    ///
    /// A call's events are found through the `event_id` primary key: call event ids are
    /// `evt_<call id>_<sequence>` (see `CallEvent.id`), so one call's events form a key range, read
    /// with a range scan per call (a restart adopts at most a few thousand calls). `call_id = ?`
    /// keeps out another call whose id merely starts with this one's followed by `_`. This replaced
    /// an index on `(call_id, sequence)` that cost every enqueue a b-tree insert (`delivery-006`).
    public func highestSequences(callIDs: [String]) throws -> [String: Int] {
        guard !callIDs.isEmpty else { return [:] }
        return try database.read { connection in
            let statement = try connection.cached("""
                SELECT MAX(sequence) FROM outbox_event WHERE event_id >= ? AND event_id < ? AND call_id = ?
                """)
            var result: [String: Int] = [:]
            for callID in Set(callIDs) {
                let range = Self.eventIDRange(callID: callID)
                try statement.bind([.text(range.lowerBound), .text(range.upperBound), .text(callID)])
                defer { statement.reset() }
                if let row = try statement.step(), let sequence = row[0].int { result[callID] = sequence }
            }
            return result
        }
    }

    /// The `event_id` keys of a call's events: every id that starts with `evt_<call id>_` sorts in
    /// `lowerBound ..< upperBound` ("`" is the character after "_"). Other calls' ids can fall in
    /// it too ("1.1_x" in the range of "1.1"), so readers also filter on `call_id`.
    static func eventIDRange(callID: String) -> Range<String> {
        "evt_\(callID)_" ..< "evt_\(callID)`"
    }
}
