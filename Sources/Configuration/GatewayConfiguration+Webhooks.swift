import Webhooks
import YAML

extension GatewayConfiguration {
    /// `webhooks:` — each entry read into a ``WebhookDraft`` and checked by the same
    /// ``WebhookValidator`` as the CLI and the API; validator problems are placed at the YAML
    /// position of the field they name.
    static func readWebhooks(_ top: ConfigurationReader.Fields, knownTenants: [String],
                             _ reader: inout ConfigurationReader) -> [Webhook] {
        guard let items = reader.list(top.value("webhooks"), "webhooks") else { return [] }
        var accepted: [Webhook] = []
        var seenNames: [Webhook] = []  // every named entry, valid or not, for the uniqueness check
        for (index, item) in items.enumerated() {
            let path = "webhooks[\(index)]"
            guard let fields = reader.fields(item, path, allowed: ConfigurationKeys.webhook) else { continue }
            var entry = WebhookEntry(fields: fields)
            let draft = entry.read(&reader)
            let validator = WebhookValidator(knownTenants: knownTenants, existing: seenNames)
            let problems = validator.problems(in: draft)
            for problem in problems where !entry.hasTypeProblem(problem.field) {
                reader.report(entry.mark(for: problem.field), "\(path).\(problem.field)", problem.message)
            }
            if !draft.name.isEmpty { seenNames.append(Webhook(name: draft.name, tenant: draft.tenant, url: draft.url)) }
            if problems.isEmpty && entry.typeProblemFields.isEmpty {
                if case .success(let webhook) = validator.validate(draft) { accepted.append(webhook) }
            }
        }
        return accepted
    }
}

/// Reads one webhook mapping, remembering where each field was written.
private struct WebhookEntry {
    let fields: ConfigurationReader.Fields
    /// Field (validator naming: `auth.username`, `events[1]`) → position of its value.
    private var marks: [String: YAMLMark] = [:]
    /// Fields that already got a wrong-type problem: the validator's follow-up ("required") is noise.
    private(set) var typeProblemFields: Set<String> = []

    init(fields: ConfigurationReader.Fields) {
        self.fields = fields
    }

    /// Where to point for `field`: the field, else its parent (`auth` for `auth.username`), else the entry.
    func mark(for field: String) -> YAMLMark {
        var key = field
        while true {
            if let mark = marks[key] { return mark }
            guard let cut = key.lastIndex(where: { $0 == "." || $0 == "[" }) else { return fields.node.mark }
            key = String(key[..<cut])
        }
    }

    func hasTypeProblem(_ field: String) -> Bool {
        typeProblemFields.contains { field == $0 || field.hasPrefix($0 + ".") || field.hasPrefix($0 + "[") }
    }

    mutating func read(_ reader: inout ConfigurationReader) -> WebhookDraft {
        for key in ConfigurationKeys.webhook {
            if let node = fields.value(key) { marks[key] = node.mark }
        }
        var draft = WebhookDraft(origin: .yaml)
        draft.name = text("name", &reader) ?? ""
        draft.tenant = text("tenant", &reader) ?? "main"
        draft.description = text("description", &reader) ?? ""
        draft.isActive = flag("active", &reader) ?? false
        draft.servesAllTenants = flag("all_tenants", &reader) ?? false
        draft.tenants = list("tenants", &reader) ?? []
        draft.url = text("url", &reader) ?? ""
        draft.headers = headers(&reader)
        draft.auth = auth(&reader)
        draft.signingSecret = text("signing_secret", &reader)
        draft.subscribesToAllEvents = flag("subscribe_all", &reader) ?? false
        draft.events = list("events", &reader) ?? []
        return draft
    }

    private mutating func checked<T>(_ key: String, _ reader: inout ConfigurationReader,
                                     _ read: (inout ConfigurationReader) -> T?) -> T? {
        let before = reader.problems.count
        let value = read(&reader)
        if reader.problems.count > before { typeProblemFields.insert(key) }
        return value
    }

    private mutating func text(_ key: String, _ reader: inout ConfigurationReader) -> String? {
        let fields = self.fields
        return checked(key, &reader) { $0.string(fields, key) }
    }

    private mutating func flag(_ key: String, _ reader: inout ConfigurationReader) -> Bool? {
        let fields = self.fields
        return checked(key, &reader) { $0.bool(fields, key) }
    }

    private mutating func list(_ key: String, _ reader: inout ConfigurationReader) -> [String]? {
        if let items = fields.value(key)?.sequence {
            for (index, item) in items.enumerated() { marks["\(key)[\(index)]"] = item.mark }
        }
        let fields = self.fields
        return checked(key, &reader) { $0.strings(fields, key) }
    }

    private mutating func headers(_ reader: inout ConfigurationReader) -> [WebhookHeader] {
        let before = reader.problems.count
        defer { if reader.problems.count > before { typeProblemFields.insert("headers") } }
        guard let node = fields.value("headers") else { return [] }
        guard let pairs = node.mapping else {
            reader.report(node.mark, fields.path("headers"),
                          "expected a mapping of header names to values, got \(node.kindDescription)")
            return []
        }
        var headers: [WebhookHeader] = []
        for pair in pairs {
            guard let name = pair.key.scalar?.value else {
                reader.report(pair.key.mark, fields.path("headers"), "header names must be plain text")
                continue
            }
            let path = "\(fields.path("headers")).\(name)"
            marks["headers.\(name)"] = pair.key.mark
            guard let value = reader.scalar(pair.value, path, expected: "a header value")?.value else { continue }
            headers.append(WebhookHeader(name: name, value: value))
        }
        return headers
    }

    private mutating func auth(_ reader: inout ConfigurationReader) -> WebhookAuthDraft {
        let before = reader.problems.count
        let authNode = fields.value("auth")
        guard let auth = reader.fields(authNode, fields.path("auth"), allowed: ConfigurationKeys.auth) else {
            if reader.problems.count > before { typeProblemFields.insert("auth") }
            return WebhookAuthDraft()
        }
        marks["auth"] = auth.node.mark
        for key in ConfigurationKeys.auth { if let node = auth.value(key) { marks["auth.\(key)"] = node.mark } }
        if let scopes = auth.value("scopes")?.sequence {
            for (index, item) in scopes.enumerated() { marks["auth.scopes[\(index)]"] = item.mark }
        }
        func read(_ key: String, _ reader: inout ConfigurationReader) -> String? {
            let count = reader.problems.count
            let value = reader.string(auth, key)
            if reader.problems.count > count { typeProblemFields.insert("auth.\(key)") }
            return value
        }
        var draft = WebhookAuthDraft(type: "")
        if let type = read("type", &reader) {
            draft.type = type
        } else if !auth.has("type") {
            reader.report(auth.node.mark, auth.path("type"),
                          "required (one of \(WebhookAuth.typeNames.joined(separator: ", ")))")
            typeProblemFields.insert("auth.type")
        }
        draft.username = read("username", &reader)
        draft.password = read("password", &reader)
        draft.token = read("token", &reader)
        draft.tokenURL = read("token_url", &reader)
        draft.clientID = read("client_id", &reader)
        draft.clientSecret = read("client_secret", &reader)
        let count = reader.problems.count
        draft.scopes = reader.strings(auth, "scopes")
        if reader.problems.count > count { typeProblemFields.insert("auth.scopes") }
        if reader.problems.count > before && draft.type.isEmpty { typeProblemFields.insert("auth.type") }
        return draft
    }
}
