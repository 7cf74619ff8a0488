/// One problem with one field, named as in YAML and JSON (`url`, `auth.username`, `events[2]`).
public struct WebhookFieldProblem: Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    /// `description: 1204 characters, at most 1000`
    public var description: String { "\(field): \(message)" }
}

/// Every problem found in a webhook, in field order; never just the first.
public struct WebhookValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var problems: [WebhookFieldProblem]

    public init(problems: [WebhookFieldProblem]) {
        self.problems = problems
    }

    public var description: String { problems.map(\.description).joined(separator: "; ") }
}
