import CallEvents
import Foundation
import SQLite
import Webhooks

/// Webhook ⇄ row. The SQL text of the store lives in this file and its siblings only.
extension WebhookStore {
    static let columns = """
        id, tenant, name, description, active, all_tenants, tenants, url, headers, auth, signing_secret,
        subscribe_all, events, origin
        """

    /// The values for the 13 non-id columns, in `columns` order after `id`.
    static func values(of webhook: Webhook) -> [SQLiteValue] {
        [.text(webhook.tenant), .text(webhook.name), .text(webhook.description), .bool(webhook.isActive),
         .bool(webhook.servesAllTenants), .text(json(webhook.tenants)), .text(webhook.url),
         .text(json(webhook.headers.map { HeaderColumn(name: $0.name, value: $0.value) })),
         .text(json(AuthColumn(webhook.auth))), .optional(webhook.signingSecret), .bool(webhook.subscribesToAllEvents),
         .text(json(webhook.events.map(\.rawValue))), .text(webhook.origin.rawValue)]
    }

    static func webhook(from row: SQLiteRow) -> Webhook {
        let headers = decode([HeaderColumn].self, row["headers"]) ?? []
        let auth = decode(AuthColumn.self, row["auth"]) ?? AuthColumn(type: "none")
        // Unknown event names (a newer version wrote them, then was rolled back) are dropped, not fatal.
        let events = (decode([String].self, row["events"]) ?? []).compactMap(EventName.init(rawValue:))
        return Webhook(id: row["id"].int64 ?? 0, name: row["name"].string ?? "",
                       description: row["description"].string ?? "", isActive: row["active"].bool ?? false,
                       tenant: row["tenant"].string ?? TenantRecord.mainName,
                       servesAllTenants: row["all_tenants"].bool ?? false,
                       tenants: decode([String].self, row["tenants"]) ?? [], url: row["url"].string ?? "",
                       headers: headers.map { WebhookHeader(name: $0.name, value: $0.value) }, auth: auth.auth,
                       signingSecret: row["signing_secret"].string,
                       subscribesToAllEvents: row["subscribe_all"].bool ?? false, events: events,
                       origin: WebhookOrigin(rawValue: row["origin"].string ?? "") ?? .api)
    }

    private static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ value: SQLiteValue) -> T? {
        guard let text = value.string else { return nil }
        return try? JSONDecoder().decode(type, from: Data(text.utf8))
    }
}

private struct HeaderColumn: Codable {
    var name: String
    var value: String
}

/// The `auth` column: the type plus the fields that mode uses, under their YAML/JSON names.
private struct AuthColumn: Codable {
    var type: String
    var username: String?
    var password: String?
    var token: String?
    var tokenURL: String?
    var clientID: String?
    var clientSecret: String?
    var scopes: [String]?

    enum CodingKeys: String, CodingKey {
        case type, username, password, token, scopes
        case tokenURL = "token_url"
        case clientID = "client_id"
        case clientSecret = "client_secret"
    }

    init(type: String) {
        self.type = type
    }

    init(_ auth: WebhookAuth) {
        let draft = WebhookAuthDraft(auth)
        type = draft.type
        username = draft.username
        password = draft.password
        token = draft.token
        tokenURL = draft.tokenURL
        clientID = draft.clientID
        clientSecret = draft.clientSecret
        scopes = draft.scopes
    }

    var auth: WebhookAuth {
        let client = OAuth2Client(tokenURL: tokenURL ?? "", clientID: clientID ?? "", clientSecret: clientSecret ?? "",
                                  scopes: scopes ?? [])
        switch type {
        case "basic": return .basic(username: username ?? "", password: password ?? "")
        case "bearer": return .bearer(token: token ?? "")
        case "oauth2_client_credentials": return .oauth2ClientCredentials(client)
        case "oauth2_password": return .oauth2Password(client, username: username ?? "", password: password ?? "")
        default: return .none
        }
    }
}
