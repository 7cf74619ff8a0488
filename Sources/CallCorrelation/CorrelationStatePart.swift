import Foundation

/// One keyed part of ``CorrelationState`` (`channels`, `calls`, …) as incremental persistence sees
/// it: its row kind and the few operations the snapshot code needs, with the value type erased.
///
/// Why a table: tracking, collecting, rewriting and restoring must cover exactly the same parts;
/// with one list (``all``) a part added to the state is persisted everywhere or nowhere, instead of
/// being remembered in four places and forgotten in the fifth.
struct CorrelationStatePart: Sendable {
    /// The row kind: the ``CorrelationState`` property's name (stored in the database; never rename).
    let kind: String
    let setTracking: @Sendable (inout CorrelationState, Bool) -> Void
    let hasChanges: @Sendable (CorrelationState) -> Bool
    let clearChanges: @Sendable (inout CorrelationState) -> Void
    /// Rows of the entries written since the last clear, and deletions of those removed.
    let collectChanges: @Sendable (CorrelationState, inout CorrelationStateChanges) -> Void
    /// A row for every entry.
    let appendAll: @Sendable (CorrelationState, inout [CorrelationStateRow]) -> Void
    /// Decodes one row of this kind into the state.
    let restore: @Sendable (inout CorrelationState, String, Data, JSONDecoder) throws -> Void

    init<Value: Codable & Sendable>(_ kind: String,
                                    _ path: any WritableKeyPath<CorrelationState, TrackedDictionary<Value>> & Sendable) {
        self.kind = kind
        setTracking = { state, on in state[keyPath: path].isTracking = on }
        hasChanges = { state in !state[keyPath: path].changedKeys.isEmpty }
        clearChanges = { state in state[keyPath: path].clearChanges() }
        collectChanges = { state, changes in
            let entries = state[keyPath: path]
            for key in entries.changedKeys {
                if let value = entries[key] {
                    changes.upserts.append(CorrelationStateRow(kind: kind, key: key, body: CallCorrelator.encodeRow(value)))
                } else {
                    changes.deletions.append(.init(kind: kind, key: key))
                }
            }
        }
        appendAll = { state, rows in
            for (key, value) in state[keyPath: path] {
                rows.append(CorrelationStateRow(kind: kind, key: key, body: CallCorrelator.encodeRow(value)))
            }
        }
        restore = { state, key, body, decoder in
            state[keyPath: path][key] = try decoder.decode(Value.self, from: body)
        }
    }
}

extension CorrelationStatePart {
    /// Every keyed part of the state, in the order rows are written.
    static let all: [CorrelationStatePart] = [
        CorrelationStatePart("channels", \.channels),
        CorrelationStatePart("calls", \.calls),
        CorrelationStatePart("callIDByLinkedID", \.callIDByLinkedID),
        CorrelationStatePart("localChannelIDByName", \.localChannelIDByName),
        CorrelationStatePart("bridges", \.bridges),
        CorrelationStatePart("endedChannels", \.endedChannels),
        CorrelationStatePart("usedCallIDs", \.usedCallIDs),
        CorrelationStatePart("sequenceFloors", \.sequenceFloors),
        CorrelationStatePart("mailboxNewCounts", \.mailboxNewCounts),
    ]

    static let byKind: [String: CorrelationStatePart] = Dictionary(uniqueKeysWithValues: all.map { ($0.kind, $0) })
}
