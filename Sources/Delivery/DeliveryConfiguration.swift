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
    /// `delivery.refuse_private_destinations`: when on, every attempt's host is resolved and checked
    /// before sending (see ``DestinationChecker``); refused deliveries fail without retries.
    /// Off (``DestinationPolicy/permissive``) by default.
    public var destinationPolicy: DestinationPolicy = .permissive
    /// Finished attempts are stored in one transaction per batch. A batch is written at once when
    /// a call waiting for it could send (a slot is free: light load, so no latency is added);
    /// under load, when it holds `recordBatchMaxSize` attempts or its oldest is
    /// `recordBatchMaxDelayMilliseconds` old. Until then the calls in it wait (their next event
    /// must not go before the store says the previous one is done), while other calls use the slots.
    public var recordBatchMaxSize: Int = 256
    public var recordBatchMaxDelayMilliseconds: Int = 5
    /// Tests only: write a batch only when full, old or at stop (to hold attempts unrecorded).
    var recordBatchEarlyWhenIdle = true

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
        // Clamped to a year: a hostile endpoint's `Retry-After: 9999999999999999999` must not
        // overflow the millisecond arithmetic downstream (the policy caps waits at an hour anyway).
        if let seconds = Int(value) { return min(max(0, seconds), 31_536_000) }
        guard let epochSeconds = imfFixdate(value) else { return nil }
        let delta = epochSeconds * 1000 - nowMilliseconds
        return Int(max(0, (delta + 999) / 1000))
    }

    /// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, the form RFC 9110 requires senders
    /// to use) into Unix seconds. Hand-written because `DateFormatter` would pull ICU's 34 MB of
    /// data into the static release binary.
    static func imfFixdate(_ text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), (1...31).contains(day),
              let year = Int(parts[3]), (1970...9999).contains(year) else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let monthIndex = months.firstIndex(of: String(parts[2])) else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3, (0...23).contains(clock[0]), (0...59).contains(clock[1]), (0...60).contains(clock[2])
        else { return nil }
        // Days from civil (Howard Hinnant), month 1...12.
        let month = monthIndex + 1
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = shiftedYear / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = Int64(era * 146_097 + dayOfEra - 719_468)
        return days * 86_400 + Int64(clock[0] * 3600 + clock[1] * 60 + clock[2])
        return nil
    }
}
