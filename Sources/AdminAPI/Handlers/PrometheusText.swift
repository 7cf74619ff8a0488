import MicroHTTPD

/// Renders a metrics snapshot in the Prometheus text exposition format (version 0.0.4).
enum PrometheusText {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func response(for snapshot: AdminMetricsSnapshot) -> HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", contentType), ("Cache-Control", "no-store")],
                     body: Array(render(snapshot).utf8))
    }

    static func render(_ snapshot: AdminMetricsSnapshot) -> String {
        var out = ""
        family(&out, "event_publisher_ami_connected", "gauge", "1 while the AMI connection is logged in, else 0.")
        out += "event_publisher_ami_connected \(snapshot.amiConnected ? 1 : 0)\n"
        family(&out, "event_publisher_ami_events_received_total", "counter", "AMI events received, by AMI event type.")
        for (type, count) in snapshot.eventsIn.sorted(by: { $0.key < $1.key }) {
            out += "event_publisher_ami_events_received_total{type=\"\(escape(type))\"} \(count)\n"
        }
        family(&out, "event_publisher_events_published_total", "counter", "Call-leg events published, by event name.")
        for (event, count) in snapshot.eventsOut.sorted(by: { $0.key < $1.key }) {
            out += "event_publisher_events_published_total{event=\"\(escape(event))\"} \(count)\n"
        }
        family(&out, "event_publisher_deliveries_total", "counter", "Webhook delivery attempts, by outcome.")
        for (outcome, count) in snapshot.deliveries.sorted(by: { $0.key < $1.key }) {
            out += "event_publisher_deliveries_total{outcome=\"\(escape(outcome))\"} \(count)\n"
        }
        family(&out, "event_publisher_retry_queue_depth", "gauge", "Deliveries waiting for a retry.")
        out += "event_publisher_retry_queue_depth \(snapshot.retryQueueDepth)\n"
        let histogram = snapshot.deliveryLatency
        let name = "event_publisher_delivery_latency_seconds"
        family(&out, name, "histogram", "Time from sending a webhook request to its response.")
        var cumulative: UInt64 = 0
        for (index, bound) in histogram.upperBounds.enumerated() {
            cumulative += index < histogram.counts.count ? histogram.counts[index] : 0
            out += "\(name)_bucket{le=\"\(number(bound))\"} \(cumulative)\n"
        }
        out += "\(name)_bucket{le=\"+Inf\"} \(histogram.count)\n"
        out += "\(name)_sum \(number(histogram.sum))\n"
        out += "\(name)_count \(histogram.count)\n"
        return out
    }

    private static func family(_ out: inout String, _ name: String, _ type: String, _ help: String) {
        out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    /// Label values escape backslash, double quote and newline.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
