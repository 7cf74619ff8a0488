/// Expands `${NAME}` and `${NAME:-default}` in configuration values, so secrets stay out of the file.
///
/// Shell semantics: `${NAME:-default}` uses the default when NAME is unset *or empty*; `${NAME}`
/// with NAME unset is an error (a silently empty secret would fail much later and less clearly).
/// `$${` writes a literal `${`. A `$` not followed by `{` is kept as is, so passwords containing
/// `$` need no escaping.
public enum EnvironmentSubstitution {
    /// `text` with every reference expanded, or why it cannot be.
    public static func apply(_ text: String, environment: [String: String]) -> Result<String, SubstitutionProblem> {
        guard text.contains("$") else { return .success(text) }
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            let rest = text[index...]
            if rest.hasPrefix("$${") {
                output += "${"
                index = text.index(index, offsetBy: 3)
            } else if rest.hasPrefix("${") {
                let bodyStart = text.index(index, offsetBy: 2)
                guard let close = text[bodyStart...].firstIndex(of: "}") else {
                    return .failure(SubstitutionProblem(message: "unterminated \"${\" (write $${ for a literal ${)"))
                }
                let body = text[bodyStart..<close]
                let name: Substring
                let fallback: Substring?
                if let separator = body.firstRange(of: ":-") {
                    name = body[..<separator.lowerBound]
                    fallback = body[separator.upperBound...]
                } else {
                    name = body
                    fallback = nil
                }
                guard isVariableName(name) else {
                    return .failure(SubstitutionProblem(message: "\"${\(body)}\" is not ${NAME} or ${NAME:-default}"))
                }
                let value = environment[String(name)]
                if let fallback, value == nil || value == "" {
                    output += fallback
                } else if let value {
                    output += value
                } else {
                    let hint = "write ${\(name):-default} to give a default"
                    return .failure(SubstitutionProblem(message: "environment variable \(name) is not set (\(hint))"))
                }
                index = text.index(after: close)
            } else {
                output.append(text[index])
                index = text.index(after: index)
            }
        }
        return .success(output)
    }

    static func isVariableName(_ name: Substring) -> Bool {
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}

public struct SubstitutionProblem: Error, Hashable, Sendable {
    public var message: String
}
