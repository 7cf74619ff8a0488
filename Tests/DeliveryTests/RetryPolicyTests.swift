import Testing
import Webhooks

@Suite("Retry policy")
struct RetryPolicyTests {
    let now: Int64 = 1_000_000

    @Test("2xx is done, 410 disables, other answers retry on the schedule")
    func classifiesOutcomes() {
        let policy = RetryPolicy(jitterFraction: 0)
        #expect(policy.decision(afterAttempt: 1, outcome: .from(status: 204), nowMilliseconds: now, jitter: 0.5) == .done)
        #expect(policy.decision(afterAttempt: 1, outcome: .from(status: 410), nowMilliseconds: now, jitter: 0.5)
                == .disableWebhook(reason: "receiver answered 410 Gone"))
        #expect(policy.decision(afterAttempt: 1, outcome: .from(status: 404), nowMilliseconds: now, jitter: 0.5)
                == .retry(atMilliseconds: now + 5_000))
        #expect(policy.decision(afterAttempt: 2, outcome: .from(status: 500), nowMilliseconds: now, jitter: 0.5)
                == .retry(atMilliseconds: now + 300_000))
        #expect(policy.decision(afterAttempt: 3, outcome: .failed(.timeout), nowMilliseconds: now, jitter: 0.5)
                == .retry(atMilliseconds: now + 1_800_000))
        #expect(policy.decision(afterAttempt: 1, outcome: .from(status: 302), nowMilliseconds: now, jitter: 0)
                == .retry(atMilliseconds: now + 5_000))
    }

    @Test("The default schedule is svix's and gives up after the eighth attempt")
    func defaultScheduleIsSvix() {
        let policy = RetryPolicy.standard
        #expect(policy.schedule.map { $0.components.seconds } == [5, 300, 1800, 7200, 18_000, 36_000, 36_000])
        #expect(policy.maxAttempts == 8)
        #expect(policy.decision(afterAttempt: 8, outcome: .failed(.network("refused")), nowMilliseconds: now,
                                jitter: 0.5) == .giveUp(reason: "gave up after 8 attempts: refused"))
    }

    @Test("Jitter spreads each wait within plus or minus the fraction")
    func jitterSpreadsWaits() {
        let policy = RetryPolicy(jitterFraction: 0.2)
        let failure = DeliveryOutcome.failed(.status(503, retryAfterSeconds: nil))
        #expect(policy.decision(afterAttempt: 1, outcome: failure, nowMilliseconds: 0, jitter: 0) == .retry(atMilliseconds: 4_000))
        #expect(policy.decision(afterAttempt: 1, outcome: failure, nowMilliseconds: 0, jitter: 0.5) == .retry(atMilliseconds: 5_000))
        #expect(policy.decision(afterAttempt: 1, outcome: failure, nowMilliseconds: 0, jitter: 1) == .retry(atMilliseconds: 6_000))
    }

    @Test("Retry-After lengthens a wait, never shortens it, and is capped")
    func honoursRetryAfter() {
        let policy = RetryPolicy(jitterFraction: 0, maxRetryAfter: .seconds(3600))
        func after(_ seconds: Int) -> DeliveryDecision {
            policy.decision(afterAttempt: 1, outcome: .from(status: 429, retryAfterSeconds: seconds), nowMilliseconds: 0,
                            jitter: 0)
        }
        #expect(after(120) == .retry(atMilliseconds: 120_000))
        #expect(after(1) == .retry(atMilliseconds: 5_000))
        #expect(after(86_400 * 365) == .retry(atMilliseconds: 3_600_000))
    }

    @Test("A manual redelivery gets one attempt")
    func manualRedeliveryIsOneAttempt() {
        let policy = RetryPolicy.standard
        #expect(policy.decision(afterAttempt: 3, outcome: .from(status: 500), nowMilliseconds: now, jitter: 0,
                                manual: true) == .giveUp(reason: "manual redelivery failed: HTTP 500"))
        #expect(policy.decision(afterAttempt: 3, outcome: .from(status: 200), nowMilliseconds: now, jitter: 0,
                                manual: true) == .done)
    }

    @Test("A webhook is disabled once it has failed for the configured time")
    func disablesAfterFailingLongEnough() {
        let policy = RetryPolicy(disableAfterFailingFor: .seconds(60))
        #expect(!policy.shouldDisable(failingSinceMilliseconds: 0, nowMilliseconds: 59_999))
        #expect(policy.shouldDisable(failingSinceMilliseconds: 0, nowMilliseconds: 60_000))
        #expect(!RetryPolicy(disableAfterFailingFor: nil).shouldDisable(failingSinceMilliseconds: 0,
                                                                        nowMilliseconds: .max))
    }
}
