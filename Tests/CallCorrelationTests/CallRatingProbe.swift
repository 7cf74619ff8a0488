@testable import CallCorrelation

/// Reaches the engine's internal rating arithmetic for the unit tests.
enum CallRatingProbe {
    static func billed(_ talk: Int, _ plan: RatePlan) -> Int {
        CallCost.billedSeconds(talk: talk, minimum: plan.minimumSeconds, increment: plan.incrementSeconds)
    }

    static func amount(_ talk: Double, _ plan: RatePlan) -> Double {
        CallCost.rate(number: plan.prefix, talkSeconds: talk, plan: plan).amount
    }

    static func plan(_ number: String, outbound: Bool, _ plans: [RatePlan]) -> RatePlan? {
        CallCost.plan(for: number, direction: outbound ? .outbound : .inbound, in: plans)
    }

    static func mos(rttMs: Double, jitterMs: Double, loss: Double) -> Double {
        var facts = QualityFacts()
        facts.rttSeconds = rttMs / 1000
        facts.rxJitterSeconds = jitterMs / 1000
        facts.lossPercent = loss
        return facts.mos ?? 0
    }
}
