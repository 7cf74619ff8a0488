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
        var lines: [String] = []
        func add(_ name: String, _ value: String) throws(DeliveryRequestError) {
            guard WebhookValidator.isHeaderToken(name) else { throw .invalidHeaderName(name) }
            guard !value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) else {
                throw .lineBreakInHeader(name)
            }
            lines.append("\(name): \(value)")
        }
        try add("Content-Type", "application/json")
        try add("User-Agent", userAgent)
        try add("webhook-id", messageID)
        try add("webhook-timestamp", String(timestamp))
        if let signingSecret {
            guard let signature = StandardWebhooksSignature.sign(secret: signingSecret, messageID: messageID,
                                                                 timestamp: timestamp, body: body)
            else { throw .invalidSigningSecret }
            try add("webhook-signature", signature)
        }
        if let authorization { try add("Authorization", authorization) }
        for header in headers {
            let lower = header.name.lowercased()
            if Self.reservedNames.contains(lower) || (authorization != nil && lower == "authorization") { continue }
            try add(header.name, header.value)
        }
        return lines
    }

    /// The libcurl request with the given limits.
    public func curlRequest(limits: DeliveryLimits) throws(DeliveryRequestError) -> CurlRequest {
        CurlRequest(method: "POST", url: url, headerLines: try headerLines(), body: body,
                    connectTimeoutMilliseconds: limits.connectTimeoutMilliseconds,
                    totalTimeoutMilliseconds: limits.totalTimeoutMilliseconds,
                    maxResponseBytes: limits.maxLoggedResponseBytes, allowHTTP2: true, verifyTLS: limits.verifyTLS)
    }

    /// `Basic base64(user:password)` (RFC 7617).
    public static func basicAuthorization(username: String, password: String) -> String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
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
