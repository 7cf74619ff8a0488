import CallCorrelation
import YAML

extension GatewayConfiguration {
    /// `tenants:` — each `{name, match}` with exactly one match kind; names unique.
    static func readTenants(_ top: Fields, _ reader: inout ConfigurationReader) -> [TenantRule] {
        guard let items = reader.list(top.value("tenants"), "tenants") else { return [] }
        var rules: [TenantRule] = []
        var firstSeen: [String: String] = [:]
        for (index, item) in items.enumerated() {
            let path = "tenants[\(index)]"
            guard let fields = reader.fields(item, path, allowed: ConfigurationKeys.tenant) else { continue }
            let name = reader.string(fields, "name", required: true, nonEmpty: true)
            if let name {
                if let problem = tenantNameProblem(name) {
                    reader.report(fields.mark("name"), "\(path).name", problem)
                } else if let first = firstSeen[name] {
                    reader.report(fields.mark("name"), "\(path).name", "\"\(name)\" already defined in \(first)")
                } else {
                    firstSeen[name] = path
                }
            }
            let match = readMatch(fields, &reader)
            if !fields.has("match") { reader.report(fields.node.mark, "\(path).match", "required") }
            if let name, let match { rules.append(TenantRule(name: name, match: match)) }
        }
        return rules
    }

    /// Tenant names appear in URLs, logs and the CLI: keep them to a safe alphabet.
    static func tenantNameProblem(_ name: String) -> String? {
        let ok = name.count <= 64
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        return ok ? nil : "\"\(name)\" must be at most 64 letters, digits, \"-\", \"_\" or \".\""
    }

    private static func readMatch(_ tenant: Fields, _ reader: inout ConfigurationReader) -> TenantMatch? {
        let path = tenant.path("match")
        guard let fields = reader.fields(tenant.value("match"), path, allowed: ConfigurationKeys.match) else {
            return nil
        }
        let given = ConfigurationKeys.match.filter { fields.has($0) }
        guard given.count == 1, let kind = given.first else {
            let kinds = ConfigurationKeys.match.joined(separator: ", ")
            let message = given.isEmpty
                ? "give one of \(kinds)"
                : "give only one of \(kinds), got \(given.joined(separator: " and "))"
            reader.report(fields.node.mark, path, message)
            return nil
        }
        switch kind {
        case "accountcode":
            return reader.string(fields, kind, nonEmpty: true).map(TenantMatch.accountCode)
        case "context_prefix":
            return reader.string(fields, kind, nonEmpty: true).map(TenantMatch.contextPrefix)
        case "channel_pattern":
            guard let pattern = reader.string(fields, kind, nonEmpty: true) else { return nil }
            if let problem = regexProblem(pattern) {
                reader.report(fields.mark(kind), fields.path(kind), problem)
                return nil
            }
            return .channelPattern(pattern)
        default:
            guard let variable = reader.fields(fields.value("variable"), fields.path("variable"),
                                               allowed: ConfigurationKeys.variable) else { return nil }
            let name = reader.string(variable, "name", required: true, nonEmpty: true)
            let value = reader.string(variable, "value", required: true)
            guard let name, let value else { return nil }
            return .variable(name: name, value: value)
        }
    }
}
