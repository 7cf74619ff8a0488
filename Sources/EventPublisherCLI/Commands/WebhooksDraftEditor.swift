import Configuration
import Foundation
import Webhooks

/// Applies the field flags of `webhooks add` / `webhooks edit` to a draft: given flags change
/// their field, everything else is kept (edit) or defaulted (add). The validator judges the result.
enum WebhooksDraftEditor {
    struct Problem: Error {
        var message: String
    }

    static func apply(_ args: WebhooksArguments, to draft: inout WebhookDraft,
                      environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func secret(_ flag: String, _ value: String) throws -> String {
            switch EnvironmentSubstitution.apply(value, environment: environment) {
            case .success(let expanded): return expanded
            case .failure(let problem): throw Problem(message: "\(flag): \(problem.message)")
            }
        }
        if let name = args.value("--name") { draft.name = name }
        if let description = args.value("--description") { draft.description = description }
        if args.has("--active") || args.has("--inactive") {
            draft.isActive = args.options.last { $0.flag == "--active" || $0.flag == "--inactive" }?.flag == "--active"
        }
        if args.has("--all-tenants") || args.has("--no-all-tenants") {
            draft.servesAllTenants = args.options.last { $0.flag.hasSuffix("all-tenants") }?.flag == "--all-tenants"
        }
        if let tenants = args.value("--tenants") { draft.tenants = list(tenants) }
        if let url = args.value("--url") { draft.url = url }

        if args.has("--clear-headers") { draft.headers = [] }
        for name in args.values("--remove-header") {
            draft.headers.removeAll { $0.name.lowercased() == name.lowercased() }
        }
        for pair in args.values("--header") {
            guard let equals = pair.firstIndex(of: "=") else {
                throw Problem(message: "--header needs NAME=VALUE, got \"\(pair)\"")
            }
            let name = String(pair[..<equals])
            let value = try secret("--header", String(pair[pair.index(after: equals)...]))
            if let index = draft.headers.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) {
                draft.headers[index] = WebhookHeader(name: name, value: value)
            } else {
                draft.headers.append(WebhookHeader(name: name, value: value))
            }
        }

        // A new auth type starts from scratch; otherwise the given fields change the current auth.
        if let type = args.value("--auth-type") { draft.auth = WebhookAuthDraft(type: type) }
        if let username = args.value("--username") { draft.auth.username = username }
        if let password = args.value("--password") { draft.auth.password = try secret("--password", password) }
        if let token = args.value("--token") { draft.auth.token = try secret("--token", token) }
        if let tokenURL = args.value("--token-url") { draft.auth.tokenURL = tokenURL }
        if let clientID = args.value("--client-id") { draft.auth.clientID = clientID }
        if let clientSecret = args.value("--client-secret") {
            draft.auth.clientSecret = try secret("--client-secret", clientSecret)
        }
        if args.has("--scope") || args.has("--scopes") {
            draft.auth.scopes = args.values("--scope") + args.values("--scopes").flatMap(list)
        }

        if args.has("--no-signing-secret") { draft.signingSecret = nil }
        if let signing = args.value("--signing-secret") {
            draft.signingSecret = try secret("--signing-secret", signing)
        }
        if args.has("--subscribe-all") || args.has("--no-subscribe-all") {
            let last = args.options.last { $0.flag.hasSuffix("subscribe-all") }
            draft.subscribesToAllEvents = last?.flag == "--subscribe-all"
        }
        if args.has("--event") || args.has("--events") {
            draft.events = args.values("--event") + args.values("--events").flatMap(list)
        }
    }

    /// `a, b,c` → ["a", "b", "c"]; empty text → [].
    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The flag that sets a validator field, for hints next to problems.
    static func flag(for field: String) -> String? {
        let base = field.split(separator: "[").first.map(String.init) ?? field
        if base.hasPrefix("headers") { return "--header" }
        let flags = [
            "name": "--name", "description": "--description", "tenant": "--tenant", "all_tenants": "--all-tenants",
            "tenants": "--tenants", "url": "--url", "auth.type": "--auth-type", "auth.username": "--username",
            "auth.password": "--password", "auth.token": "--token", "auth.token_url": "--token-url",
            "auth.client_id": "--client-id", "auth.client_secret": "--client-secret", "auth.scopes": "--scope",
            "signing_secret": "--signing-secret", "events": "--event",
        ]
        return flags[base]
    }
}
