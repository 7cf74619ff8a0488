import CallEvents
import Foundation
import MicroHTTPD
import Observability
import Webhooks

/// `/api/webhooks…` and `/api/tenants`.
struct WebhookHandlers {
    let dependencies: AdminDependencies
    let logger: Logger
    private var store: any AdminWebhookStore { dependencies.webhooks }

    func list(search: String?) throws -> HTTPResponse {
        let trimmed = search?.trimmingCharacters(in: .whitespaces)
        let found = try store.webhooks(matching: trimmed?.isEmpty == true ? nil : trimmed)
        return .json(["webhooks": .array(found.map(WebhookJSON.encode))])
    }

    func show(id: Int64) throws -> HTTPResponse {
        guard let webhook = try store.webhook(id: id) else { throw AdminError.notFound }
        return .json(WebhookJSON.encode(webhook))
    }

    func create(body: [UInt8]) throws -> HTTPResponse {
        var decoded = try WebhookJSON.decode(try JSONBody.object(body), stored: nil)
        decoded.draft.origin = .api
        let webhook = try validated(decoded, id: 0)
        let created = try store.insert(webhook)
        logger.info("webhook created", metadata(created))
        return .json(WebhookJSON.encode(created), status: 201)
    }

    func update(id: Int64, body: [UInt8]) throws -> HTTPResponse {
        let object = try JSONBody.object(body)
        guard let stored = try store.webhook(id: id) else { throw AdminError.notFound }
        var decoded = try WebhookJSON.decode(object, stored: stored)
        decoded.draft.origin = stored.origin
        let webhook = try validated(decoded, id: id)
        let updated = try store.update(webhook)
        logger.info("webhook updated", metadata(updated))
        return .json(WebhookJSON.encode(updated))
    }

    func delete(id: Int64) throws -> HTTPResponse {
        guard try store.deleteWebhook(id: id) else { throw AdminError.notFound }
        logger.info("webhook deleted", ["webhook.id": String(id)])
        return HTTPResponse(status: 204)
    }

    func tenants() throws -> HTTPResponse {
        .json(["tenants": .array(try store.tenantNames().map { .string($0) })])
    }

    /// `POST /api/webhooks/test`: url, headers, auth, signing_secret, body (a string sent as is, or any JSON
    /// value sent encoded). With `id`, masked secrets come from that stored webhook (the Edit window only ever
    /// sees masks). Only the request fields are validated: a half-filled form can be tested.
    func test(body: [UInt8]) throws -> HTTPResponse {
        let object = try JSONBody.object(body)
        var stored: Webhook?
        if let id = object["id"], id != .null {
            guard let number = id.intValue else { throw AdminError.invalidField("id", "must be a webhook id") }
            stored = try store.webhook(id: number)
        }
        let decoded = try WebhookJSON.decode(object, stored: stored)
        // Only url, headers, auth and signing secret matter for a test; the rest is neutral.
        var draft = WebhookDraft(url: decoded.draft.url.trimmingCharacters(in: .whitespaces),
                                 headers: decoded.draft.headers, auth: decoded.draft.auth,
                                 signingSecret: decoded.draft.signingSecret, subscribesToAllEvents: true)
        draft.name = "test"
        let webhook = try validated(WebhookJSON.Decoded(draft: draft, problems: decoded.problems), id: 0,
                                    checkUniqueness: false)
        let payload: [UInt8]
        switch object["body"] {
        case .string(let text)?: payload = Array(text.utf8)
        case nil, .null?: payload = Array("{}".utf8)
        case let value?: payload = value.encoded()
        }
        let result = dependencies.testSender.send(AdminTestRequest(
            url: webhook.url, headers: webhook.headers, auth: webhook.auth, signingSecret: webhook.signingSecret,
            body: payload))
        logger.info("test send", ["webhook.url": Webhook.redactedURL(webhook.url),
                                  "test.reachable": String(result.reachable),
                                  "test.status": result.status.map(String.init) ?? "-"])
        return .json([
            "reachable": .bool(result.reachable),
            "status": result.status.map { .int(Int64($0)) } ?? .null,
            "response_body": .string(result.responseBody),
            "time_ms": .double((result.milliseconds * 10).rounded() / 10),
            "error": .optional(result.error),
        ])
    }

    /// The Webhooks module's validator, with the store as context; decoding problems (masked secrets with nothing
    /// stored) come first.
    private func validated(_ decoded: WebhookJSON.Decoded, id: Int64, checkUniqueness: Bool = true) throws -> Webhook {
        let validator = checkUniqueness
            ? WebhookValidator(knownTenants: try store.tenantNames(), existing: try store.webhooks(matching: nil))
            : WebhookValidator()
        switch validator.validate(decoded.draft, id: id) {
        case .success(let webhook) where decoded.problems.isEmpty:
            return webhook
        case .success:
            throw AdminError.validation(decoded.problems)
        case .failure(let error):
            throw AdminError.validation(decoded.problems + error.problems)
        }
    }

    private func metadata(_ webhook: Webhook) -> [String: String] {
        ["webhook.id": String(webhook.id), "webhook.name": webhook.name, "webhook.tenant": webhook.tenant]
    }
}
