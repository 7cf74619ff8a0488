import CallEvents

/// The keys of a published object, as a fixed list (an `Int`-backed enum).
protocol JSONObjectField: CaseIterable, RawRepresentable where RawValue == Int {
    /// The key as published.
    var key: String { get }
}

/// A JSON object with a fixed set of keys whose hash-table slots are found once.
///
/// Why: published payloads are `[String: JSONValue]` trees, and inserting a key hashes it (the
/// bulk of building a leg event). An object made from a template starts as a copy of a blank
/// object holding every key, and values are stored by slot (`Dictionary.Index`) without hashing.
/// A copy of a dictionary keeps its storage's layout and age, so the slots found in the blank are
/// valid in every copy until a key is added or removed (the standard library checks this and
/// traps rather than write to a wrong slot). Keys added afterwards go in the normal way; the blank
/// reserves room for `spare` of them so they do not grow the table.
struct JSONObjectTemplate<Field: JSONObjectField>: Sendable {
    /// Every key of `fields`, each with `.null`.
    let blank: [String: JSONValue]
    /// Slot of each field by raw value (`nil` for fields not in this template).
    private let slots: [Dictionary<String, JSONValue>.Index?]
    /// A bit per field of this template, by raw value (fields with raw values below 32).
    let fieldMask: UInt32

    init(_ fields: [Field] = Array(Field.allCases), spare: Int = 0) {
        var blank = [String: JSONValue](minimumCapacity: fields.count + spare)
        for field in fields { blank[field.key] = .null }
        let size = Field.allCases.map(\.rawValue).max().map { $0 + 1 } ?? 0
        var slots = [Dictionary<String, JSONValue>.Index?](repeating: nil, count: size)
        for field in fields { slots[field.rawValue] = blank.index(forKey: field.key) }
        self.blank = blank
        self.slots = slots
        fieldMask = fields.reduce(0) { $0 | (1 << UInt32($1.rawValue)) }
    }

    /// Whether objects made from this template hold `field`.
    @inline(__always)
    func holds(_ field: Field) -> Bool { field.rawValue < slots.count && slots[field.rawValue] != nil }

    /// The slot of `field` in objects made from this template.
    @inline(__always)
    func slot(_ field: Field) -> Dictionary<String, JSONValue>.Index {
        guard let slot = slots[field.rawValue] else { preconditionFailure("\(field.key) is not in this template") }
        return slot
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    /// Stores `value` for a field of the template this object was made from, without hashing.
    @inline(__always)
    mutating func set<Field>(_ field: Field, _ value: JSONValue, in template: JSONObjectTemplate<Field>) {
        values[template.slot(field)] = value
    }
}
