import CallEvents
import Foundation
import Testing
import TestSupport

/// `event-publisher events [--json | --markdown]`.
@Suite("event-publisher events")
struct EventsTests {
    @Test("events --json parses and lists the 7 events with summary, JSON Schema and sample")
    func json() throws {
        let result = try CLI.run(["events", "--json"])
        #expect(result.status == 0, "\(result)")
        let catalogue = try #require(try CLI.json(result.stdout) as? [String: Any], "\(result)")
        let events = try #require(catalogue["events"] as? [[String: Any]], "no events array")
        #expect(events.count == 7)
        #expect(events.compactMap { $0["name"] as? String } == EventName.allCases.map(\.rawValue))
        for event in events {
            let name = event["name"] as? String ?? "?"
            #expect(!(event["summary"] as? String ?? "").isEmpty, "\(name) has no summary")
            #expect(event["schema"] is [String: Any], "\(name) has no schema")
            let sample = try #require(event["sample"] as? [String: Any], "\(name) has no sample")
            #expect(sample["type"] as? String == name)
        }
    }

    @Test("events without options prints one line per event, all 7 names")
    func plain() throws {
        let result = try CLI.run(["events"])
        #expect(result.status == 0, "\(result)")
        for name in EventName.allCases {
            #expect(result.stdoutLines.contains { $0.hasPrefix(name.rawValue + " ") }, "missing \(name.rawValue)")
        }
    }

    @Test("events --markdown is exactly docs/EVENTS.md")
    func markdown() throws {
        let result = try CLI.run(["events", "--markdown"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == (try Fixtures.text("docs/EVENTS.md")))
    }

    @Test("events with an unknown option exits 64")
    func badOption() throws {
        let result = try CLI.run(["events", "--yaml"])
        #expect(result.status == 64, "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
        #expect(result.stderr.contains("usage: event-publisher events"), "\(result)")
    }
}
