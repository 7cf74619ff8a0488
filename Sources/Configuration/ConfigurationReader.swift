import YAML

/// Walks a YAML tree while collecting every problem, with the key path and position of each.
///
/// Each `read…` call either returns a value or records why it cannot and returns nil, so the
/// loader keeps going and reports all problems of the file at once.
struct ConfigurationReader {
    let file: String
    let environment: [String: String]
    private(set) var problems: [ConfigurationProblem] = []

    init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    mutating func report(_ mark: YAMLMark?, _ path: String, _ message: String) {
        problems.append(ConfigurationProblem(file: file, mark: mark, keyPath: path, message: message))
    }

    /// The key/value pairs of one mapping, after checking for unknown and duplicate keys.
    struct Fields {
        let node: YAMLNode
        let path: String
        private(set) var pairs: [String: YAMLPair] = [:]

        init(node: YAMLNode, path: String) {
            self.node = node
            self.path = path
        }

        fileprivate mutating func set(_ key: String, _ pair: YAMLPair) { pairs[key] = pair }

        /// The value under `key`; nil when absent or written as null (`key:`, `~`), which means "default".
        func value(_ key: String) -> YAMLNode? {
            guard let value = pairs[key]?.value else { return nil }
            if let scalar = value.scalar, scalar.isNull, value.tag == nil { return nil }
            return value
        }

        func has(_ key: String) -> Bool { value(key) != nil }

        func path(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

        /// Where to point for `key`: its value if present, else the mapping itself.
        func mark(_ key: String) -> YAMLMark { pairs[key]?.value.mark ?? node.mark }
    }

    /// Reads a mapping whose keys must be among `allowed`. Nil (and nothing reported) when `node` is nil.
    mutating func fields(_ node: YAMLNode?, _ path: String, allowed: [String]) -> Fields? {
        guard let node else { return nil }
        guard let pairs = node.mapping else {
            report(node.mark, path, "expected a mapping, got \(node.kindDescription)")
            return nil
        }
        var fields = Fields(node: node, path: path)
        var firstSeen: [String: YAMLMark] = [:]
        for pair in pairs {
            guard let key = pair.key.scalar?.value else {
                report(pair.key.mark, path, "keys must be plain names, got \(pair.key.kindDescription)")
                continue
            }
            let keyPath = fields.path(key)
            if let first = firstSeen[key] {
                report(pair.key.mark, keyPath, "duplicate key (first given at \(first))")
                continue
            }
            firstSeen[key] = pair.key.mark
            guard allowed.contains(key) else {
                report(pair.key.mark, keyPath, Self.unknownKeyMessage(key, allowed: allowed))
                continue
            }
            fields.set(key, pair)
        }
        return fields
    }

    static func unknownKeyMessage(_ key: String, allowed: [String]) -> String {
        let close = allowed.filter { editDistance($0, key.lowercased()) <= 2 || $0 == key.lowercased() }
        if let guess = close.first { return "unknown key (did you mean \"\(guess)\"?)" }
        return "unknown key (expected \(allowed.joined(separator: ", ")))"
    }

    /// Levenshtein distance, for "did you mean" hints on short keys.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// The items of a list. Nil (and nothing reported) when `node` is nil.
    mutating func list(_ node: YAMLNode?, _ path: String) -> [YAMLNode]? {
        guard let node else { return nil }
        guard let items = node.sequence else {
            report(node.mark, path, "expected a list, got \(node.kindDescription)")
            return nil
        }
        return items
    }

    /// A scalar with `${ENV}` expanded. Explicit `!!str` tags make plain scalars strings.
    mutating func scalar(_ node: YAMLNode, _ path: String, expected: String) -> YAMLScalar? {
        guard var scalar = node.scalar else {
            report(node.mark, path, "expected \(expected), got \(node.kindDescription)")
            return nil
        }
        if node.tag == "tag:yaml.org,2002:str" { scalar.style = .doubleQuoted }
        switch EnvironmentSubstitution.apply(scalar.value, environment: environment) {
        case .success(let value): scalar.value = value
        case .failure(let problem):
            report(node.mark, path, problem.message)
            return nil
        }
        return scalar
    }

    mutating func string(_ node: YAMLNode, _ path: String) -> String? {
        scalar(node, path, expected: "a string")?.value
    }

    mutating func string(_ fields: Fields, _ key: String, required: Bool = false, nonEmpty: Bool = false) -> String? {
        guard let node = fields.value(key) else {
            if required { report(fields.node.mark, fields.path(key), "required") }
            return nil
        }
        guard let value = string(node, fields.path(key)) else { return nil }
        if nonEmpty && value.isEmpty {
            report(node.mark, fields.path(key), "must not be empty")
            return nil
        }
        return value
    }

    mutating func int(_ fields: Fields, _ key: String, range: ClosedRange<Int>) -> Int? {
        guard let node = fields.value(key), let scalar = scalar(node, fields.path(key), expected: "an integer") else {
            return nil
        }
        guard let value = scalar.int else {
            report(node.mark, fields.path(key), "expected an integer, got \(Self.describe(scalar))")
            return nil
        }
        guard range.contains(value) else {
            report(node.mark, fields.path(key), "\(value) is out of range (\(range.lowerBound)-\(range.upperBound))")
            return nil
        }
        return value
    }

    mutating func bool(_ fields: Fields, _ key: String) -> Bool? {
        guard let node = fields.value(key),
              let scalar = scalar(node, fields.path(key), expected: "true or false")
        else { return nil }
        guard let value = scalar.bool else {
            report(node.mark, fields.path(key), "expected true or false, got \(Self.describe(scalar))")
            return nil
        }
        return value
    }

    mutating func number(_ fields: Fields, _ key: String, required: Bool = false, minimum: Double = 0) -> Double? {
        guard let node = fields.value(key) else {
            if required { report(fields.node.mark, fields.path(key), "required") }
            return nil
        }
        guard let scalar = scalar(node, fields.path(key), expected: "a number") else { return nil }
        guard let value = scalar.double else {
            report(node.mark, fields.path(key), "expected a number, got \(Self.describe(scalar))")
            return nil
        }
        guard value >= minimum else {
            report(node.mark, fields.path(key), "\(scalar.value) is below the minimum \(Self.format(minimum))")
            return nil
        }
        return value
    }

    /// A list of strings; each wrong item is reported with its index.
    mutating func strings(_ fields: Fields, _ key: String) -> [String]? {
        guard let items = list(fields.value(key), fields.path(key)) else { return nil }
        var values: [String] = []
        var ok = true
        for (index, item) in items.enumerated() {
            if let value = string(item, "\(fields.path(key))[\(index)]") { values.append(value) } else { ok = false }
        }
        return ok ? values : nil
    }

    /// One of `allowed`, reported with the allowed values otherwise.
    mutating func choice(_ fields: Fields, _ key: String, allowed: [String]) -> String? {
        guard let node = fields.value(key), let value = string(node, fields.path(key)) else { return nil }
        guard allowed.contains(value) else {
            report(node.mark, fields.path(key),
                   "unknown value \"\(value)\" (expected \(allowed.joined(separator: ", ")))")
            return nil
        }
        return value
    }

    static func describe(_ scalar: YAMLScalar) -> String {
        scalar.isPlain ? "\"\(scalar.value)\"" : "the quoted string \"\(scalar.value)\""
    }

    static func format(_ number: Double) -> String {
        number == number.rounded() ? String(Int(number)) : String(number)
    }
}
