import Delivery

/// Test sends through the Delivery module's `TestSender`: the same headers, signature and auth as real
/// deliveries, once, no retries (what `event-publisher webhooks test` uses too).
public struct DeliveryTestSender: AdminTestSending {
    public var totalTimeoutMilliseconds: Int

    public init(totalTimeoutMilliseconds: Int = 10_000) {
        self.totalTimeoutMilliseconds = totalTimeoutMilliseconds
    }

    public func send(_ request: AdminTestRequest) -> AdminTestResult {
        let result = TestSender.send(url: request.url, headers: request.headers, auth: request.auth,
                                     signingSecret: request.signingSecret, body: request.body,
                                     limits: DeliveryLimits(totalTimeoutMilliseconds: totalTimeoutMilliseconds))
        return AdminTestResult(reachable: result.reachable, status: result.status, responseBody: result.responseBody,
                               milliseconds: result.elapsedMilliseconds, error: result.error)
    }
}
