/// Voice quality from what Asterisk reports (ami-reference §2.12): the `RTPAUDIOQOS*` channel
/// variables chan_pjsip sets at hangup, or RTCP reports. MOS on the 1–5 scale.
extension QualityFacts {
    /// Merges one `RTPAUDIOQOS…` variable (`key=value;key=value`). The `…BRIDGED` twins describe the
    /// bridged peer's stream and are skipped (the peer reports its own).
    mutating func merge(variable: String, value: String) {
        guard !variable.hasSuffix("BRIDGED") else { return }
        let fields = Self.fields(value)
        source = "rtpaudioqos"
        switch variable {
        case "RTPAUDIOQOS":
            if let rx = fields["rxmes"], let tx = fields["txmes"] { mes = min(rx, tx) }
            rxJitterSeconds = fields["rxjitter"] ?? rxJitterSeconds
            txJitterSeconds = fields["txjitter"] ?? txJitterSeconds
            rttSeconds = fields["rtt"] ?? rttSeconds
            let rxCount = fields["rxcount"].flatMap(Self.packetCount), txCount = fields["txcount"].flatMap(Self.packetCount)
            rxPackets = rxCount ?? rxPackets
            txPackets = txCount ?? txPackets
            let localLost = fields["lp"].flatMap(Self.packetCount) ?? 0
            let remoteLost = fields["rlp"].flatMap(Self.packetCount) ?? 0
            lostPackets = localLost + remoteLost
            var worst = 0.0
            if let rxCount, rxCount + localLost > 0 {
                worst = max(worst, Double(localLost) / Double(rxCount + localLost))
            }
            if let txCount, txCount + remoteLost > 0 {
                worst = max(worst, Double(remoteLost) / Double(txCount + remoteLost))
            }
            lossPercent = worst * 100
        case "RTPAUDIOQOSMES":
            if let rx = fields["avgrxmes"], let tx = fields["avgtxmes"] { mes = min(rx, tx) }
        case "RTPAUDIOQOSRTT":
            rttSeconds = fields["avgrtt"] ?? rttSeconds
        case "RTPAUDIOQOSJITTER":
            rxJitterSeconds = fields["avgrxjitter"] ?? rxJitterSeconds
            txJitterSeconds = fields["avgtxjitter"] ?? txJitterSeconds
        default:
            break
        }
    }

    /// A packet count from PBX text: nil unless finite and in 0…10¹² (`Int(_: Double)` traps on
    /// `nan`, `inf` or `1e300`, and huge counts would overflow the sums above).
    static func packetCount(_ value: Double) -> Int? {
        guard value.isFinite, value >= 0, value <= 1e12 else { return value.isFinite && value < 0 ? 0 : nil }
        return Int(value)
    }

    /// `a=1;b=2` (values padded with spaces and zeros, as Asterisk prints them) → numbers.
    static func fields(_ text: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for pair in text.split(separator: ";") {
            guard let eq = pair.firstIndex(of: "=") else { continue }
            let key = pair[..<eq].trimmingSpaces(), value = pair[pair.index(after: eq)...].trimmingSpaces()
            if let number = Double(value) { result[String(key)] = number }
        }
        return result
    }

    /// The MOS (1–5): Asterisk's MES (0–100, ×20 of its MOS) when given, otherwise the E-model
    /// simplification of §2.12 with one-way latency = RTT / 2, jitter and loss.
    var mos: Double? {
        if let mes { return Self.rounded(min(5, max(1, mes / 20)), places: 2) }
        guard rttSeconds != nil || rxJitterSeconds != nil || lossPercent != nil else { return nil }
        let latencyMs = (rttSeconds ?? 0) * 1000 / 2
        let jitterMs = max(rxJitterSeconds ?? 0, txJitterSeconds ?? 0) * 1000
        let effective = latencyMs + 2 * jitterMs + 10
        var r = effective < 160 ? 93.2 - effective / 40 : 93.2 - (effective - 120) / 10
        r -= 2.5 * (lossPercent ?? 0)
        let mos: Double = r < 0 ? 1 : r > 100 ? 4.5 : 1 + 0.035 * r + 0.000007 * r * (r - 60) * (100 - r)
        return Self.rounded(min(5, max(1, mos)), places: 2)
    }

    static func rounded(_ value: Double, places: Int) -> Double {
        var factor = 1.0
        for _ in 0..<places { factor *= 10 }
        return (value * factor).rounded() / factor
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var text = self
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}
