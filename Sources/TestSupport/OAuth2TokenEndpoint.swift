import Foundation
public import MicroHTTPD
import Synchronization

/// A real OAuth2 token endpoint (RFC 6749 §4.3 password and §4.4 client credentials grants) on
/// 127.0.0.1, for tests: checks the client (HTTP Basic or `client_id`/`client_secret` in the body),
/// the user, the scopes, and issues random bearer tokens that expire. Receivers ask `validate(_:)`.
public final class OAuth2TokenEndpoint: Sendable {
    public struct Client: Sendable {
        public var id: String
        public var secret: String
        /// Scopes it may ask for; nil allows any.
        public var allowedScopes: [String]?
        public init(id: String, secret: String, allowedScopes: [String]? = nil) {
            self.id = id
            self.secret = secret
            self.allowedScopes = allowedScopes
        }
    }

    public struct User: Sendable {
        public var username: String
        public var password: String
        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }
    }

    public struct IssuedToken: Sendable {
        public var accessToken: String
        public var clientID: String
        public var username: String?
        public var scopes: [String]
        public var grantType: String
        public var expiresAt: Date
    }

    /// One request to the endpoint, as received (form fields decoded).
    public struct TokenRequest: Sendable {
        public var form: [String: String]
        public var authorization: String?
    }

    fileprivate struct State {
        var issued: [String: IssuedToken] = [:]
        var revoked: Set<String> = []
        var order: [String] = []
        var requests: [TokenRequest] = []
        var failuresToInject: [(status: Int, body: String)] = []
    }

    private let server: HTTPServer
    private let issuer: TokenIssuer

    public init(clients: [Client], users: [User] = [], tokenLifetimeSeconds: Int = 3600) throws {
        let issuer = TokenIssuer(clients: Dictionary(clients.map { ($0.id, $0) }, uniquingKeysWith: { $1 }),
                                 users: Dictionary(users.map { ($0.username, $0.password) }, uniquingKeysWith: { $1 }),
                                 tokenLifetimeSeconds: tokenLifetimeSeconds)
        self.issuer = issuer
        server = try HTTPServer(host: "127.0.0.1", port: 0) { request in issuer.handle(request) }
    }

    /// `http://127.0.0.1:<port>/oauth/token`.
    public var tokenURL: String { server.baseURL + "/oauth/token" }

    /// Whether `authorization` (`Bearer <token>`) carries a token issued here, unexpired and not revoked.
    public func validate(_ authorization: String?, requiredScope: String? = nil) -> Bool {
        guard let authorization, authorization.hasPrefix("Bearer ") else { return false }
        let token = String(authorization.dropFirst("Bearer ".count))
        return issuer.state.withLock { state in
            guard let issued = state.issued[token], !state.revoked.contains(token), issued.expiresAt > Date()
            else { return false }
            if let requiredScope, !issued.scopes.contains(requiredScope) { return false }
            return true
        }
    }

    /// Tokens issued so far, oldest first.
    public var issuedTokens: [IssuedToken] { issuer.state.withLock { s in s.order.compactMap { s.issued[$0] } } }
    /// Token requests received so far (answered or not).
    public var requests: [TokenRequest] { issuer.state.withLock { $0.requests } }

    /// Invalidates every token issued so far (the next delivery gets a 401 from a checking receiver).
    public func revokeAll() { issuer.state.withLock { $0.revoked.formUnion($0.issued.keys) } }

    /// The next `count` token requests fail with `status` (e.g. 503) before any check.
    public func failNext(_ count: Int, status: Int = 503, body: String = #"{"error":"temporarily_unavailable"}"#) {
        issuer.state.withLock { $0.failuresToInject += Array(repeating: (status, body), count: count) }
    }

    public func stop() { server.stop() }
}

/// The endpoint's state and request handling; the server's handler holds it (not the endpoint), so
/// dropping the endpoint stops the server from the test's thread, never from a server thread.
private final class TokenIssuer: Sendable {
    let state = Mutex(OAuth2TokenEndpoint.State())
    let clients: [String: OAuth2TokenEndpoint.Client]
    let users: [String: String]
    let tokenLifetimeSeconds: Int

    init(clients: [String: OAuth2TokenEndpoint.Client], users: [String: String], tokenLifetimeSeconds: Int) {
        self.clients = clients
        self.users = users
        self.tokenLifetimeSeconds = tokenLifetimeSeconds
    }


    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let form = Self.decodeForm(String(decoding: request.body, as: UTF8.self))
        let injected = state.withLock { state -> (Int, String)? in
            state.requests.append(OAuth2TokenEndpoint.TokenRequest(form: form, authorization: request.header("authorization")))
            return state.failuresToInject.isEmpty ? nil : state.failuresToInject.removeFirst()
        }
        if let (status, body) = injected { return Self.json(status, body) }
        guard request.method == "POST", request.path == "/oauth/token" else {
            return Self.error(405, "invalid_request", "POST to /oauth/token")
        }
        guard (request.header("content-type") ?? "").hasPrefix("application/x-www-form-urlencoded") else {
            return Self.error(400, "invalid_request", "expected application/x-www-form-urlencoded")
        }
        // Client authentication: Basic (RFC 6749 §2.3.1) or body parameters.
        var clientID = form["client_id"], clientSecret = form["client_secret"]
        if let basic = request.header("authorization"), basic.hasPrefix("Basic ") {
            guard let data = Data(base64Encoded: String(basic.dropFirst(6))),
                  let pair = String(data: data, encoding: .utf8), let colon = pair.firstIndex(of: ":")
            else { return Self.error(401, "invalid_client", "malformed Basic credentials") }
            clientID = Self.formDecode(String(pair[..<colon]))
            clientSecret = Self.formDecode(String(pair[pair.index(after: colon)...]))
        }
        guard let clientID, let clientSecret, let client = clients[clientID], client.secret == clientSecret else {
            return Self.error(401, "invalid_client", "unknown client or wrong secret")
        }
        let grant = form["grant_type"] ?? ""
        var username: String?
        switch grant {
        case "client_credentials":
            break
        case "password":
            guard let user = form["username"], let password = form["password"], users[user] == password else {
                return Self.error(400, "invalid_grant", "wrong username or password")
            }
            username = user
        default:
            return Self.error(400, "unsupported_grant_type", "grant_type \(grant) not supported")
        }
        let scopes = (form["scope"] ?? "").split(separator: " ").map(String.init)
        if let allowed = client.allowedScopes, let bad = scopes.first(where: { !allowed.contains($0) }) {
            return Self.error(400, "invalid_scope", "scope \(bad) not allowed for this client")
        }
        let token = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let issued = OAuth2TokenEndpoint.IssuedToken(accessToken: token, clientID: clientID, username: username, scopes: scopes,
                                 grantType: grant, expiresAt: Date().addingTimeInterval(Double(tokenLifetimeSeconds)))
        state.withLock {
            $0.issued[token] = issued
            $0.order.append(token)
        }
        let scopeField = scopes.isEmpty ? "" : #","scope":"\#(scopes.joined(separator: " "))""#
        return Self.json(200, #"{"access_token":"\#(token)","token_type":"Bearer","expires_in":\#(tokenLifetimeSeconds)\#(scopeField)}"#)
    }

    private static func json(_ status: Int, _ body: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
                     body: Array(body.utf8))
    }

    private static func error(_ status: Int, _ code: String, _ description: String) -> HTTPResponse {
        var response = json(status, #"{"error":"\#(code)","error_description":"\#(description)"}"#)
        if status == 401 { response.headers.append(("WWW-Authenticate", #"Basic realm="token""#)) }
        return response
    }

    static func decodeForm(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            fields[formDecode(String(parts[0]))] = parts.count > 1 ? formDecode(String(parts[1])) : ""
        }
        return fields
    }

    static func formDecode(_ text: String) -> String {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? text
    }
}
