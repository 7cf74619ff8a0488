import YAML

/// Durations in the file are strings with a unit (`250ms`, `30s`, `5m`, `2h`, `1d`): a bare number
/// is refused because its unit would be a guess (seconds? milliseconds?), and a wrong guess in a
/// retry schedule silently changes when integrators get their events.
extension ConfigurationReader {
    /// A duration in milliseconds within `range`, or nil (problem reported) when it is not one.
    mutating func duration(_ node: YAMLNode, _ path: String, range: ClosedRange<Int64>) -> Int64? {
        guard let scalar = scalar(node, path, expected: "a duration such as 30s") else { return nil }
        guard let milliseconds = DurationText.milliseconds(scalar.value) else {
            report(node.mark, path,
                   "expected a duration such as 250ms, 30s, 5m, 2h or 1d, got \(Self.describe(scalar))")
            return nil
        }
        guard range.contains(milliseconds) else {
            report(node.mark, path, "\(scalar.value) is out of range (\(DurationText.format(range.lowerBound))"
                   + "-\(DurationText.format(range.upperBound)))")
            return nil
        }
        return milliseconds
    }

    /// `key` as a duration; nil when absent or wrong (reported).
    mutating func duration(_ fields: Fields, _ key: String, range: ClosedRange<Int64>) -> Int64? {
        guard let node = fields.value(key) else { return nil }
        return duration(node, fields.path(key), range: range)
    }

    /// `key` as a duration or the keyword `keyword` (`never`, `forever`): `.some(nil)` is the keyword,
    /// nil is absent or wrong (reported).
    mutating func duration(_ fields: Fields, _ key: String, range: ClosedRange<Int64>,
                           orKeyword keyword: String) -> Int64?? {
        guard let node = fields.value(key) else { return nil }
        if node.scalar?.value == keyword { return .some(nil) }
        guard let value = duration(node, fields.path(key), range: range) else { return nil }
        return .some(value)
    }

    /// `key` as a list of durations, each wrong item reported with its index; nil when absent or wrong.
    mutating func durations(_ fields: Fields, _ key: String, range: ClosedRange<Int64>,
                            maxCount: Int) -> [Int64]? {
        guard let items = list(fields.value(key), fields.path(key)) else { return nil }
        guard items.count <= maxCount else {
            report(fields.mark(key), fields.path(key), "\(items.count) entries, at most \(maxCount)")
            return nil
        }
        var values: [Int64] = []
        var ok = true
        for (index, item) in items.enumerated() {
            if let value = duration(item, "\(fields.path(key))[\(index)]", range: range) {
                values.append(value)
            } else {
                ok = false
            }
        }
        return ok ? values : nil
    }
}

/// The duration syntax of the configuration file and the command line: a whole number with a unit.
public enum DurationText {
    /// `250ms` → 250, `30s` → 30,000, `5m`, `2h`, `1d`; nil for anything else (no sign, no fraction,
    /// no spaces, no overflow).
    public static func milliseconds(_ text: String) -> Int64? {
        let units: [(suffix: String, factor: Int64)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000),
                                                         ("d", 86_400_000)]
        for unit in units where text.hasSuffix(unit.suffix) {
            let digits = text.dropLast(unit.suffix.count)
            guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let count = Int64(digits) else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: unit.factor)
            return overflow ? nil : product
        }
        return nil
    }

    /// The largest unit that divides `milliseconds` exactly: 3,600,000 → `1h`.
    public static func format(_ milliseconds: Int64) -> String {
        for (suffix, factor) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)]
        where milliseconds >= factor && milliseconds % factor == 0 {
            return "\(milliseconds / factor)\(suffix)"
        }
        return "\(milliseconds)ms"
    }
}
