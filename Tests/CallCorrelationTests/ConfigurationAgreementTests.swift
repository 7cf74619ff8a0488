#if canImport(Configuration)
import CallCorrelation
import Configuration
import Testing
import TestSupport

/// `replay` falls back to ``CorrelationConfiguration/sample`` when no config file is at hand; the
/// YAML loader must produce the same rules from the shipped file, or the two would disagree.
@Suite("Configuration agreement")
struct ConfigurationAgreementTests {
    @Test("The shipped config/event-publisher.yaml yields the built-in sample correlation rules")
    func shippedConfigurationMatchesSample() throws {
        let configuration = try GatewayConfiguration.load(
            path: Fixtures.path("config/event-publisher.yaml"),
            environment: [:])
        #expect(configuration.correlation == CorrelationConfiguration.sample)
    }
}
#endif
