public import MicroHTTPD
import CallEvents
public import Webhooks

/// An error the admin API answers with: a 4xx (or 500) status and the contract's JSON shape
/// `{"error": {"message": "…", "field": "…"}}`, plus `problems` when validation found several.
public struct AdminError: Error, Sendable, Hashable {
    public var status: Int
    public var message: String
    public var field: String?
    /// Every problem when validation found more than one (the first is also `message`/`field`).
    public var problems: [WebhookFieldProblem]

    public init(status: Int, message: String, field: String? = nil, problems: [WebhookFieldProblem] = []) {
        self.status = status
        self.message = message
        self.field = field
        self.problems = problems
    }

    /// 401 without details: neither "missing" nor "wrong" is revealed.
    public static let unauthorized = AdminError(status: 401, message: "unauthorized")
    public static let notFound = AdminError(status: 404, message: "not found")
    public static func methodNotAllowed(_ allowed: [String]) -> AdminError {
        AdminError(status: 405, message: "method not allowed; use \(allowed.joined(separator: ", "))")
    }
    public static func badRequest(_ message: String, field: String? = nil) -> AdminError {
        AdminError(status: 400, message: message, field: field)
    }
    /// A field holds a value of the wrong JSON type or an unknown choice.
    public static func invalidField(_ field: String, _ message: String) -> AdminError {
        AdminError(status: 422, message: message, field: field,
                   problems: [WebhookFieldProblem(field: field, message: message)])
    }
    public static func validation(_ problems: [WebhookFieldProblem]) -> AdminError {
        let first = problems.first ?? WebhookFieldProblem(field: "", message: "invalid")
        return AdminError(status: 422, message: first.message, field: first.field, problems: problems)
    }
    public static let internalError = AdminError(status: 500, message: "internal error")

    var json: JSONValue {
        var error: [String: JSONValue] = ["message": .string(message), "field": .optional(field)]
        if !problems.isEmpty {
            error["problems"] = .array(problems.map { ["field": .string($0.field), "message": .string($0.message)] })
        }
        return ["error": .object(error)]
    }

    public var response: HTTPResponse {
        var response = HTTPResponse.json(json, status: status)
        if status == 401 { response.headers.append(("WWW-Authenticate", "Bearer")) }
        return response
    }
}

extension HTTPResponse {
    static func json(_ value: JSONValue, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json; charset=utf-8"),
                                               ("Cache-Control", "no-store"),
                                               ("X-Content-Type-Options", "nosniff")],
                     body: value.encoded())
    }
}
