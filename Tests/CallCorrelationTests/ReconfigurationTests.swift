import AMIProtocol
import CallCorrelation
import CallEvents
import EventPublisher
import Foundation
import Testing
import TestSupport

/// A configuration reload hands new tenant/number/rating rules to the running engine: calls in
/// progress keep what they published, calls that start afterwards follow the new rules.
@Suite("Reconfiguring the engine while calls are in progress")
struct ReconfigurationTests {
    private func messages(_ capture: String) throws -> [AMIMessage] {
        try ReplayRunner.messages(capture: Fixtures.path("fixtures/ami/\(capture)"))
    }

    @Test("A call in progress keeps its tenant across a reload; the next call follows the new tenant rules")
    func callInProgressKeepsItsTenant() throws {
        var noTenants = CorrelationConfiguration.sample
        noTenants.tenants = []
        var session = CorrelationSession(configuration: noTenants)
        let first = try messages("01-internal-answered-caller-hangup.ami")
        let half = first.count / 2
        var events: [CallEvent] = []
        for message in first[..<half] { events += session.ingest(message).events }
        let firstCall = try #require(events.first?.callID)
        #expect(events.allSatisfy { $0.tenant == "main" })

        session.reconfigure(.sample)  // the sample's rules put accountcode "acme" in tenant acme
        for message in first[half...] { events += session.ingest(message).events }
        let firstCallEvents = events.filter { $0.callID == firstCall }
        #expect(firstCallEvents.contains { $0.type == .callFinished })
        #expect(firstCallEvents.allSatisfy { $0.tenant == "main" })

        var later: [CallEvent] = []
        for message in try messages("06-inbound-external-answered.ami") { later += session.ingest(message).events }
        later += session.finish().events
        #expect(!later.isEmpty)
        #expect(later.allSatisfy { $0.tenant == "acme" && $0.callID != firstCall })
    }

    @Test("Reconfiguring to the same rules changes nothing in the output")
    func sameRulesSameOutput() throws {
        let capture = try messages("16-concurrent-10-mixed.ami")
        var plain = CorrelationSession(configuration: .sample)
        var reloaded = CorrelationSession(configuration: .sample)
        var a: [CallEvent] = [], b: [CallEvent] = []
        for (index, message) in capture.enumerated() {
            if index % 97 == 0 { reloaded.reconfigure(.sample) }
            a += plain.ingest(message).events
            b += reloaded.ingest(message).events
        }
        #expect(a.count > 50)
        #expect(a == b)
    }
}
