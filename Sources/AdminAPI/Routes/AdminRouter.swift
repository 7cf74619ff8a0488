import CallEvents
import Foundation
public import MicroHTTPD
import Observability
import Webhooks

/// The admin API and page as a pure function of the request: no sockets, testable in-process.
///
/// Routes (fixed by the contract): `/api/webhooks[?search=]`, `/api/webhooks/{id}`, `/api/webhooks/test`,
/// `/api/events[/{name}]`, `/api/deliveries?webhook={id}`, `/api/deliveries/{id}/redeliver`, `/api/tenants`
/// behind `Authorization: Bearer <token>`; `/healthz`, `/metrics` and the page (`/`, `/assets/…`) open.
public struct AdminRouter: Sendable {
    let token: String
    let dependencies: AdminDependencies
    let logger: Logger

    public init(token: String, dependencies: AdminDependencies, logger: Logger) {
        self.token = token
        self.dependencies = dependencies
        self.logger = logger
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: true)
            .map { String($0).removingPercentEncoding ?? String($0) }
        do {
            if segments.first == "api" {
                guard BearerToken.matches(request.header("authorization"), expected: token) else {
                    throw AdminError.unauthorized
                }
                return try routeAPI(request, Array(segments.dropFirst()))
            }
            return try routeOpen(request, segments)
        } catch {
            guard let answer = AdminError.mapping(error) else {
                logger.error("admin request failed", ["http.method": request.method, "http.path": request.path,
                                                      "error": "\(error)"])
                return AdminError.internalError.response
            }
            return answer.response
        }
    }

    private func routeOpen(_ request: HTTPRequest, _ segments: [String]) throws -> HTTPResponse {
        let route = Route(segments)
        if route.matches() {
            try only(request, "GET")
            return AdminPage.index
        }
        if let name = route.matches("assets", .any) {
            try only(request, "GET")
            guard let asset = AdminPage.asset(named: name[0]) else { throw AdminError.notFound }
            return asset
        }
        if route.matches("healthz") != nil {
            try only(request, "GET")
            return .json(["status": "ok"])
        }
        if route.matches("metrics") != nil {
            try only(request, "GET")
            return PrometheusText.response(for: dependencies.metrics())
        }
        throw AdminError.notFound
    }

    private func routeAPI(_ request: HTTPRequest, _ segments: [String]) throws -> HTTPResponse {
        let webhooks = WebhookHandlers(dependencies: dependencies, logger: logger)
        let route = Route(segments)
        let method = request.method
        if route.matches("webhooks") != nil {
            switch method {
            case "GET": return try webhooks.list(search: request.query["search"])
            case "POST": return try webhooks.create(body: request.body)
            default: throw AdminError.methodNotAllowed(["GET", "POST"])
            }
        }
        if route.matches("webhooks", "test") != nil {
            guard method == "POST" else { throw AdminError.methodNotAllowed(["POST"]) }
            return try webhooks.test(body: request.body)
        }
        if let captured = route.matches("webhooks", .any) {
            let id = try Self.id(captured[0])
            switch method {
            case "GET": return try webhooks.show(id: id)
            case "PUT": return try webhooks.update(id: id, body: request.body)
            case "DELETE": return try webhooks.delete(id: id)
            default: throw AdminError.methodNotAllowed(["GET", "PUT", "DELETE"])
            }
        }
        if route.matches("tenants") != nil {
            try only(request, "GET")
            return try webhooks.tenants()
        }
        if route.matches("events") != nil {
            try only(request, "GET")
            return EventHandlers(catalog: dependencies.events).list()
        }
        if let captured = route.matches("events", .any) {
            try only(request, "GET")
            return try EventHandlers(catalog: dependencies.events).show(name: captured[0])
        }
        if route.matches("deliveries") != nil {
            try only(request, "GET")
            var webhookID: Int64?
            if let value = request.query["webhook"], !value.isEmpty {
                guard let id = Int64(value) else { throw AdminError.invalidField("webhook", "must be a webhook id") }
                webhookID = id
            }
            let limit = Int(request.query["limit"] ?? "") ?? 100
            return try DeliveryHandlers(log: dependencies.deliveries).list(webhookID: webhookID, limit: limit)
        }
        if let captured = route.matches("deliveries", .any, "redeliver") {
            guard method == "POST" else { throw AdminError.methodNotAllowed(["POST"]) }
            return try DeliveryHandlers(log: dependencies.deliveries).redeliver(id: try Self.id(captured[0]))
        }
        throw AdminError.notFound
    }

    private func only(_ request: HTTPRequest, _ method: String) throws(AdminError) {
        guard request.method == method else { throw .methodNotAllowed([method]) }
    }

    static func id(_ text: String) throws(AdminError) -> Int64 {
        guard let id = Int64(text), id > 0 else { throw .notFound }
        return id
    }
}

/// Matches path segments against literals and `.any` placeholders, returning the captured segments.
struct Route {
    enum Part: ExpressibleByStringLiteral {
        case literal(String)
        case any
        init(stringLiteral value: String) { self = .literal(value) }
    }

    let segments: [String]
    init(_ segments: [String]) { self.segments = segments }

    func matches(_ parts: Part...) -> [String]? {
        guard parts.count == segments.count else { return nil }
        var captured: [String] = []
        for (part, segment) in zip(parts, segments) {
            switch part {
            case .literal(let text): if text != segment { return nil }
            case .any: captured.append(segment)
            }
        }
        return captured
    }

    /// The root path.
    func matches() -> Bool { segments.isEmpty }
}
