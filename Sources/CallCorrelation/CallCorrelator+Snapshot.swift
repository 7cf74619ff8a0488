import CallEvents
import FoundationEssentials

/// Persisting the engine's memory so a restarted daemon resumes the calls it was tracking.
///
/// The snapshot is the whole ``CorrelationState`` as JSON with sorted keys (so the same state gives
/// the same bytes), wrapped in an envelope naming the format and its version. Encoding and
/// decoding are pure (no clock, no I/O); the shell decides when to take one and where to keep it.
/// The configuration is not part of the snapshot: correlation rules are read at start, and a
/// restored call keeps the tenant and direction it was published with.
///
/// Two forms of the same state: the whole-state snapshot (one blob; `replay`, tests, and stores
/// written by earlier builds) and per-entry rows (the daemon): ``stateRows()``, kept current by
/// ``pendingStateChanges()`` (what changed since the last save) and read back by
/// ``CorrelationStateRestorer``. A row's body is the entry's JSON inside the snapshot, so both
/// forms share the format version.
extension CallCorrelator {
    /// The envelope's format name and the version this build writes and reads. Bump the version
    /// whenever a stored field changes meaning or a non-optional field is added.
    public static let snapshotFormat = "event-publisher.correlation-state"
    public static let snapshotVersion = 1

    /// The engine's state as deterministic JSON (sorted keys), for ``init(configuration:restoring:)``.
    public func snapshot() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        let envelope = SnapshotEnvelope(format: Self.snapshotFormat, version: Self.snapshotVersion, state: state)
        do {
            return Array(try encoder.encode(envelope))
        } catch {
            // Every stored type is a plain value with a synthesized encoding; non-finite doubles are
            // converted above. Nothing is left that can fail, short of a bug.
            preconditionFailure("correlation state is not encodable: \(error)")
        }
    }

    /// A correlator that continues from `snapshot` (from ``snapshot()``). Throws
    /// ``CorrelationSnapshotError`` when the bytes are not a snapshot, come from another format
    /// version, or are damaged; the caller then starts empty.
    public init(configuration: CorrelationConfiguration, restoring snapshot: [UInt8]) throws {
        self.init(configuration: configuration)
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        let data = Data(snapshot)
        let header: SnapshotHeader
        do {
            header = try decoder.decode(SnapshotHeader.self, from: data)
        } catch {
            throw CorrelationSnapshotError.notASnapshot(reason: String(describing: error))
        }
        guard header.format == Self.snapshotFormat else {
            throw CorrelationSnapshotError.notASnapshot(reason: "format is \"\(header.format)\"")
        }
        guard header.version == Self.snapshotVersion else {
            throw CorrelationSnapshotError.unsupportedVersion(found: header.version, supported: Self.snapshotVersion)
        }
        do {
            state = try decoder.decode(SnapshotEnvelope.self, from: data).state
        } catch {
            throw CorrelationSnapshotError.corrupt(reason: String(describing: error))
        }
    }

    /// The highest sequence each tracked call has published, as far as this state knows.
    public var publishedSequences: [String: Int] { state.calls.mapValues { $0.sequenceBase + $0.sequence } }

    /// After a restore, before the first resync: the events an earlier run stored for tracked calls
    /// *after* the snapshot was taken (the snapshot lags the outbox by up to its interval). Their
    /// facts are applied without publishing anything, so the resync does not announce them a second
    /// time under new ids: a stored `started` makes the leg live, a stored `connected` records the
    /// peer (no repeated `connected` for that pair), a stored `finished` ends the leg (no second
    /// `finished`), a stored `customer_interaction`/`call_rating` means the call is over (dropped, no
    /// second summary). Facts at or below a call's published sequence, and other event types, are
    /// ignored. Returns how many facts were applied. Follow with ``continueSequences(after:)``.
    @discardableResult
    public mutating func absorbStoredEvents(_ facts: [StoredEventFact]) -> Int {
        let published = publishedSequences
        var discarded = CorrelationOutput()
        var applied = 0
        let ordered = facts.sorted { ($0.callID, $0.sequence) < ($1.callID, $1.sequence) }
        for fact in ordered {
            guard let known = published[fact.callID], fact.sequence > known, state.calls[fact.callID] != nil else {
                continue
            }
            switch fact.type {
            case .callStarted:
                guard let leg = fact.legID, state.channels[leg]?.phase == .pending else { continue }
                publishStart(leg, at: fact.timestamp, into: &discarded)
            case .callConnected:
                guard let leg = fact.legID, let peer = fact.peerLegID, state.channels[leg] != nil,
                      state.channels[leg]!.lastPeerID != peer else { continue }
                if state.channels[peer] != nil {
                    connect(leg, to: peer, at: fact.timestamp, into: &discarded)
                } else {
                    // The peer was created after the snapshot (the resync adopts it): remember who
                    // the known leg talks to, so the resync does not report this pair again.
                    publishStart(leg, at: fact.timestamp, into: &discarded)
                    state.channels[leg]!.lastPeerID = peer
                    if state.channels[leg]!.firstPeerID == nil { state.channels[leg]!.firstPeerID = peer }
                    if state.channels[leg]!.connectedAt == nil { state.channels[leg]!.connectedAt = fact.timestamp }
                    if !state.channels[leg]!.onHold { state.channels[leg]!.legState = .up }
                }
            case .callFinished:
                guard let leg = fact.legID, let record = state.channels[leg], record.isRealLeg,
                      record.phase != .ended else { continue }
                state.channels[leg]!.phase = .ended
                state.channels[leg]!.legState = .down
                state.channels[leg]!.endedAt = fact.timestamp
            case .customerInteraction, .callRating:
                drop(fact.callID, at: fact.timestamp)
            default:
                continue
            }
            applied += 1
        }
        return applied
    }

    /// Ids of the calls the engine is tracking now, sorted (after a restore: the calls whose stored
    /// sequences the shell looks up, see ``continueSequences(after:)``).
    public var trackedCallIDs: [String] { state.calls.keys.sorted() }
}

/// What the shell read back from its outbox about one stored event (see
/// ``CallCorrelator/absorbStoredEvents(_:)``).
public struct StoredEventFact: Sendable, Equatable {
    public var callID: String
    public var sequence: Int
    public var type: EventName
    public var timestamp: EventInstant
    /// `data.leg.id` of a leg event.
    public var legID: String?
    /// `data.peer.id` of a `connected`.
    public var peerLegID: String?

    public init(callID: String, sequence: Int, type: EventName, timestamp: EventInstant, legID: String? = nil,
                peerLegID: String? = nil) {
        self.callID = callID
        self.sequence = sequence
        self.type = type
        self.timestamp = timestamp
        self.legID = legID
        self.peerLegID = peerLegID
    }

    /// The facts of an event this engine emitted (tests, and shells that keep `CallEvent`s).
    public init(_ event: CallEvent) {
        self.init(callID: event.callID, sequence: event.sequence, type: event.type, timestamp: event.timestamp,
                  legID: event.data["leg"]?["id"]?.stringValue, peerLegID: event.data["peer"]?["id"]?.stringValue)
    }
}

/// Why a snapshot could not be restored.
public enum CorrelationSnapshotError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not JSON, or not a correlation snapshot at all.
    case notASnapshot(reason: String)
    /// Written by a build with another snapshot format version.
    case unsupportedVersion(found: Int, supported: Int)
    /// The right format and version, but the state does not decode (truncated or edited).
    case corrupt(reason: String)

    public var description: String {
        switch self {
        case .notASnapshot(let reason): "not a correlation snapshot: \(reason)"
        case .unsupportedVersion(let found, let supported):
            "correlation snapshot format version \(found) is not supported (this build reads version \(supported))"
        case .corrupt(let reason): "correlation snapshot is damaged: \(reason)"
        }
    }
}

private struct SnapshotHeader: Decodable {
    var format: String
    var version: Int
}

private struct SnapshotEnvelope: Codable {
    var format: String
    var version: Int
    var state: CorrelationState
}

/// Stores `JSONValue`s (call summaries kept in the state) in a snapshot without making the public
/// `JSONValue` type `Codable`.
@propertyWrapper
struct SnapshotJSON: Sendable, Codable {
    var wrappedValue: [JSONValue]

    init(wrappedValue: [JSONValue]) { self.wrappedValue = wrappedValue }

    init(from decoder: any Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode([CodableJSON].self).map(\.value)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue.map(CodableJSON.init))
    }
}

/// `JSONValue` through `Codable`, each value tagged with its kind (`{"i":2}`, `{"d":2.0}`, …) so that
/// integers and doubles keep their kind and a restored payload is byte-identical.
private struct CodableJSON: Codable {
    var value: JSONValue

    init(_ value: JSONValue) { self.value = value }

    private enum Kind: String, CodingKey { case null = "n", bool = "b", int = "i", double = "d", string = "s",
                                              array = "a", object = "o" }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Kind.self)
        guard container.allKeys.count == 1, let kind = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "a stored JSON value has exactly one kind key"))
        }
        switch kind {
        case .null: value = .null
        case .bool: value = .bool(try container.decode(Bool.self, forKey: kind))
        case .int: value = .int(try container.decode(Int64.self, forKey: kind))
        case .double: value = .double(try container.decode(Double.self, forKey: kind))
        case .string: value = .string(try container.decode(String.self, forKey: kind))
        case .array: value = .array(try container.decode([CodableJSON].self, forKey: kind).map(\.value))
        case .object: value = .object(try container.decode([String: CodableJSON].self, forKey: kind).mapValues(\.value))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Kind.self)
        switch value {
        case .null: try container.encode(true, forKey: .null)
        case .bool(let bool): try container.encode(bool, forKey: .bool)
        case .int(let int): try container.encode(int, forKey: .int)
        case .double(let double): try container.encode(double, forKey: .double)
        case .string(let string): try container.encode(string, forKey: .string)
        case .array(let items): try container.encode(items.map(CodableJSON.init), forKey: .array)
        case .object(let object): try container.encode(object.mapValues(CodableJSON.init), forKey: .object)
        }
    }
}

// MARK: - Incremental persistence: one row per state entry

/// One persisted entry of the engine's state. `kind` names the part of the state (`channels`,
/// `calls`, `bridges`, … — the ``CorrelationState`` property), `key` the entry in it, `body` its
/// JSON (the same JSON the entry has inside ``CallCorrelator/snapshot()``). The row of kind
/// ``CallCorrelator/stateHeaderKind`` holds the format, its version and the scalar counters.
public struct CorrelationStateRow: Sendable, Equatable {
    public var kind: String
    public var key: String
    public var body: [UInt8]

    public init(kind: String, key: String, body: [UInt8]) {
        self.kind = kind
        self.key = key
        self.body = body
    }
}

/// What changed in the state since the shell last stored it: rows to write (insert or replace) and
/// rows to delete (entries the engine forgot: a dropped call and its channels, expired tombstones).
public struct CorrelationStateChanges: Sendable, Equatable {
    public var upserts: [CorrelationStateRow] = []
    public var deletions: [Deletion] = []

    public struct Deletion: Sendable, Hashable {
        public var kind: String
        public var key: String

        public init(kind: String, key: String) {
            self.kind = kind
            self.key = key
        }
    }

    public init() {}

    public var isEmpty: Bool { upserts.isEmpty && deletions.isEmpty }
    /// Bytes of the row bodies (for metrics and logs).
    public var bodyBytes: Int { upserts.reduce(0) { $0 + $1.body.count } }
}

extension CallCorrelator {
    /// Kind of the one header row (key `""`): format, version, `nextOrder`.
    public static let stateHeaderKind = "state"

    /// From now on the engine records which entries change (the daemon calls this once, after a
    /// restore); ``pendingStateChanges()`` then returns them. Off by default, so `replay`, tests and
    /// benchmarks pay nothing.
    public mutating func trackStateChanges() {
        for part in CorrelationStatePart.all { part.setTracking(&state, true) }
    }

    /// Whether an entry changed since the last ``clearPendingStateChanges()``.
    public var hasPendingStateChanges: Bool {
        CorrelationStatePart.all.contains { $0.hasChanges(state) }
    }

    /// The rows of the entries that changed since the last ``clearPendingStateChanges()`` (current
    /// values; an entry written several times appears once), plus the header row. Applying them to
    /// the rows stored before gives ``stateRows()``. Pure: call ``clearPendingStateChanges()`` once
    /// they are stored; if storing fails, ask again later (nothing is lost).
    public func pendingStateChanges() -> CorrelationStateChanges {
        var changes = CorrelationStateChanges()
        for part in CorrelationStatePart.all { part.collectChanges(state, &changes) }
        if !changes.isEmpty { changes.upserts.append(headerRow()) }
        return changes
    }

    public mutating func clearPendingStateChanges() {
        for part in CorrelationStatePart.all { part.clearChanges(&state) }
    }

    /// Every row of the current state (a full rewrite: the first save after a restore from an old
    /// single-blob snapshot, or after the stored rows could not be read).
    public func stateRows() -> [CorrelationStateRow] {
        var rows: [CorrelationStateRow] = []
        for part in CorrelationStatePart.all { part.appendAll(state, &rows) }
        rows.append(headerRow())
        return rows
    }

    /// A correlator that continues from stored rows (``stateRows()`` as updated by
    /// ``pendingStateChanges()``). Throws ``CorrelationSnapshotError`` when the header row is
    /// missing or from another format version, or a row does not decode; the caller then starts
    /// empty. Rows of kinds this build does not know are ignored. See also
    /// ``CorrelationStateRestorer`` (rows one at a time).
    public init(configuration: CorrelationConfiguration, restoringRows rows: [CorrelationStateRow]) throws {
        var restorer = CorrelationStateRestorer(configuration: configuration)
        for row in rows where row.kind == Self.stateHeaderKind { try restorer.add(row) }
        for row in rows where row.kind != Self.stateHeaderKind { try restorer.add(row) }
        self = try restorer.finish()
    }

    private func headerRow() -> CorrelationStateRow {
        let header = StateHeader(format: Self.snapshotFormat, version: Self.snapshotVersion, nextOrder: state.nextOrder)
        return CorrelationStateRow(kind: Self.stateHeaderKind, key: "", body: Self.encodeRow(header))
    }

    static func encodeRow<Value: Encodable>(_ value: Value) -> [UInt8] {
        do {
            return try StreamingJSONEncoder.encode(value)
        } catch {
            // As in `snapshot()`: plain values with synthesized encodings never throw here.
            preconditionFailure("correlation state is not encodable: \(error)")
        }
    }
}

/// Rebuilds a correlator from stored rows fed one at a time, so a restore never holds every row
/// in memory at once (with 10,000 live calls the rows are ~26 MB, and holding them all while the
/// records are decoded left the heap fragmented: 127 MiB RSS after such a restart). Give it the
/// header row first (its version is checked before anything is decoded); rows of other kinds
/// follow in any order.
public struct CorrelationStateRestorer {
    private var correlator: CallCorrelator
    private var sawHeader = false
    private let decoder: JSONDecoder
    public private(set) var rowCount = 0

    public init(configuration: CorrelationConfiguration) {
        correlator = CallCorrelator(configuration: configuration)
        decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
    }

    /// Decodes one row into the state. Throws ``CorrelationSnapshotError`` (header of another
    /// format or version, or a row that does not decode).
    public mutating func add(_ row: CorrelationStateRow) throws {
        rowCount += 1
        if row.kind == CallCorrelator.stateHeaderKind {
            let header: StateHeader
            do {
                header = try decoder.decode(StateHeader.self, from: Data(row.body))
            } catch {
                throw CorrelationSnapshotError.notASnapshot(reason: String(describing: error))
            }
            guard header.format == CallCorrelator.snapshotFormat else {
                throw CorrelationSnapshotError.notASnapshot(reason: "format is \"\(header.format)\"")
            }
            guard header.version == CallCorrelator.snapshotVersion else {
                throw CorrelationSnapshotError.unsupportedVersion(found: header.version,
                                                                  supported: CallCorrelator.snapshotVersion)
            }
            correlator.state.nextOrder = header.nextOrder
            sawHeader = true
            return
        }
        do {
            guard let part = CorrelationStatePart.byKind[row.kind] else { return }  // a kind of a later build
            try part.restore(&correlator.state, row.key, Data(row.body), decoder)
        } catch {
            throw CorrelationSnapshotError.corrupt(reason: "\(row.kind) \"\(row.key)\": \(error)")
        }
    }

    /// The restored correlator; throws when no header row was given.
    public func finish() throws -> CallCorrelator {
        guard sawHeader else {
            throw CorrelationSnapshotError.notASnapshot(
                reason: "no \(CallCorrelator.stateHeaderKind) row among \(rowCount) rows")
        }
        return correlator
    }
}

private struct StateHeader: Codable {
    var format: String
    var version: Int
    var nextOrder: Int
}
