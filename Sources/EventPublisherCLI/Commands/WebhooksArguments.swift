/// The command line of a `webhooks` subcommand: positionals plus `--flag value` / `--switch` pairs,
/// in order (repeatable flags such as `--header` keep every occurrence).
struct WebhooksArguments {
    struct Problem: Error {
        var message: String
    }

    var positionals: [String] = []
    var options: [(flag: String, value: String?)] = []

    /// Flags that take a value; every other `--x` is a switch.
    static let valued: Set<String> = [
        "--config", "--store", "--search", "--tenant", "--name", "--description", "--url", "--header",
        "--remove-header", "--tenants", "--auth-type", "--username", "--password", "--token", "--token-url",
        "--client-id", "--client-secret", "--scope", "--scopes", "--signing-secret", "--events", "--event",
    ]

    init(_ arguments: [String], allowed: Set<String>) throws(Problem) {
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            if argument == "--" {
                positionals += rest
                break
            }
            guard argument.hasPrefix("--") else {
                positionals.append(argument)
                continue
            }
            var flag = argument
            var inline: String?
            if let equals = argument.firstIndex(of: "=") {
                flag = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            guard allowed.contains(flag) else { throw Problem(message: "unknown option \(flag)") }
            if Self.valued.contains(flag) {
                guard let value = inline ?? rest.popFirst() else { throw Problem(message: "\(flag) needs a value") }
                options.append((flag, value))
            } else {
                guard inline == nil else { throw Problem(message: "\(flag) takes no value") }
                options.append((flag, nil))
            }
        }
    }

    /// The last value given for `flag`.
    func value(_ flag: String) -> String? { options.last { $0.flag == flag }?.value ?? nil }
    func values(_ flag: String) -> [String] { options.filter { $0.flag == flag }.compactMap(\.value) }
    func has(_ flag: String) -> Bool { options.contains { $0.flag == flag } }
}
