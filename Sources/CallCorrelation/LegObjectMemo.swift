import CallEvents

/// The published object of one leg (event-model.md `leg`, and each entry of `legs`), remembered
/// with the facts it was built from.
///
/// Why: every event of a call repeats the object of each of its legs, and building one (a dozen
/// keys, three ISO 8601 instants, the device name) cost more than everything else the engine does
/// for the AMI event that caused it. A leg changes a few times in its life (ringing → up → down),
/// so many events can reuse the object built for an earlier one.
///
/// The memo is a pure function cache: ``LegFacts`` holds every input of the object, and an entry is
/// used only when the facts are equal, so the output is the same with or without it. It is derived
/// data, never part of the snapshot; entries go when their call is dropped, and the memo is bounded
/// (``LegObjectCache``).
///
/// A class: an entry is handed to every event of its call and kept in per-event lists, and copying
/// a struct of a dozen strings and two dictionaries cost a retain and a release per field each time
/// (the value-witness copies and destroys were ~5 % of the correlator). Immutable to everyone but
/// ``LegObjectCache/update(at:to:)``, which changes an entry only while the cache holds the only
/// reference to it (`isKnownUniquelyReferenced`): no event, list or copy of the correlator can see
/// it change, and `object` keeps value semantics (a dictionary an event still holds is copied on
/// write, as before).
final class LegObjectMemo: @unchecked Sendable {
    private(set) var facts: LegFacts
    private(set) var object: [String: JSONValue]
    /// `{"name":…,"number":…}` of the leg (`from`/`to`).
    private(set) var party: JSONValue

    init(facts: LegFacts, object: [String: JSONValue], party: JSONValue) {
        self.facts = facts
        self.object = object
        self.party = party
    }

    /// An entry for `facts`, built from `previous` (the same leg's entry for older facts): only the
    /// fields whose facts changed are formatted again.
    convenience init(facts: LegFacts, updating previous: LegObjectMemo) {
        self.init(
            facts: facts, object: facts.object(updating: previous.object, builtFrom: previous.facts),
            party: facts.hasSameParty(as: previous.facts) ? previous.party : facts.party())
    }

    /// Brings this entry to `facts` in place (see the type's note: only for an entry nothing else
    /// holds). Reuses the entry and, when no event holds it any more, the object's storage: a new
    /// entry allocated a dictionary, copied the old one into it and freed the old one, for every
    /// leg event.
    fileprivate func update(to facts: LegFacts) {
        // The stored facts are swapped out (moved, not copied) and compared as a local: reading
        // `self.facts` for each compare copied them (a retain and a release per string).
        var old = facts
        swap(&old, &self.facts)
        if facts.uniqueID == old.uniqueID, facts.createdAt == old.createdAt {
            facts.update(&object, builtFrom: old)
        } else {
            object = facts.object()
        }
        if !facts.hasSameParty(as: old) { party = facts.party() }
    }
}

/// The memo entries, bounded: two generations of at most `generationLimit` entries each. A lookup
/// that finds an entry in the older generation moves it to the current one; when the current one
/// is full it becomes the older one and the oldest entries are dropped.
///
/// Why bounded: an entry (an object of a dozen keys, its facts and the leg's party object) costs
/// about 1.3 KB, and unbounded the memo added 27 MiB at 10,000 live calls (the 100 MiB budget of
/// docs/PERFORMANCE.md). Events of a call come close together, so the recent legs are the useful
/// ones; with a few hundred live calls (the soak capture) every live leg fits.
struct LegObjectCache: Sendable {
    static let generationLimit = 2048
    typealias Slot = Dictionary<StateKey, LegObjectMemo>.Index
    private var current: [StateKey: LegObjectMemo] = [:]
    private var older: [StateKey: LegObjectMemo] = [:]

    mutating func entry(_ id: String) -> LegObjectMemo? { entry(StateKey(id))?.memo }

    /// The entry of `key` and, when it is in the current generation, its slot there: a
    /// replacement through ``store(_:for:at:)`` then needs no second hash (most leg events replace
    /// the entry of the leg they are about).
    mutating func entry(_ key: StateKey) -> (memo: LegObjectMemo, slot: Slot?)? {
        if let slot = current.index(forKey: key) { return (current.values[slot], slot) }
        guard let memo = older.removeValue(forKey: key) else { return nil }
        store(memo, for: key)
        return (memo, nil)
    }

    mutating func store(_ memo: LegObjectMemo, for id: String) { store(memo, for: StateKey(id)) }

    mutating func store(_ memo: LegObjectMemo, for key: StateKey) {
        if current.count >= Self.generationLimit, current.index(forKey: key) == nil {
            older = current
            current = [:]
        }
        current[key] = memo
    }

    /// Brings the entry at `slot` (from ``entry(_:)-(StateKey)``, with nothing stored or removed
    /// since) to `facts`: in place when the cache holds the only reference to it, else as a new entry
    /// built from it.
    ///
    /// The values' in-place accessor first makes the table unique (a cache shared with a copy of the
    /// correlator is copied, and its entries then have two references), so an entry another
    /// correlator or an event list can reach is never changed.
    mutating func update(at slot: Slot, to facts: LegFacts) -> LegObjectMemo {
        if isKnownUniquelyReferenced(&current.values[slot]) {
            let memo = current.values[slot]
            memo.update(to: facts)
            return memo
        }
        let memo = LegObjectMemo(facts: facts, updating: current.values[slot])
        current.values[slot] = memo
        return memo
    }

    mutating func remove(_ id: String) {
        let key = StateKey(id)
        current[key] = nil
        older[key] = nil
    }
}

/// Everything a leg's published object is built from.
struct LegFacts: Sendable, Equatable {
    var uniqueID: String
    var role: LegRole
    var name: String
    var number: String
    var displayName: String?
    var legState: LegState
    var isExternal: Bool
    var accountCode: String?
    var createdAt: EventInstant
    var answeredAt: EventInstant?
    var endedAt: EventInstant?

    /// The facts of a stored record, read in place (borrowed, so the record is not copied).
    init(reading leg: borrowing ChannelRecord) {
        uniqueID = leg.uniqueID
        role = leg.role
        name = leg.name
        number = leg.number
        displayName = leg.displayName
        legState = leg.legState
        isExternal = leg.isExternal
        accountCode = leg.accountCode
        createdAt = leg.createdAt
        answeredAt = leg.connectedAt ?? leg.answeredAt
        endedAt = leg.endedAt
    }

    /// Whether `leg` has exactly these facts, read in place (nothing copied). Mirrors
    /// ``init(reading:)`` field for field: a fact added there must be compared here.
    ///
    /// Why: most legs of a call are unchanged when one of its events is published, and making a
    /// ``LegFacts`` to compare (a retain and a release per string) cost more than the compare.
    func describe(_ leg: borrowing ChannelRecord) -> Bool {
        uniqueID == leg.uniqueID && role == leg.role && legState == leg.legState && isExternal == leg.isExternal
            && createdAt == leg.createdAt && answeredAt == (leg.connectedAt ?? leg.answeredAt)
            && endedAt == leg.endedAt && number == leg.number && name == leg.name
            && displayName == leg.displayName && accountCode == leg.accountCode
    }

    /// The published object (keys are sorted when encoded).
    func object() -> [String: JSONValue] {
        let template = legObjectTemplate
        var object = template.blank
        object.set(.id, .string(uniqueID), in: template)
        object.set(.role, .string(role.rawValue), in: template)
        object.set(.channel, .string(name), in: template)
        object.set(.device, .string(deviceName(ofChannel: name)), in: template)
        object.set(.number, .string(number), in: template)
        object.set(.name, .optional(displayName), in: template)
        object.set(.state, .string(legState.rawValue), in: template)
        object.set(.external, .bool(isExternal), in: template)
        object.set(.accountCode, .optional(accountCode), in: template)
        object.set(.startedAt, .string(createdAt.iso8601), in: template)
        object.set(.answeredAt, .optional(answeredAt?.iso8601), in: template)
        object.set(.endedAt, .optional(endedAt?.iso8601), in: template)
        return object
    }

    /// The published object, starting from `previous` (built from `old`) and storing only the
    /// fields whose facts changed: a leg changes a few facts at a time, and formatting its instants
    /// and device name again is most of the cost of a new object.
    func object(updating previous: [String: JSONValue], builtFrom old: LegFacts) -> [String: JSONValue] {
        guard uniqueID == old.uniqueID, createdAt == old.createdAt else { return object() }
        var object = previous
        update(&object, builtFrom: old)
        return object
    }

    /// Stores in `object` (built from `old`, of the same leg: same id and creation time) the fields
    /// whose facts differ from `old`.
    func update(_ object: inout [String: JSONValue], builtFrom old: LegFacts) {
        let template = legObjectTemplate
        if role != old.role { object.set(.role, .string(role.rawValue), in: template) }
        if name != old.name {
            object.set(.channel, .string(name), in: template)
            object.set(.device, .string(deviceName(ofChannel: name)), in: template)
        }
        if number != old.number { object.set(.number, .string(number), in: template) }
        if displayName != old.displayName { object.set(.name, .optional(displayName), in: template) }
        if legState != old.legState { object.set(.state, .string(legState.rawValue), in: template) }
        if isExternal != old.isExternal { object.set(.external, .bool(isExternal), in: template) }
        if accountCode != old.accountCode { object.set(.accountCode, .optional(accountCode), in: template) }
        if answeredAt != old.answeredAt { object.set(.answeredAt, .optional(answeredAt?.iso8601), in: template) }
        if endedAt != old.endedAt { object.set(.endedAt, .optional(endedAt?.iso8601), in: template) }
    }

    /// Whether ``party()`` of both is the same.
    func hasSameParty(as other: LegFacts) -> Bool { number == other.number && displayName == other.displayName }

    /// `{"name":…,"number":…}`.
    func party() -> JSONValue {
        let template = partyTemplate
        var object = template.blank
        object.set(.number, .string(number), in: template)
        object.set(.name, .optional(displayName), in: template)
        return .object(object)
    }
}

/// The keys of a leg object.
enum LegField: Int, JSONObjectField {
    case id, role, channel, device, number, name, state, external, accountCode, startedAt, answeredAt, endedAt

    var key: String {
        switch self {
        case .id: "id"
        case .role: "role"
        case .channel: "channel"
        case .device: "device"
        case .number: "number"
        case .name: "name"
        case .state: "state"
        case .external: "external"
        case .accountCode: "account_code"
        case .startedAt: "started_at"
        case .answeredAt: "answered_at"
        case .endedAt: "ended_at"
        }
    }
}

let legObjectTemplate = JSONObjectTemplate<LegField>()

extension CallCorrelator {
    /// Forgets every emission memo (derived data): the next events are built from scratch. Tests
    /// compare the events built both ways.
    mutating func dropEmissionMemos() {
        legObjects = LegObjectCache()
    }

    /// A leg's published object, from the memo when the leg has not changed since it was built.
    mutating func legDictionary(_ id: String) -> [String: JSONValue]? {
        state.channels.index(forKey: id).map { legDictionary(at: $0) }
    }

    /// ``legDictionary(_:)`` of the channel at `index` in `state.channels`.
    mutating func legDictionary(at index: ChannelIndex) -> [String: JSONValue] {
        legMemo(at: index).object
    }

    /// The memo entry of the channel at `index`, brought up to date with its record.
    mutating func legMemo(at index: ChannelIndex) -> LegObjectMemo {
        // Reads, not changes: nothing is recorded as changed.
        let key = state.channels.borrowValue(at: index) { StateKey($0.uniqueID) }
        let found: LegMemoLookup = lookUpLegMemo(key, at: index)
        switch found {
        case .upToDate(let memo):
            return memo
        case .staleAt(let slot):
            let facts = state.channels.borrowValue(at: index) { LegFacts(reading: $0) }
            return legObjects.update(at: slot, to: facts)
        case .stale(let previous):
            let facts = state.channels.borrowValue(at: index) { LegFacts(reading: $0) }
            let memo = LegObjectMemo(facts: facts, updating: previous)
            legObjects.store(memo, for: key)
            return memo
        case .missing:
            let facts = state.channels.borrowValue(at: index) { LegFacts(reading: $0) }
            let memo = LegObjectMemo(facts: facts, object: facts.object(), party: facts.party())
            legObjects.store(memo, for: key)
            return memo
        }
    }

    /// What the cache holds for the leg at `index`. A stale entry in the current generation comes
    /// back as its slot only, with no reference to it: the reference this function held is gone
    /// when it returns, so ``LegObjectCache/update(at:to:)`` can find the entry uniquely held and
    /// change it in place.
    @inline(never)
    private mutating func lookUpLegMemo(_ key: StateKey, at index: ChannelIndex) -> LegMemoLookup {
        guard let found = legObjects.entry(key) else { return .missing }
        if state.channels.borrowValue(at: index, { found.memo.facts.describe($0) }) { return .upToDate(found.memo) }
        if let slot = found.slot { return .staleAt(slot) }
        return .stale(found.memo)
    }
}

/// See ``CallCorrelator/lookUpLegMemo(_:at:)``.
enum LegMemoLookup {
    case upToDate(LegObjectMemo)
    case staleAt(LegObjectCache.Slot)
    case stale(LegObjectMemo)
    case missing
}
