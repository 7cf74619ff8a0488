/// What one delivery attempt produced, classified for the retry policy. Pure data.
public enum DeliveryOutcome: Sendable, Hashable {
    /// A 2xx answer.
    case delivered(status: Int)
    /// `410 Gone`: the receiver asks us to stop (Standard Webhooks: disable the endpoint).
    case gone
    /// Anything else; retried while the schedule lasts.
    case failed(DeliveryFailure)

    /// Classifies an HTTP answer. `retryAfterSeconds` is the parsed `Retry-After`, if any.
    public static func from(status: Int, retryAfterSeconds: Int? = nil) -> DeliveryOutcome {
        switch status {
        case 200...299: return .delivered(status: status)
        case 410: return .gone
        default: return .failed(.status(status, retryAfterSeconds: retryAfterSeconds))
        }
    }
}

/// Why an attempt failed.
public enum DeliveryFailure: Sendable, Hashable {
    /// A non-2xx answer other than 410 (redirects included: they are never followed).
    case status(Int, retryAfterSeconds: Int?)
    /// Connect or total timeout.
    case timeout
    /// Refused, reset, DNS, TLS: no HTTP answer.
    case network(String)
    /// The OAuth2 token endpoint failed or refused; the webhook itself was not called.
    case authorization(String)
    /// The request could not be built (a header with a line break, a bad URL).
    case invalidRequest(String)
}

/// What to do with a delivery after an attempt.
public enum DeliveryDecision: Sendable, Hashable {
    /// Delivered; the next event of the call may go.
    case done
    /// Try again at this time (Unix milliseconds).
    case retry(atMilliseconds: Int64)
    /// Dead letter: schedule exhausted (or a manual redelivery failed).
    case giveUp(reason: String)
    /// Give up this delivery and disable the webhook (410).
    case disableWebhook(reason: String)
}

/// When to retry a failed delivery: a pure function of (attempt, outcome, now, jitter).
///
/// The schedule is svix's (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after the first attempt, about
/// 27.5 hours in all); each wait is spread by ±`jitterFraction` so a recovering receiver is not hit
/// by every backlog at once. `Retry-After` (seconds) is honoured as a lower bound on the wait, capped
/// at `maxRetryAfter` so a receiver cannot park a delivery for a year. 2xx is done, 410 disables the
/// webhook, every other answer and every network error retries. Manual redeliveries get one attempt.
public struct RetryPolicy: Sendable, Hashable {
    /// Waits before the 2nd, 3rd, … attempt. `schedule.count + 1` attempts in all.
    public var schedule: [Duration]
    /// Each wait is multiplied by a factor in `1 ± jitterFraction`.
    public var jitterFraction: Double
    /// Longest wait a `Retry-After` can ask for.
    public var maxRetryAfter: Duration
    /// A webhook whose deliveries have failed without a single success for this long is disabled;
    /// nil never disables.
    public var disableAfterFailingFor: Duration?

    public init(schedule: [Duration] = RetryPolicy.svixSchedule, jitterFraction: Double = 0.2,
                maxRetryAfter: Duration = .seconds(3600), disableAfterFailingFor: Duration? = .seconds(5 * 86_400)) {
        self.schedule = schedule
        self.jitterFraction = min(max(jitterFraction, 0), 1)
        self.maxRetryAfter = maxRetryAfter
        self.disableAfterFailingFor = disableAfterFailingFor
    }

    public static let svixSchedule: [Duration] = [
        .seconds(5), .seconds(300), .seconds(1800), .seconds(7200), .seconds(18_000), .seconds(36_000), .seconds(36_000),
    ]

    public static let standard = RetryPolicy()

    public var maxAttempts: Int { schedule.count + 1 }

    /// - Parameters:
    ///   - attempt: the attempt just made, from 1.
    ///   - jitter: a random number in `0..<1` supplied by the caller (the core has no RNG).
    ///   - manual: a redelivery asked for by a person: one attempt, no schedule.
    public func decision(afterAttempt attempt: Int, outcome: DeliveryOutcome, nowMilliseconds: Int64,
                         jitter: Double, manual: Bool = false) -> DeliveryDecision {
        switch outcome {
        case .delivered:
            return .done
        case .gone:
            return .disableWebhook(reason: "receiver answered 410 Gone")
        case .failed(let failure):
            if manual { return .giveUp(reason: "manual redelivery failed: \(Self.describe(failure))") }
            let index = max(attempt, 1) - 1
            guard index < schedule.count else {
                return .giveUp(reason: "gave up after \(attempt) attempts: \(Self.describe(failure))")
            }
            let base = Self.milliseconds(schedule[index])
            let factor = 1 - jitterFraction + 2 * jitterFraction * min(max(jitter, 0), 1)
            var wait = Int64((Double(base) * factor).rounded())
            if case .status(_, let retryAfter?) = failure {
                let asked = min(Int64(max(retryAfter, 0)) * 1000, Self.milliseconds(maxRetryAfter))
                wait = max(wait, asked)
            }
            return .retry(atMilliseconds: nowMilliseconds + max(wait, 0))
        }
    }

    /// Whether a webhook failing since `failingSinceMilliseconds` (first failure after its last
    /// success) has failed long enough to be disabled.
    public func shouldDisable(failingSinceMilliseconds: Int64, nowMilliseconds: Int64) -> Bool {
        guard let limit = disableAfterFailingFor else { return false }
        return nowMilliseconds - failingSinceMilliseconds >= Self.milliseconds(limit)
    }

    /// A one-line text for logs and the delivery log.
    public static func describe(_ failure: DeliveryFailure) -> String {
        switch failure {
        case .status(let code, let retryAfter?): return "HTTP \(code) (Retry-After \(retryAfter) s)"
        case .status(let code, nil): return "HTTP \(code)"
        case .timeout: return "timeout"
        case .network(let text): return text
        case .authorization(let text): return text
        case .invalidRequest(let text): return text
        }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let parts = duration.components
        return parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000
    }
}
