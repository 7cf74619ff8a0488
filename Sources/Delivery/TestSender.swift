import Crypto
import Curl
import Foundation
import Webhooks

/// What a test send found out.
public struct TestSendResult: Sendable, Hashable {
    /// An HTTP answer came back (any status). False for refused, timeout, DNS, TLS or token failures.
    public var reachable: Bool
    public var status: Int?
    /// The first bytes of the response body (4 KB).
    public var responseBody: String
    public var elapsedMilliseconds: Double
    /// Why it was not reachable, or why the token could not be obtained; nil otherwise.
    public var error: String?
    /// The `webhook-id` sent.
    public var messageID: String

    /// Reachable and answered 2xx.
    public var succeeded: Bool { reachable && (200...299).contains(status ?? 0) }

    public init(reachable: Bool, status: Int?, responseBody: String, elapsedMilliseconds: Double, error: String?,
                messageID: String) {
        self.reachable = reachable
        self.status = status
        self.responseBody = responseBody
        self.elapsedMilliseconds = elapsedMilliseconds
        self.error = error
        self.messageID = messageID
    }
}

/// Sends one request with a webhook's real headers, signature and auth, once, blocking, no retries.
/// Used by `event-publisher webhooks test` and the admin API's `POST /api/webhooks/test`.
///
/// The `webhook-id` is the body's `id` when the body is a JSON object that has one (a sample event),
/// else a fresh `msg_test_…`. OAuth2 tokens are fetched fresh (the worker's cache is not touched).
public enum TestSender {
    public static func send(url: String, headers: [WebhookHeader], auth: WebhookAuth, signingSecret: String?,
                            body: [UInt8], limits: DeliveryLimits = DeliveryLimits(totalTimeoutMilliseconds: 10_000),
                            userAgent: String = DeliveryConfiguration.defaultUserAgent,
                            destinationPolicy: DestinationPolicy = .permissive) -> TestSendResult {
        let started = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000 }
        let messageID = Self.messageID(for: body)
        func failure(_ text: String) -> TestSendResult {
            TestSendResult(reachable: false, status: nil, responseBody: "", elapsedMilliseconds: elapsed(),
                           error: text, messageID: messageID)
        }
        // Destination policy first (before any OAuth2 token request); the token endpoint is not checked.
        let verdict = destinationPolicy.check(url: url)
        if case .refused(let reason) = verdict, destinationPolicy.refusesNonPublicAddresses { return failure(reason) }

        let authorization: String?
        switch auth {
        case .none: authorization = nil
        case .basic(let username, let password):
            authorization = DeliveryRequest.basicAuthorization(username: username, password: password)
        case .bearer(let token): authorization = "Bearer \(token)"
        case .oauth2ClientCredentials(let client), .oauth2Password(let client, _, _):
            guard let tokenRequest = OAuth2Grant.tokenRequest(for: auth, limits: limits, userAgent: userAgent) else {
                return failure("OAuth2 configuration incomplete")
            }
            let result: Result<CurlResponse, CurlError>
            do { result = try CurlTransfer(request: tokenRequest).perform() } catch { result = .failure(error) }
            switch OAuth2Grant.token(from: result, tokenURL: client.tokenURL, nowMilliseconds: 0) {
            case .success(let token): authorization = token.authorization
            case .failure(let error): return failure(error.message)
            }
        }

        let request = DeliveryRequest(url: url, messageID: messageID, timestamp: Int64(Date().timeIntervalSince1970),
                                      body: body, headers: headers, authorization: authorization,
                                      signingSecret: signingSecret, userAgent: userAgent)
        var limits = limits
        limits.maxLoggedResponseBytes = max(limits.maxLoggedResponseBytes, 4_096)
        let result: Result<CurlResponse, CurlError>
        do {
            var curlRequest = try request.curlRequest(limits: limits)
            curlRequest.resolveEntries = verdict.curlResolveEntries
            result = try CurlTransfer(request: curlRequest).perform()
        } catch let error as DeliveryRequestError {
            return failure(error.description)
        } catch let error as CurlError {
            return failure(error.message)
        } catch {
            return failure("\(error)")
        }
        switch result {
        case .success(let response):
            return TestSendResult(reachable: true, status: response.status, responseBody: response.bodyText,
                                  elapsedMilliseconds: elapsed(), error: nil, messageID: messageID)
        case .failure(let error):
            return failure("\(url) unreachable: \(error.message)")
        }
    }

    /// Sends `body` to `webhook` as configured (URL, headers, auth, signing secret).
    public static func send(webhook: Webhook, body: [UInt8],
                            limits: DeliveryLimits = DeliveryLimits(totalTimeoutMilliseconds: 10_000),
                            userAgent: String = DeliveryConfiguration.defaultUserAgent,
                            destinationPolicy: DestinationPolicy = .permissive) -> TestSendResult {
        send(url: webhook.url, headers: webhook.headers, auth: webhook.auth, signingSecret: webhook.signingSecret,
             body: body, limits: limits, userAgent: userAgent, destinationPolicy: destinationPolicy)
    }

    static func messageID(for body: [UInt8]) -> String {
        if let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
           let id = object["id"] as? String, !id.isEmpty,
           !id.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F })
        {
            return id
        }
        let random = (try? secureRandomBytes(count: 12)) ?? Array(UUID().uuidString.utf8.prefix(12))
        return "msg_test_" + hexEncoded(random)
    }
}
