/// A `[String: Value]` that remembers which keys were written or removed since the shell last
/// persisted them (``CallCorrelator/pendingStateChanges()``).
///
/// Why a wrapper instead of marking calls dirty in the handlers: every write to the state goes
/// through this type's subscript or removal methods, so the set of changed keys is complete by
/// construction — a handler added or optimised later cannot forget to mark what it touched, and a
/// restore from the incremental rows cannot drift from the live state. Reads cost nothing extra; a
/// write costs one `Set` insert, and only while tracking is on (the daemon; `replay` and the
/// benchmarks never turn it on).
///
/// Only the operations the engine uses are offered. Every mutating one records its keys.
///
/// Keys are stored as ``StateKey``s (a cheaper hash than `String`'s); the API takes and returns
/// `String`s.
struct TrackedDictionary<Value: Sendable & Codable>: Sendable, Codable {
    private var storage: [StateKey: Value]
    /// Keys written or removed since the last ``clearChanges()``, while ``isTracking``.
    private(set) var changedKeys: Set<String> = []
    /// The last key recorded: runs of writes to one key (a handler updating several fields of the
    /// same channel) cost a string comparison instead of a hash.
    private var lastChangedKey: String?
    var isTracking = false

    init() { storage = [:] }

    init(_ entries: [String: Value]) {
        storage = Dictionary(uniqueKeysWithValues: entries.lazy.map { (StateKey($0.key), $0.value) })
    }

    subscript(key: String) -> Value? {
        get { storage[StateKey(key)] }
        set {
            noteChange(key)
            storage[StateKey(key)] = newValue
        }
        _modify {
            noteChange(key)
            yield &storage[StateKey(key)]
        }
    }

    subscript(key: String, default defaultValue: @autoclosure () -> Value) -> Value {
        get { storage[StateKey(key), default: defaultValue()] }
        _modify {
            noteChange(key)
            yield &storage[StateKey(key), default: defaultValue()]
        }
    }

    typealias Index = Dictionary<StateKey, Value>.Index

    /// Whether `key` has a value. Unlike `self[key] != nil`, the value is not copied (a
    /// channel record is ~50 fields, a retain and a release each).
    func contains(_ key: String) -> Bool { storage.index(forKey: StateKey(key)) != nil }

    /// Where `key` is stored, for in-place updates through ``subscript(valueAt:)`` without hashing
    /// the key again (valid until an entry is added or removed).
    func index(forKey key: String) -> Index? { storage.index(forKey: StateKey(key)) }

    /// The value at `index`, changed in place; a write records the entry's key like any other.
    subscript(valueAt index: Index) -> Value {
        _read { yield storage.values[index] }
        _modify {
            noteChange(storage.keys[index].string)
            yield &storage.values[index]
        }
    }

    /// Passes the value at `index` to `body` in place, for reads of a few fields of a large value.
    ///
    /// Why: the `Dictionary.Values` getter behind ``subscript(valueAt:)``'s read copies the whole
    /// value (a retain and a release per reference-counted field of a record). The value is
    /// reached through the in-place accessor and only borrowed by `body`, which cannot change it:
    /// nothing is written, so nothing is recorded.
    @inline(__always)
    mutating func borrowValue<R>(at index: Index, _ body: (borrowing Value) throws -> R) rethrows -> R {
        try Self.borrow(&storage.values[index], body)
    }

    @inline(__always)
    private static func borrow<R>(_ value: inout Value, _ body: (borrowing Value) throws -> R) rethrows -> R {
        try body(value)
    }

    @discardableResult
    mutating func removeValue(forKey key: String) -> Value? {
        noteChange(key)
        return storage.removeValue(forKey: StateKey(key))
    }

    /// Removes every entry `shouldRemove` selects (tombstone expiry).
    ///
    /// The doomed keys are collected in a plain list: `Dictionary.filter` would build a second
    /// dictionary of the doomed entries (hashing each) just to read their keys, on every expiry
    /// tick over every tombstone.
    mutating func removeAll(where shouldRemove: ((key: String, value: Value)) -> Bool) {
        var doomed: [StateKey] = []
        for (key, value) in storage where shouldRemove((key: key.string, value: value)) { doomed.append(key) }
        for key in doomed {
            noteChange(key.string)
            storage.removeValue(forKey: key)
        }
    }

    mutating func removeAll() {
        for key in storage.keys { noteChange(key.string) }
        storage.removeAll()
    }

    var keys: LazyMapCollection<Dictionary<StateKey, Value>.Keys, String> { storage.keys.lazy.map(\.string) }
    var values: Dictionary<StateKey, Value>.Values { storage.values }
    var count: Int { storage.count }
    var isEmpty: Bool { storage.isEmpty }
    func mapValues<T>(_ transform: (Value) throws -> T) rethrows -> [String: T] {
        var result: [String: T] = [:]
        result.reserveCapacity(storage.count)
        for (key, value) in storage { result[key.string] = try transform(value) }
        return result
    }

    @inline(__always)
    private mutating func noteChange(_ key: String) {
        guard isTracking, key != lastChangedKey else { return }
        changedKeys.insert(key)
        lastChangedKey = key
    }

    mutating func clearChanges() {
        changedKeys.removeAll(keepingCapacity: true)
        lastChangedKey = nil
    }

    /// Encoded as the plain dictionary: the full snapshot's JSON is unchanged by the wrapper.
    init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode([String: Value].self))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(mapValues { $0 })
    }
}

extension TrackedDictionary: Sequence {
    /// The entries as `(key: String, value: Value)`, in the dictionary's (unspecified) order.
    struct Iterator: IteratorProtocol {
        fileprivate var base: Dictionary<StateKey, Value>.Iterator

        mutating func next() -> (key: String, value: Value)? {
            base.next().map { (key: $0.key.string, value: $0.value) }
        }
    }

    func makeIterator() -> Iterator { Iterator(base: storage.makeIterator()) }
    var underestimatedCount: Int { storage.count }
}
