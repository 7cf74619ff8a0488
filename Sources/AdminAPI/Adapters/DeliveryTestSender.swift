import Delivery

/// Test sends through the Delivery module's `TestSender`: the same headers, signature and auth as real
/// deliveries, once, no retries (what `event-publisher webhooks test` uses too).
public struct DeliveryTestSender: AdminTestSending {
    public var totalTimeoutMilliseconds: Int
    /// `delivery.refuse_private_destinations`, applied to test sends as to deliveries.
    public var destinationPolicy: DestinationPolicy

    public init(totalTimeoutMilliseconds: Int = 10_000, destinationPolicy: DestinationPolicy = .permissive) {
        self.totalTimeoutMilliseconds = totalTimeoutMilliseconds
        self.destinationPolicy = destinationPolicy
    }

    public func send(_ request: AdminTestRequest) -> AdminTestResult {
        let result = TestSender.send(url: request.url, headers: request.headers, auth: request.auth,
                                     signingSecret: request.signingSecret, body: request.body,
                                     limits: DeliveryLimits(totalTimeoutMilliseconds: totalTimeoutMilliseconds),
                                     destinationPolicy: destinationPolicy)
        return AdminTestResult(reachable: result.reachable, status: result.status, responseBody: result.responseBody,
                               milliseconds: result.elapsedMilliseconds, error: result.error)
    }
}
