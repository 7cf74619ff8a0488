/// A YAML text that could not be read, with where and why.
public struct YAMLError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The text is not YAML (libyaml's problem and context).
        case syntax
        /// The text is YAML but exceeds a safety limit (alias expansion, nesting, several documents).
        case limit
    }

    public var kind: Kind
    public var message: String
    public var mark: YAMLMark

    public init(_ kind: Kind = .syntax, message: String, mark: YAMLMark) {
        self.kind = kind
        self.message = message
        self.mark = mark
    }

    /// `3:5: mapping values are not allowed in this context`
    public var description: String { "\(mark): \(message)" }
}
