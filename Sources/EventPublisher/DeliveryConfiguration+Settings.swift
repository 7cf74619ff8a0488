import Configuration
import Delivery
import Webhooks

extension DeliveryConfiguration {
    /// This configuration with the file's `delivery:` section laid over it: keys the file leaves out
    /// keep the built-in defaults (the Svix retry schedule, 5 s connect and 15 s request timeouts,
    /// 16 attempts in flight per webhook, 1,024 in all, disable after 5 days failing, 30 days of log).
    /// Applied at start; a reload that changes the section is logged as needing a restart.
    public func applying(_ settings: DeliverySettings) -> DeliveryConfiguration {
        var configuration = self
        if settings.refusePrivateDestinations { configuration.destinationPolicy = .refusingPrivateNetworks }
        if let schedule = settings.retryScheduleMilliseconds {
            configuration.policy.schedule = schedule.map { .milliseconds($0) }
        }
        if let failing = settings.disableAfterFailingForMilliseconds {
            configuration.policy.disableAfterFailingFor = failing.map { .milliseconds($0) }
        }
        if let connect = settings.connectTimeoutMilliseconds {
            configuration.limits.connectTimeoutMilliseconds = Int(connect)
        }
        if let total = settings.requestTimeoutMilliseconds {
            configuration.limits.totalTimeoutMilliseconds = Int(total)
        }
        if let perWebhook = settings.maxInFlightPerWebhook { configuration.maxInFlightPerWebhook = perWebhook }
        if let total = settings.maxInFlight { configuration.maxInFlightTotal = total }
        if let retention = settings.logRetentionMilliseconds {
            configuration.logRetention = retention.map { .milliseconds($0) }
        }
        return configuration
    }
}
