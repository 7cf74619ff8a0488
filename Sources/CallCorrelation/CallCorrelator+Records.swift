/// In-place access to stored channel records.
///
/// Why: `ChannelRecord` has ~50 fields, many of them strings and arrays. `let leg =
/// state.channels[id]!` copies all of them (a retain each, and a release each when the copy dies),
/// and `state.channels[id] = leg` hashes the id again and destroys the old copy; these copies were
/// a third of the engine's time. The helpers below hand the stored record itself to a closure
/// (through the dictionary's in-place `_modify` accessor), so only the fields the closure touches
/// are read or written. The closure cannot reach `self` (exclusive access to the state), so
/// callers read what they need inside and act on the rest of the state afterwards.
extension CallCorrelator {
    typealias ChannelIndex = TrackedDictionary<ChannelRecord>.Index

    /// Runs `body` on the stored record of channel `id`; `nil` when the channel is unknown.
    @inline(__always)
    mutating func withChannel<R>(_ id: String, _ body: (inout ChannelRecord) throws -> R) rethrows -> R? {
        guard let index = state.channels.index(forKey: id) else { return nil }
        return try body(&state.channels[valueAt: index])
    }

    /// Runs `body` on the stored record at `index` (valid until a channel is added or removed).
    @inline(__always)
    mutating func withChannel<R>(at index: ChannelIndex, _ body: (inout ChannelRecord) throws -> R) rethrows -> R {
        try body(&state.channels[valueAt: index])
    }

    /// Passes the stored record of channel `id` to `body` to read (borrowed: not copied, not recorded
    /// as changed); `nil` when the channel is unknown.
    @inline(__always)
    mutating func readChannel<R>(_ id: String, _ body: (borrowing ChannelRecord) throws -> R) rethrows -> R? {
        guard let index = state.channels.index(forKey: id) else { return nil }
        return try state.channels.borrowValue(at: index, body)
    }

    /// Runs `body` on the stored record of call `id` in place; `nil` when the call is unknown.
    @inline(__always)
    mutating func withCall<R>(_ id: String, _ body: (inout CallRecord) throws -> R) rethrows -> R? {
        guard let index = state.calls.index(forKey: id) else { return nil }
        return try body(&state.calls[valueAt: index])
    }

    /// Channel ids in creation order. The orders are read once, before sorting: a sort closure
    /// that reads `state` made the optimiser copy the whole engine for each call.
    mutating func sortedByOrder(_ ids: [String]) -> [String] {
        guard ids.count > 1 else { return ids }
        var keyed: [(order: Int, id: String)] = []
        keyed.reserveCapacity(ids.count)
        // Borrowed: `state.channels[id]!.order` copied the whole record for one field.
        for id in ids { keyed.append((readChannel(id, { $0.order })!, id)) }
        keyed.sort { $0.order < $1.order }
        return keyed.map(\.id)
    }
}
