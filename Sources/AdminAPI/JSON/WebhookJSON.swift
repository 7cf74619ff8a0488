import CallEvents
import Webhooks

/// Webhook ⇄ JSON for the admin API, with secrets masked on the way out and restored on the way in.
///
/// Keys are the YAML keys of the contract (`all_tenants`, `subscribe_all`, `auth.client_secret`, …), so a
/// validation problem names the same field in the CLI, the YAML and the page. Headers travel as an ordered
/// list of `{"name", "value"}` objects (an object map is accepted on input too). Input becomes a
/// `WebhookDraft`, checked by the Webhooks module's `WebhookValidator`, the same as YAML and the CLI.
enum WebhookJSON {
    /// What every secret looks like in a response (the Webhooks module's mask). Sending it back means
    /// "keep the stored value".
    static let mask = Webhook.mask

    // MARK: Encoding

    /// The webhook with every secret masked (`Webhook.redacted()`: auth secrets, signing secret, secret-looking
    /// header values and credentials in the URL).
    static func encode(_ webhook: Webhook) -> JSONValue {
        let safe = webhook.redacted()
        return [
            "id": .int(safe.id),
            "name": .string(safe.name),
            "description": .string(safe.description),
            "active": .bool(safe.isActive),
            "tenant": .string(safe.tenant),
            "all_tenants": .bool(safe.servesAllTenants),
            "tenants": .array(safe.tenants.map { .string($0) }),
            "url": .string(safe.url),
            "headers": .array(safe.headers.map { ["name": .string($0.name), "value": .string($0.value)] }),
            "auth": encode(safe.auth),
            "signing_secret": .optional(safe.signingSecret),
            "subscribe_all": .bool(safe.subscribesToAllEvents),
            "events": .array(safe.events.map { .string($0.rawValue) }),
            "origin": .string(safe.origin.rawValue),
        ]
    }

    private static func encode(_ auth: WebhookAuth) -> JSONValue {
        switch auth {
        case .none:
            return ["type": "none"]
        case .basic(let username, let password):
            return ["type": "basic", "username": .string(username), "password": .string(password)]
        case .bearer(let token):
            return ["type": "bearer", "token": .string(token)]
        case .oauth2ClientCredentials(let client):
            return .object(encode(client).merging(["type": "oauth2_client_credentials"]) { $1 })
        case .oauth2Password(let client, let username, let password):
            return .object(encode(client).merging([
                "type": "oauth2_password", "username": .string(username), "password": .string(password),
            ]) { $1 })
        }
    }

    private static func encode(_ client: OAuth2Client) -> [String: JSONValue] {
        ["token_url": .string(client.tokenURL), "client_id": .string(client.clientID),
         "client_secret": .string(client.clientSecret), "scopes": .array(client.scopes.map { .string($0) })]
    }

    // MARK: Decoding

    /// A draft from a request body plus the problems found while restoring masked secrets.
    struct Decoded {
        var draft: WebhookDraft
        var problems: [WebhookFieldProblem]
    }

    /// Builds a draft from a request body. Keys left out keep the value of `stored` (an update) or the defaults
    /// (a new webhook); a masked secret is replaced by the stored one. Wrong JSON types fail at once, naming
    /// the field; everything else is left for the validator.
    static func decode(_ object: [String: JSONValue], stored: Webhook?) throws(AdminError) -> Decoded {
        var draft = stored.map(WebhookDraft.init) ?? WebhookDraft()
        var problems: [WebhookFieldProblem] = []
        let reader = FieldReader(object: object, prefix: "")
        if let name = try reader.string("name") { draft.name = name }
        if let description = try reader.string("description") { draft.description = description }
        if let active = try reader.bool("active") { draft.isActive = active }
        if let tenant = try reader.string("tenant") { draft.tenant = tenant }
        if let all = try reader.bool("all_tenants") { draft.servesAllTenants = all }
        if let tenants = try reader.strings("tenants") { draft.tenants = tenants }
        if let url = try reader.string("url") {
            // A URL with masked credentials is the stored one sent back unchanged.
            if let stored, url != stored.url, url == Webhook.redactedURL(stored.url) { draft.url = stored.url } else {
                draft.url = url
            }
        }
        if let headers = object["headers"] {
            draft.headers = try decodeHeaders(headers, stored: stored?.headers ?? [], problems: &problems)
        }
        if let auth = object["auth"] {
            draft.auth = try decodeAuth(auth, stored: stored.map { WebhookAuthDraft($0.auth) }, problems: &problems)
        }
        if object.keys.contains("signing_secret") {
            if let secret = try reader.string("signing_secret"), !secret.isEmpty {
                draft.signingSecret = restore(secret, field: "signing_secret", from: stored?.signingSecret,
                                              problems: &problems)
            } else {
                draft.signingSecret = nil
            }
        }
        if let all = try reader.bool("subscribe_all") { draft.subscribesToAllEvents = all }
        if let events = try reader.strings("events") { draft.events = events }
        return Decoded(draft: draft, problems: problems)
    }

    private static func decodeHeaders(_ value: JSONValue, stored: [WebhookHeader],
                                      problems: inout [WebhookFieldProblem]) throws(AdminError) -> [WebhookHeader] {
        var pairs: [(String, JSONValue)] = []
        switch value {
        case .null: return []
        case .object(let map): pairs = map.keys.sorted().map { ($0, map[$0]!) }
        case .array(let items):
            for (index, item) in items.enumerated() {
                guard let entry = item.objectValue else {
                    throw .invalidField("headers[\(index)]", "must be an object with name and value")
                }
                guard let name = entry["name"]?.stringValue else {
                    throw .invalidField("headers[\(index)].name", "must be a string")
                }
                pairs.append((name, entry["value"] ?? .string("")))
            }
        default: throw .invalidField("headers", "must be a list of {name, value} objects")
        }
        var headers: [WebhookHeader] = []
        for (name, raw) in pairs {
            guard let value = raw.stringValue else { throw .invalidField("headers.\(name)", "value must be a string") }
            let storedValue = stored.first { $0.name.lowercased() == name.lowercased() }?.value
            headers.append(WebhookHeader(name: name, value: restore(value, field: "headers.\(name)", from: storedValue,
                                                                    problems: &problems)))
        }
        return headers
    }

    private static func decodeAuth(_ value: JSONValue, stored: WebhookAuthDraft?,
                                   problems: inout [WebhookFieldProblem]) throws(AdminError) -> WebhookAuthDraft {
        if value == .null { return WebhookAuthDraft() }
        guard let object = value.objectValue else { throw .invalidField("auth", "must be an object with a type") }
        let reader = FieldReader(object: object, prefix: "auth.")
        var auth = WebhookAuthDraft(type: try reader.string("type") ?? "none")
        auth.username = try reader.string("username")
        auth.tokenURL = try reader.string("token_url")
        auth.clientID = try reader.string("client_id")
        auth.scopes = try reader.scopes("scopes")
        auth.password = try reader.string("password").map {
            restore($0, field: "auth.password", from: stored?.password, problems: &problems)
        }
        auth.token = try reader.string("token").map {
            restore($0, field: "auth.token", from: stored?.token, problems: &problems)
        }
        auth.clientSecret = try reader.string("client_secret").map {
            restore($0, field: "auth.client_secret", from: stored?.clientSecret, problems: &problems)
        }
        // Optional scopes sent as an empty list are the same as leaving them out.
        if auth.scopes?.isEmpty == true { auth.scopes = nil }
        return auth
    }

    /// The mask means "unchanged": it becomes the stored secret; with nothing stored it is a problem.
    private static func restore(_ value: String, field: String, from stored: String?,
                                problems: inout [WebhookFieldProblem]) -> String {
        guard value == mask else { return value }
        guard let stored, !stored.isEmpty else {
            problems.append(WebhookFieldProblem(field: field, message: "no stored secret to keep; enter the value"))
            return ""
        }
        return stored
    }
}

/// Reads typed fields from a JSON object, naming the field (with its prefix) when the type is wrong.
struct FieldReader {
    let object: [String: JSONValue]
    let prefix: String

    func string(_ key: String) throws(AdminError) -> String? {
        switch object[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw .invalidField(prefix + key, "must be a string")
        }
    }

    func bool(_ key: String) throws(AdminError) -> Bool? {
        switch object[key] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        default: throw .invalidField(prefix + key, "must be true or false")
        }
    }

    func strings(_ key: String) throws(AdminError) -> [String]? {
        switch object[key] {
        case nil, .null?: return nil
        case .array(let items)?:
            var values: [String] = []
            for (index, item) in items.enumerated() {
                guard let value = item.stringValue else {
                    throw .invalidField("\(prefix)\(key)[\(index)]", "must be a string")
                }
                values.append(value)
            }
            return values
        default: throw .invalidField(prefix + key, "must be a list of strings")
        }
    }

    /// Scopes as a list, or as one space- or comma-separated string (what a text box gives).
    func scopes(_ key: String) throws(AdminError) -> [String]? {
        if case .string(let text)? = object[key] {
            return text.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        }
        return try strings(key)
    }
}
