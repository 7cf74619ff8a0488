import Foundation
public import Webhooks

/// How the delivery service behaves; every field has a production default.
public struct DeliveryConfiguration: Sendable {
    public static let defaultUserAgent = "event-publisher"

    public var policy: RetryPolicy
    public var limits: DeliveryLimits
    /// Attempts in flight at once per webhook (each is one connection with HTTP/1.1).
    public var maxInFlightPerWebhook: Int
    /// Attempts in flight at once in all.
    public var maxInFlightTotal: Int
    /// `event-publisher/<version>`; the composition root passes `BuildInfo.userAgent`.
    public var userAgent: String
    /// How often the worker re-reads the webhook set and looks for rows changed by another process
    /// (a `deliveries redeliver` from the CLI), in milliseconds.
    public var resyncIntervalMilliseconds: Int
    /// Delivered and failed deliveries (and their attempts) older than this are deleted from the
    /// delivery log (wazo keeps 30 days); nil keeps them forever. Pending rows are never deleted.
    public var logRetention: Duration?
    /// How often the worker applies `logRetention`, in milliseconds (first time at start).
    public var purgeIntervalMilliseconds: Int

    public init(policy: RetryPolicy = .standard, limits: DeliveryLimits = DeliveryLimits(),
                maxInFlightPerWebhook: Int = 16, maxInFlightTotal: Int = 1024,
                userAgent: String = DeliveryConfiguration.defaultUserAgent, resyncIntervalMilliseconds: Int = 2_000,
                logRetention: Duration? = .seconds(30 * 86_400), purgeIntervalMilliseconds: Int = 3_600_000) {
        self.policy = policy
        self.limits = limits
        self.maxInFlightPerWebhook = max(1, maxInFlightPerWebhook)
        self.maxInFlightTotal = max(1, maxInFlightTotal)
        self.userAgent = userAgent
        self.resyncIntervalMilliseconds = max(50, resyncIntervalMilliseconds)
        self.logRetention = logRetention
        self.purgeIntervalMilliseconds = max(50, purgeIntervalMilliseconds)
    }
}

/// Time and randomness, injected so tests control them.
public struct DeliveryEnvironment: Sendable {
    /// Wall-clock Unix milliseconds (stored in the outbox, sent as `webhook-timestamp`).
    public var nowMilliseconds: @Sendable () -> Int64
    /// A number in `0..<1` for retry jitter.
    public var random: @Sendable () -> Double

    public init(nowMilliseconds: @escaping @Sendable () -> Int64, random: @escaping @Sendable () -> Double) {
        self.nowMilliseconds = nowMilliseconds
        self.random = random
    }

    public static let live = DeliveryEnvironment(
        nowMilliseconds: { Int64((Date().timeIntervalSince1970 * 1000).rounded()) },
        random: { Double.random(in: 0..<1) })
}

/// `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
enum RetryAfter {
    static func seconds(from value: String?, nowMilliseconds: Int64) -> Int? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: value) {
                let delta = Int64(date.timeIntervalSince1970 * 1000) - nowMilliseconds
                return Int(max(0, (delta + 999) / 1000))
            }
        }
        return nil
    }
}
