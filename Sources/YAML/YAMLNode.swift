/// A position in the YAML text, 1-based (libyaml counts from 0; people count from 1).
public struct YAMLMark: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }

    public static func < (lhs: YAMLMark, rhs: YAMLMark) -> Bool { (lhs.line, lhs.column) < (rhs.line, rhs.column) }
}

/// One node of a YAML document with the position it started at.
///
/// A syntax tree, not typed data: libyaml returns every scalar as a string, and deciding whether
/// `5038`, `"5038"`, `true` or `~` is a number, a string, a boolean or nothing belongs to the
/// reader that knows what it expects (see ``YAMLScalar``). Aliases are already expanded.
public struct YAMLNode: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        /// Pairs in document order; duplicate keys are kept for the reader to report.
        case mapping([YAMLPair])
    }

    public var kind: Kind
    public var mark: YAMLMark
    /// The explicit tag (`!!str`, `tag:yaml.org,2002:str`), if any.
    public var tag: String?

    public init(kind: Kind, mark: YAMLMark, tag: String? = nil) {
        self.kind = kind
        self.mark = mark
        self.tag = tag
    }

    public var scalar: YAMLScalar? {
        if case .scalar(let scalar) = kind { return scalar }
        return nil
    }

    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    public var mapping: [YAMLPair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    /// The value of the first pair whose key is the scalar `key`.
    public subscript(key: String) -> YAMLNode? {
        mapping?.first { $0.key.scalar?.value == key }?.value
    }

    /// "a mapping", "a list", "a string"… for messages such as "expected a mapping, got a list".
    public var kindDescription: String {
        switch kind {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let scalar): return scalar.isNull && tag == nil ? "nothing" : "a scalar \"\(scalar.value)\""
        }
    }
}

public struct YAMLPair: Sendable, Hashable {
    public var key: YAMLNode
    public var value: YAMLNode

    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

/// A scalar as written: its text and how it was quoted.
public struct YAMLScalar: Sendable, Hashable {
    public enum Style: Sendable, Hashable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    public var value: String
    public var style: Style

    public init(_ value: String, style: Style = .plain) {
        self.value = value
        self.style = style
    }

    /// Quoted and block scalars are always strings; only plain ones can be numbers, booleans or null.
    public var isPlain: Bool { style == .plain }

    /// YAML 1.2 core schema null: an empty plain scalar, `~`, `null`, `Null`, `NULL`.
    public var isNull: Bool { isPlain && ["", "~", "null", "Null", "NULL"].contains(value) }

    /// YAML 1.2 core schema booleans only (`yes`/`on` are strings, as in YAML 1.2).
    public var bool: Bool? {
        guard isPlain else { return nil }
        switch value {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    /// A decimal integer (optional sign, `_` not allowed) from a plain scalar.
    public var int: Int? {
        guard isPlain else { return nil }
        return Int(value)
    }

    /// A finite decimal number from a plain scalar (integers included).
    public var double: Double? {
        guard isPlain, !value.isEmpty, value.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }),
              let number = Double(value), number.isFinite else { return nil }
        return number
    }
}
