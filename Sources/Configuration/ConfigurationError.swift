public import YAML

/// One problem in a configuration file, located so an editor can jump to it.
public struct ConfigurationProblem: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// Nil when the problem is about the whole file (it cannot be read).
    public var mark: YAMLMark?
    /// `webhooks[2].auth.type`; empty for syntax errors and whole-file problems.
    public var keyPath: String
    public var message: String

    public init(file: String, mark: YAMLMark?, keyPath: String, message: String) {
        self.file = file
        self.mark = mark
        self.keyPath = keyPath
        self.message = message
    }

    /// `config/event-publisher.yaml:14:7: webhooks[2].auth.type: unknown value "digest" (expected …)`
    public var description: String {
        var text = file
        if let mark { text += ":\(mark.line):\(mark.column)" }
        if !keyPath.isEmpty { text += ": \(keyPath)" }
        return text + ": " + message
    }
}

/// Every problem found in a configuration file, in file order — never just the first.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var problems: [ConfigurationProblem]

    public init(problems: [ConfigurationProblem]) {
        self.problems = problems
    }

    /// One problem per line.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
