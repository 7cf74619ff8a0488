import AdminAPI
import Testing

@Suite("/metrics and /healthz")
struct MetricsTests {
    @Test("Metrics are Prometheus text with every family, labels escaped and a cumulative histogram")
    func metricsInPrometheusFormat() {
        var latency = AdminMetricsSnapshot.Histogram(upperBounds: [0.1, 1])
        latency.observe(0.0625)
        latency.observe(0.5)
        latency.observe(3)
        let snapshot = AdminMetricsSnapshot(
            amiConnected: true, eventsIn: ["Newchannel": 4, "Hangup": 2], eventsOut: ["call.event_call_started": 3],
            deliveries: ["succeeded": 5, "failed": 1, "odd\"label": 1], retryQueueDepth: 2, deliveryLatency: latency)
        let harness = AdminHarness(metrics: { snapshot })
        let reply = harness.call("GET", "/metrics", token: nil)
        #expect(reply.status == 200)
        #expect(reply.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let lines = reply.text.split(separator: "\n").map(String.init)
        for expected in [
            "# TYPE event_publisher_ami_connected gauge", "event_publisher_ami_connected 1",
            "# TYPE event_publisher_ami_events_received_total counter",
            "event_publisher_ami_events_received_total{type=\"Hangup\"} 2",
            "event_publisher_ami_events_received_total{type=\"Newchannel\"} 4",
            "event_publisher_events_published_total{event=\"call.event_call_started\"} 3",
            "event_publisher_deliveries_total{outcome=\"succeeded\"} 5",
            "event_publisher_deliveries_total{outcome=\"odd\\\"label\"} 1",
            "event_publisher_retry_queue_depth 2",
            "# TYPE event_publisher_delivery_latency_seconds histogram",
            "event_publisher_delivery_latency_seconds_bucket{le=\"0.1\"} 1",
            "event_publisher_delivery_latency_seconds_bucket{le=\"1\"} 2",
            "event_publisher_delivery_latency_seconds_bucket{le=\"+Inf\"} 3",
            "event_publisher_delivery_latency_seconds_sum 3.5625",
            "event_publisher_delivery_latency_seconds_count 3",
        ] {
            #expect(lines.contains(expected), "missing: \(expected)")
        }
        // Every sample line belongs to a family declared with # TYPE before it.
        var declared: Set<String> = []
        for line in lines {
            if line.hasPrefix("# TYPE ") { declared.insert(String(line.split(separator: " ")[2])) }
            if line.hasPrefix("#") { continue }
            let name = String(line.prefix { $0 != "{" && $0 != " " })
            let family = ["_bucket", "_sum", "_count"].reduce(name) { current, suffix in
                guard !declared.contains(current), current.hasSuffix(suffix) else { return current }
                return String(current.dropLast(suffix.count))
            }
            #expect(declared.contains(family), "undeclared: \(line)")
        }
    }

    @Test("An idle daemon still shows every family")
    func emptySnapshotShowsFamilies() {
        let text = AdminHarness().call("GET", "/metrics", token: nil).text
        #expect(text.contains("event_publisher_ami_connected 0"))
        #expect(text.contains("event_publisher_delivery_latency_seconds_count 0"))
        #expect(text.contains("# TYPE event_publisher_deliveries_total counter"))
    }

    @Test("/healthz answers ok without a token; other methods are refused")
    func healthz() {
        let harness = AdminHarness()
        #expect(harness.call("GET", "/healthz", token: nil).json == ["status": "ok"])
        #expect(harness.call("POST", "/healthz", token: nil).status == 405)
    }
}
