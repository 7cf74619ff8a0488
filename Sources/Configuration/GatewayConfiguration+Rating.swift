import CallCorrelation
import YAML

extension GatewayConfiguration {
    /// `rating:` — off by default; plans keyed by (prefix, direction), longest prefix wins at run time.
    static func readRating(_ top: Fields, _ reader: inout ConfigurationReader) -> RatingConfiguration {
        guard let fields = reader.fields(top.value("rating"), "rating", allowed: ConfigurationKeys.rating) else {
            return RatingConfiguration()
        }
        var rating = RatingConfiguration()
        rating.enabled = reader.bool(fields, "enabled") ?? false
        if let currency = reader.string(fields, "currency") {
            if currency.count == 3 && currency.allSatisfy({ $0.isASCII && $0.isUppercase }) {
                rating.currency = currency
            } else {
                reader.report(fields.mark("currency"), "rating.currency",
                              "expected a three-letter ISO 4217 code such as USD, got \"\(currency)\"")
            }
        }
        guard let items = reader.list(fields.value("plans"), "rating.plans") else { return rating }
        var firstSeen: [String: String] = [:]
        for (index, item) in items.enumerated() {
            let path = "rating.plans[\(index)]"
            guard let plan = reader.fields(item, path, allowed: ConfigurationKeys.plan) else { continue }
            let prefix = reader.string(plan, "prefix", required: true)
            if let prefix, !isDialPrefix(prefix) {
                reader.report(plan.mark("prefix"), "\(path).prefix",
                              "expected digits with an optional leading +, got \"\(prefix)\"")
            }
            let directionName = reader.choice(plan, "direction", allowed: RatePlan.Direction.allCases.map(\.rawValue))
            let direction = directionName.flatMap(RatePlan.Direction.init(rawValue:)) ?? .outbound
            let perMinute = reader.number(plan, "per_minute", required: true)
            let fee = reader.number(plan, "connection_fee") ?? 0
            var increment = (minimum: 1, step: 1)
            if let text = reader.string(plan, "increment") {
                if let parsed = parseIncrement(text) {
                    increment = parsed
                } else {
                    reader.report(plan.mark("increment"), "\(path).increment",
                                  "expected \"minimum/step\" in whole seconds such as \"30/6\", got \"\(text)\"")
                }
            }
            if let prefix {
                let key = "\(prefix) \(direction.rawValue)"
                if let first = firstSeen[key] {
                    reader.report(plan.mark("prefix"), "\(path).prefix",
                                  "\"\(prefix)\" (\(direction.rawValue)) already given in \(first)")
                } else {
                    firstSeen[key] = path
                }
            }
            if let prefix, let perMinute {
                rating.plans.append(RatePlan(prefix: prefix, direction: direction, perMinute: perMinute,
                                             minimumSeconds: increment.minimum, incrementSeconds: increment.step,
                                             connectionFee: fee))
            }
        }
        return rating
    }

    /// Empty (every number) or digits with an optional leading `+`.
    static func isDialPrefix(_ text: String) -> Bool {
        let digits = text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        return (text.isEmpty || !digits.isEmpty) && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// `"30/6"` → (30, 6); both positive whole seconds.
    static func parseIncrement(_ text: String) -> (minimum: Int, step: Int)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let minimum = Int(parts[0]), let step = Int(parts[1]), minimum > 0, step > 0 else {
            return nil
        }
        return (minimum, step)
    }
}
