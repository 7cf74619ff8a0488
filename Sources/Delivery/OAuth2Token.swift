import Crypto
import Curl
import Foundation
import Webhooks

/// An access token from a token endpoint (RFC 6749 §5.1).
public struct OAuth2Token: Sendable, Hashable {
    public var accessToken: String
    /// `Bearer` unless the server says otherwise.
    public var tokenType: String
    /// Unix milliseconds when it was issued (by our clock).
    public var issuedAt: Int64
    /// Unix milliseconds when it expires; nil when the server gave no `expires_in`.
    public var expiresAt: Int64?

    public init(accessToken: String, tokenType: String = "Bearer", issuedAt: Int64, expiresAt: Int64?) {
        self.accessToken = accessToken
        self.tokenType = tokenType
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }

    /// When to stop using it: shortly before expiry (10 % of its lifetime, at most 60 s early), so a
    /// request never leaves with a token that expires on the way.
    public var refreshAt: Int64? {
        guard let expiresAt else { return nil }
        let lifetime = max(0, expiresAt - issuedAt)
        return expiresAt - min(60_000, lifetime / 10)
    }

    public func isUsable(atMilliseconds now: Int64) -> Bool {
        guard let refreshAt else { return true }
        return now < refreshAt
    }

    /// The `Authorization` header value. Token types are case-insensitive; `bearer` is normalised.
    public var authorization: String {
        let type = tokenType.lowercased() == "bearer" || tokenType.isEmpty ? "Bearer" : tokenType
        return "\(type) \(accessToken)"
    }
}

/// A token endpoint failure, worded for the delivery log and the test send.
public struct OAuth2Error: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What identifies a cached token: the same endpoint, client, scopes and user share one.
public struct OAuth2TokenKey: Sendable, Hashable {
    public var tokenURL: String
    public var clientID: String
    public var scopes: [String]
    public var username: String?
    /// Part of the key so a changed secret or password never reuses a token obtained with the old one.
    var credentialsDigest: [UInt8]
}

/// The token request and response of the two grants the product supports.
///
/// Client authentication is `client_secret_basic` (RFC 6749 §2.3.1, the one every server must
/// accept): `Authorization: Basic base64(urlencode(id):urlencode(secret))`, with `client_id` also in
/// the body. Scopes are sent space-separated in `scope`.
public enum OAuth2Grant {
    /// The cache key for a webhook's auth, or nil when it does not use OAuth2.
    public static func key(for auth: WebhookAuth) -> OAuth2TokenKey? {
        switch auth {
        case .oauth2ClientCredentials(let client):
            return OAuth2TokenKey(tokenURL: client.tokenURL, clientID: client.clientID, scopes: client.scopes,
                                  username: nil, credentialsDigest: digest([client.clientSecret]))
        case .oauth2Password(let client, let username, let password):
            return OAuth2TokenKey(tokenURL: client.tokenURL, clientID: client.clientID, scopes: client.scopes,
                                  username: username, credentialsDigest: digest([client.clientSecret, password]))
        default:
            return nil
        }
    }

    private static func digest(_ parts: [String]) -> [UInt8] {
        sha256(Array(parts.joined(separator: "\u{0}").utf8))
    }

    /// The POST to the token endpoint; nil when `auth` is not OAuth2.
    public static func tokenRequest(for auth: WebhookAuth, limits: DeliveryLimits, userAgent: String) -> CurlRequest? {
        let client: OAuth2Client
        var form: [(String, String)]
        switch auth {
        case .oauth2ClientCredentials(let c):
            client = c
            form = [("grant_type", "client_credentials")]
        case .oauth2Password(let c, let username, let password):
            client = c
            form = [("grant_type", "password"), ("username", username), ("password", password)]
        default:
            return nil
        }
        form.append(("client_id", client.clientID))
        if !client.scopes.isEmpty { form.append(("scope", client.scopes.joined(separator: " "))) }
        let body = form.map { "\(formEncoded($0.0))=\(formEncoded($0.1))" }.joined(separator: "&")
        let credentials = "\(formEncoded(client.clientID)):\(formEncoded(client.clientSecret))"
        var headers = [
            "Content-Type: application/x-www-form-urlencoded",
            "Accept: application/json",
            "Authorization: Basic " + Data(credentials.utf8).base64EncodedString(),
        ]
        if !userAgent.utf8.contains(where: { $0 == 13 || $0 == 10 }) { headers.append("User-Agent: \(userAgent)") }
        return CurlRequest(method: "POST", url: client.tokenURL, headerLines: headers, body: Array(body.utf8),
                           connectTimeoutMilliseconds: limits.connectTimeoutMilliseconds,
                           totalTimeoutMilliseconds: limits.totalTimeoutMilliseconds, maxResponseBytes: 65_536,
                           allowHTTP2: true, verifyTLS: limits.verifyTLS)
    }

    /// Reads the token endpoint's answer (RFC 6749 §5.1 success, §5.2 error).
    public static func token(from result: Result<CurlResponse, CurlError>, tokenURL: String,
                             nowMilliseconds: Int64) -> Result<OAuth2Token, OAuth2Error> {
        let response: CurlResponse
        switch result {
        case .failure(let error):
            return .failure(OAuth2Error("OAuth2 token endpoint \(tokenURL) unreachable: \(error.message)"))
        case .success(let value):
            response = value
        }
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        guard (200...299).contains(response.status) else {
            var detail = "HTTP \(response.status)"
            if let code = json?["error"] as? String { detail += " \(code)" }
            if let text = json?["error_description"] as? String { detail += " (\(text))" }
            if json == nil, !response.body.isEmpty { detail += ": " + String(response.bodyText.prefix(200)) }
            return .failure(OAuth2Error("OAuth2 token endpoint \(tokenURL) refused: \(detail)"))
        }
        guard let json, let accessToken = json["access_token"] as? String, !accessToken.isEmpty else {
            return .failure(OAuth2Error("OAuth2 token endpoint \(tokenURL) answered \(response.status) without an access_token"))
        }
        guard !accessToken.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            return .failure(OAuth2Error("OAuth2 token endpoint \(tokenURL) returned a token with control characters"))
        }
        let tokenType = (json["token_type"] as? String) ?? "Bearer"
        var expiresIn: Int64?
        if let number = json["expires_in"] as? NSNumber {
            expiresIn = number.int64Value
        } else if let text = json["expires_in"] as? String, let value = Int64(text) {
            expiresIn = value
        }
        return .success(OAuth2Token(accessToken: accessToken, tokenType: tokenType, issuedAt: nowMilliseconds,
                                    expiresAt: expiresIn.map { nowMilliseconds + max(0, $0) * 1000 }))
    }

    /// `application/x-www-form-urlencoded` (WHATWG): unreserved bytes as they are, space as `+`.
    static func formEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "*"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

/// Tokens by key, used from one thread (the delivery worker's). Takes the time as an input.
public struct OAuth2TokenCache: Sendable {
    private var tokens: [OAuth2TokenKey: OAuth2Token] = [:]
    public init() {}

    public func token(for key: OAuth2TokenKey, nowMilliseconds: Int64) -> OAuth2Token? {
        guard let token = tokens[key], token.isUsable(atMilliseconds: nowMilliseconds) else { return nil }
        return token
    }

    public mutating func store(_ token: OAuth2Token, for key: OAuth2TokenKey) { tokens[key] = token }

    /// Forgets a token the receiver refused (401), unless a newer one replaced it meanwhile.
    public mutating func invalidate(_ key: OAuth2TokenKey, accessToken: String) {
        if tokens[key]?.accessToken == accessToken { tokens[key] = nil }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
