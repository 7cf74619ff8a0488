import Configuration
import Delivery
import EventPublisher
import Webhooks
import Testing

@Suite("delivery: section")
struct DeliverySettingsTests {
    private static let ami = "ami:\n  username: u\n  secret: s\n"

    @Test("refuse_private_destinations defaults to false when the section is absent or empty")
    func defaultsToFalse() throws {
        #expect(try GatewayConfiguration.parse(Self.ami, file: "t.yaml").delivery.refusePrivateDestinations == false)
        let empty = try GatewayConfiguration.parse(Self.ami + "delivery:\n", file: "t.yaml")
        #expect(empty.delivery.refusePrivateDestinations == false)
    }

    @Test("refuse_private_destinations: true is read")
    func parsesTrue() throws {
        let text = Self.ami + "delivery: { refuse_private_destinations: true }\n"
        #expect(try GatewayConfiguration.parse(text, file: "t.yaml").delivery.refusePrivateDestinations == true)
    }

    @Test("A non-boolean value and unknown delivery keys are refused")
    func strictTypesAndKeys() {
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.parse(Self.ami + "delivery:\n  refuse_private_destinations: \"yes\"\n", file: "t.yaml")
        }
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.parse(Self.ami + "delivery:\n  refuse_private: true\n", file: "t.yaml")
        }
    }
}

@Suite("delivery: retry schedule, timeouts and limits")
struct DeliveryTuningTests {
    private static let ami = "ami:\n  username: u\n  secret: s\n"

    private func parse(_ delivery: String) throws -> DeliverySettings {
        try GatewayConfiguration.parse(Self.ami + "delivery:\n" + delivery, file: "t.yaml").delivery
    }

    private func problems(_ delivery: String) -> [String] {
        do {
            _ = try parse(delivery)
            return []
        } catch let error as ConfigurationError {
            return error.problems.map(\.description)
        } catch {
            return ["unexpected \(error)"]
        }
    }

    @Test("Absent keys leave every built-in default in place")
    func absentKeysKeepDefaults() throws {
        let settings = try parse("  refuse_private_destinations: false\n")
        #expect(settings == DeliverySettings())
        let applied = DeliveryConfiguration().applying(settings)
        #expect(applied.policy == RetryPolicy.standard)
        #expect(applied.limits == DeliveryLimits())
        #expect(applied.maxInFlightPerWebhook == 16 && applied.maxInFlightTotal == 1024)
        #expect(applied.logRetention == .seconds(30 * 86_400))
    }

    @Test("Durations with units, counts and keywords are read and applied to the delivery service")
    func readsAndAppliesEveryKey() throws {
        let settings = try parse("""
              retry_schedule: [10s, 1m, 90m, 1d]
              connect_timeout: 750ms
              request_timeout: 30s
              max_in_flight_per_webhook: 4
              max_in_flight: 200
              disable_after_failing_for: never
              log_retention: 7d

            """)
        #expect(settings.retryScheduleMilliseconds == [10_000, 60_000, 5_400_000, 86_400_000])
        let applied = DeliveryConfiguration().applying(settings)
        #expect(applied.policy.schedule == [.seconds(10), .seconds(60), .seconds(5_400), .seconds(86_400)])
        #expect(applied.policy.maxAttempts == 5)
        #expect(applied.policy.disableAfterFailingFor == nil)
        #expect(applied.limits.connectTimeoutMilliseconds == 750)
        #expect(applied.limits.totalTimeoutMilliseconds == 30_000)
        #expect(applied.maxInFlightPerWebhook == 4 && applied.maxInFlightTotal == 200)
        #expect(applied.logRetention == .seconds(7 * 86_400))
        let forever = DeliveryConfiguration().applying(try parse("  log_retention: forever\n  retry_schedule: []\n"))
        #expect(forever.logRetention == nil)
        #expect(forever.policy.maxAttempts == 1)
    }

    @Test("A bare number, an unknown unit, a negative or an out-of-range duration is refused with its path")
    func refusesBadDurations() {
        #expect(problems("  connect_timeout: 5\n")
            == ["t.yaml:5:20: delivery.connect_timeout: expected a duration such as 250ms, 30s, 5m, 2h or 1d, got \"5\""])
        #expect(problems("  request_timeout: 5w\n").first?.contains("delivery.request_timeout: expected a duration") == true)
        #expect(problems("  request_timeout: -5s\n").first?.contains("got \"-5s\"") == true)
        #expect(problems("  request_timeout: 10m\n")
            == ["t.yaml:5:20: delivery.request_timeout: 10m is out of range (1s-5m)"])
        #expect(problems("  retry_schedule: [5s, soon, 8d]\n") == [
            "t.yaml:5:24: delivery.retry_schedule[1]: expected a duration such as 250ms, 30s, 5m, 2h or 1d, got \"soon\"",
            "t.yaml:5:30: delivery.retry_schedule[2]: 8d is out of range (1s-7d)",
        ])
        #expect(problems("  log_retention: never\n").first?.contains("delivery.log_retention: expected a duration") == true)
        #expect(problems("  max_in_flight: 0\n") == ["t.yaml:5:18: delivery.max_in_flight: 0 is out of range (1-65536)"])
        #expect(problems("  connect_timeout: 99999999999999999999s\n").count == 1)
    }
}
