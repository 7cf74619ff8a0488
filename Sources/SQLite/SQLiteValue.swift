/// A value SQLite stores: its five storage classes.
/// Related SQLite documentation: <https://www.sqlite.org/datatype3.html>
public enum SQLiteValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public var int64: Int64? {
        switch self {
        case .integer(let value): return value
        case .real(let value): return Int64(exactly: value)
        default: return nil
        }
    }
    public var int: Int? { int64.map { Int($0) } }
    public var double: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .real(let value): return value
        default: return nil
        }
    }
    public var string: String? {
        if case .text(let value) = self { return value }
        return nil
    }
    /// SQLite has no boolean: 0 is false, any other integer true.
    public var bool: Bool? { int64.map { $0 != 0 } }
    public var isNull: Bool { self == .null }
}

extension SQLiteValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .real(value) }
    public init(booleanLiteral value: Bool) { self = .integer(value ? 1 : 0) }
    public init(nilLiteral: ()) { self = .null }
}

extension SQLiteValue {
    /// Convenience constructors so call sites read `.bool(x)`, `.optional(text)`.
    public static func bool(_ value: Bool) -> SQLiteValue { .integer(value ? 1 : 0) }
    public static func int(_ value: Int) -> SQLiteValue { .integer(Int64(value)) }
    public static func optional(_ value: String?) -> SQLiteValue { value.map { .text($0) } ?? .null }
}

/// One result row: values in column order, addressable by column name.
public struct SQLiteRow: Sendable, Hashable {
    public let columns: [String]
    public let values: [SQLiteValue]

    public init(columns: [String], values: [SQLiteValue]) {
        self.columns = columns
        self.values = values
    }

    public subscript(index: Int) -> SQLiteValue { values[index] }

    /// The value of the named column (first match, as SQLite names it), `.null` when absent.
    public subscript(name: String) -> SQLiteValue {
        guard let index = columns.firstIndex(of: name) else { return .null }
        return values[index]
    }
}
