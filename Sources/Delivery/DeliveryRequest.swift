import Curl
import Foundation
import Webhooks

/// Builds the HTTP request for one attempt: the body as enqueued and the delivery headers of
/// event-model.md, in this order: `Content-Type`, `User-Agent`, `webhook-id`, `webhook-timestamp`,
/// `webhook-signature` (when a signing secret is set), the auth header, then the fixed headers.
///
/// Header injection is impossible by construction: a name that is not an RFC 9110 token or a value
/// with CR, LF or NUL (from the configuration or from a token endpoint) fails the attempt with a
/// clear error instead of reaching libcurl. Fixed headers cannot replace the protocol headers.
public struct DeliveryRequest: Sendable {
    public var url: String
    public var messageID: String
    /// Unix seconds of this attempt (`webhook-timestamp`).
    public var timestamp: Int64
    public var body: [UInt8]
    public var headers: [WebhookHeader]
    /// The complete `Authorization` value (`Basic …`, `Bearer …`), already resolved; nil for none.
    public var authorization: String?
    public var signingSecret: String?
    public var userAgent: String

    public init(url: String, messageID: String, timestamp: Int64, body: [UInt8], headers: [WebhookHeader],
                authorization: String?, signingSecret: String?, userAgent: String) {
        self.url = url
        self.messageID = messageID
        self.timestamp = timestamp
        self.body = body
        self.headers = headers
        self.authorization = authorization
        self.signingSecret = signingSecret
        self.userAgent = userAgent
    }

    /// Header names the product sets itself; a fixed header with one of these names is skipped.
    static let reservedNames: Set<String> = [
        "content-type", "content-length", "host", "transfer-encoding", "connection", "expect", "user-agent",
        "webhook-id", "webhook-timestamp", "webhook-signature",
    ]

    /// The header lines, or why they cannot be sent.
    public func headerLines() throws(DeliveryRequestError) -> [String] {
        try DeliveryHeaderTemplate(userAgent: userAgent, headers: headers,
                                   authorization: authorization.map { .fixed($0) } ?? .none,
                                   signingSecret: signingSecret)
            .lines(messageID: messageID, timestamp: timestamp, body: body)
    }

    /// Validates one header line; the check every line sent goes through.
    static func line(_ name: String, _ value: String) throws(DeliveryRequestError) -> String {
        guard WebhookValidator.isHeaderToken(name) else { throw .invalidHeaderName(name) }
        guard !hasLineBreak(value) else { throw .lineBreakInHeader(name) }
        return "\(name): \(value)"
    }

    /// Whether a header value holds CR, LF or NUL (which would end the line or the header).
    static func hasLineBreak(_ value: String) -> Bool {
        value.utf8.contains { $0 == 13 || $0 == 10 || $0 == 0 }
    }

    /// The libcurl request with the given limits.
    public func curlRequest(limits: DeliveryLimits) throws(DeliveryRequestError) -> CurlRequest {
        Self.curlRequest(url: url, headerLines: try headerLines(), body: body, limits: limits)
    }

    /// The libcurl request of a delivery whose header lines are already built (and validated).
    static func curlRequest(url: String, headerLines: [String], body: [UInt8], limits: DeliveryLimits) -> CurlRequest {
        CurlRequest(method: "POST", url: url, headerLines: headerLines, body: body,
                    connectTimeoutMilliseconds: limits.connectTimeoutMilliseconds,
                    totalTimeoutMilliseconds: limits.totalTimeoutMilliseconds,
                    maxResponseBytes: limits.maxLoggedResponseBytes, allowHTTP2: true, verifyTLS: limits.verifyTLS)
    }

    /// `Basic base64(user:password)` (RFC 7617).
    public static func basicAuthorization(username: String, password: String) -> String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }
}

/// The header lines of a webhook's deliveries, validated once per webhook version.
///
/// Everything but `webhook-id`, `webhook-timestamp` and `webhook-signature` (and an OAuth2 token)
/// is the same for every attempt to a webhook, so the worker builds this once per version of the
/// webhook instead of validating and formatting every fixed header per attempt. A line that cannot
/// be sent is kept as its error and thrown by `lines` in the order `DeliveryRequest` documents, so
/// an attempt fails with the same error as when everything was checked per attempt.
public struct DeliveryHeaderTemplate: Sendable {
    /// Where the `Authorization` header comes from.
    public enum Authorization: Sendable, Hashable {
        /// No auth header (a fixed `Authorization` header is then sent as configured).
        case none
        /// The same value for every attempt (`Basic …`, `Bearer …`).
        case fixed(String)
        /// A value per attempt (an OAuth2 token), passed to `lines`.
        case perAttempt
    }

    /// `Content-Type` and `User-Agent`, or the error of the first invalid one.
    private let leading: Result<[String], DeliveryRequestError>
    /// The HMAC key of the signing secret (decoded once); nil without a secret.
    private let signingKey: Result<[UInt8], DeliveryRequestError>?
    private let authorization: Authorization
    /// The `Authorization` line for `.fixed`.
    private let fixedAuthorization: Result<String, DeliveryRequestError>?
    /// The fixed headers (reserved names skipped), or the error of the first invalid one.
    private let fixed: Result<[String], DeliveryRequestError>

    public init(userAgent: String, headers: [WebhookHeader], authorization: Authorization, signingSecret: String?) {
        leading = Result { () throws(DeliveryRequestError) in
            [try DeliveryRequest.line("Content-Type", "application/json"),
             try DeliveryRequest.line("User-Agent", userAgent)]
        }
        signingKey = signingSecret.map { secret in
            StandardWebhooksSignature.key(fromSecret: secret).map { .success($0) } ?? .failure(.invalidSigningSecret)
        }
        self.authorization = authorization
        if case .fixed(let value) = authorization {
            fixedAuthorization = Result { () throws(DeliveryRequestError) in
                try DeliveryRequest.line("Authorization", value)
            }
        } else {
            fixedAuthorization = nil
        }
        let hasAuthorization = authorization != .none
        fixed = Result { () throws(DeliveryRequestError) in
            var lines: [String] = []
            for header in headers {
                let lower = header.name.lowercased()
                if DeliveryRequest.reservedNames.contains(lower) || (hasAuthorization && lower == "authorization") {
                    continue
                }
                lines.append(try DeliveryRequest.line(header.name, header.value))
            }
            return lines
        }
    }

    /// The header lines of one attempt, in the documented order, or why they cannot be sent.
    /// - Parameter perAttempt: the `Authorization` value, required for `.perAttempt` (the fixed
    ///   headers were filtered for it), ignored otherwise.
    public func lines(messageID: String, timestamp: Int64, body: [UInt8],
                      authorization perAttempt: String? = nil) throws(DeliveryRequestError) -> [String] {
        var lines = try leading.get()
        lines.reserveCapacity(lines.count + 4 + ((try? fixed.get())?.count ?? 0))
        // The protocol headers' names are tokens by construction: only their values are checked.
        guard !DeliveryRequest.hasLineBreak(messageID) else { throw .lineBreakInHeader("webhook-id") }
        lines.append("webhook-id: " + messageID)
        lines.append("webhook-timestamp: " + String(timestamp))
        if let signingKey {
            let signature = StandardWebhooksSignature.sign(key: try signingKey.get(), messageID: messageID,
                                                           timestamp: timestamp, body: body)
            lines.append("webhook-signature: " + signature)  // `v1,` + base64: nothing to escape
        }
        switch authorization {
        case .none: break
        case .fixed: lines.append(try fixedAuthorization!.get())
        case .perAttempt:
            if let perAttempt { lines.append(try DeliveryRequest.line("Authorization", perAttempt)) }
        }
        lines.append(contentsOf: try fixed.get())
        return lines
    }
}

/// Why a request could not be built. Retrying does not help until the configuration changes.
public enum DeliveryRequestError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidHeaderName(String)
    case lineBreakInHeader(String)
    case invalidSigningSecret

    public var description: String {
        switch self {
        case .invalidHeaderName(let name): return "header name \"\(name)\" is not a valid HTTP token; not sent"
        case .lineBreakInHeader(let name): return "header \(name) contains CR, LF or NUL; not sent"
        case .invalidSigningSecret: return "signing secret is not \"whsec_\" followed by base64; not sent"
        }
    }
}

/// Timeouts and sizes of every attempt.
public struct DeliveryLimits: Sendable, Hashable {
    /// `CURLOPT_CONNECTTIMEOUT_MS`.
    public var connectTimeoutMilliseconds: Int
    /// `CURLOPT_TIMEOUT_MS` (svix: 15 s).
    public var totalTimeoutMilliseconds: Int
    /// Response bytes kept in the delivery log.
    public var maxLoggedResponseBytes: Int
    /// Never false in production; tests of a self-signed receiver may turn it off.
    public var verifyTLS: Bool

    public init(connectTimeoutMilliseconds: Int = 5_000, totalTimeoutMilliseconds: Int = 15_000,
                maxLoggedResponseBytes: Int = 2_048, verifyTLS: Bool = true) {
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.totalTimeoutMilliseconds = totalTimeoutMilliseconds
        self.maxLoggedResponseBytes = maxLoggedResponseBytes
        self.verifyTLS = verifyTLS
    }
}
