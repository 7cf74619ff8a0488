/// Cost of a call from the configured rate plans (contract.md `rating`).
///
/// Why integers for the billed seconds: increments such as 30/6 are exact by nature, and the cost
/// is rounded once, at the end, to micro-units of the currency, so no float noise reaches a webhook.
struct CallCost: Sendable, Hashable {
    var plan: RatePlan
    var number: String
    var talkSeconds: Int
    var billedSeconds: Int
    var amount: Double

    /// The plan whose prefix is the longest match for `number` and that applies to `direction`.
    static func plan(for number: String, direction: CallDirection, in plans: [RatePlan]) -> RatePlan? {
        let normalized = normalize(number)
        var best: RatePlan?
        for plan in plans {
            switch plan.direction {
            case .any: break
            case .outbound where direction != .outbound: continue
            case .inbound where direction != .inbound: continue
            default: break
            }
            let prefix = normalize(plan.prefix)
            guard !prefix.isEmpty, normalized.hasPrefix(prefix) else { continue }
            if best == nil || prefix.count > normalize(best!.prefix).count { best = plan }
        }
        return best
    }

    /// Billed seconds for `talk` seconds: nothing for 0 s, the minimum for anything up to it,
    /// then whole increments (30/6: 10 s → 30 s, 31 s → 36 s).
    static func billedSeconds(talk: Int, minimum: Int, increment: Int) -> Int {
        guard talk > 0 else { return 0 }
        let minimum = max(minimum, 0), increment = max(increment, 1)
        guard talk > minimum else { return max(minimum, talk) }
        let extra = talk - minimum
        // Overflow-checked: the configuration accepts any positive whole seconds (`30/9999999999999999999`).
        let steps = extra / increment + (extra % increment == 0 ? 0 : 1)
        let (product, productOverflow) = steps.multipliedReportingOverflow(by: increment)
        let (total, sumOverflow) = minimum.addingReportingOverflow(product)
        return productOverflow || sumOverflow ? Int.max : total
    }

    /// Connection fee + per-minute price × billed seconds / 60; unanswered calls cost 0, no fee.
    static func rate(number: String, talkSeconds: Double, plan: RatePlan) -> CallCost {
        let talk = Int(talkSeconds.rounded(.up))
        let billed = billedSeconds(talk: talk, minimum: plan.minimumSeconds, increment: plan.incrementSeconds)
        let amount = billed == 0 ? 0 : plan.connectionFee + plan.perMinute * Double(billed) / 60
        return CallCost(
            plan: plan, number: number, talkSeconds: talk, billedSeconds: billed,
            amount: (amount * 1_000_000).rounded() / 1_000_000)
    }

    /// Digits with an optional leading `+` (spaces, dashes and brackets removed).
    static func normalize(_ number: String) -> String {
        var result = ""
        for (index, character) in number.enumerated() {
            if character.isASCII, character.isNumber { result.append(character) }
            if character == "+", index == 0 { result.append(character) }
        }
        return result
    }
}
