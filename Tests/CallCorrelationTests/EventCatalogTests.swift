import CallCorrelation
import CallEvents
import EventPublisher
import Foundation
import TestSupport
import Testing

/// The event catalogue: the generated docs are current, and samples and real replay output obey
/// the published JSON Schemas.
@Suite("Event catalogue")
struct EventCatalogTests {
    @Test("docs/EVENTS.md is generated from the catalogue and up to date")
    func eventsMarkdownIsCurrent() throws {
        let committed = try Fixtures.text("docs/EVENTS.md")
        let generated = EventCatalog.markdown()
        if committed != generated, ProcessInfo.processInfo.environment["RECORD_EVENTS_MD"] == "1" {
            try generated.write(toFile: Fixtures.path("docs/EVENTS.md"), atomically: true, encoding: .utf8)
        }
        #expect(
            committed == generated, "docs/EVENTS.md is stale: run `event-publisher events --markdown > docs/EVENTS.md`")
    }

    @Test("The catalogue describes all seven events")
    func sevenEvents() {
        #expect(EventCatalog.all.map(\.name) == EventName.allCases)
        #expect(EventCatalog.description(named: "call.event_call_started")?.name == .callStarted)
        #expect(EventCatalog.description(named: "call.unknown") == nil)
    }

    @Test("Every sample validates against its own schema", arguments: EventName.allCases)
    func samplesValidate(_ name: EventName) {
        let event = EventCatalog.description(of: name)
        #expect(SchemaValidator.problems(event.sample, against: event.schema) == [])
    }

    @Test("Every event replayed from every capture validates against the schema of its type")
    func replayOutputValidates() throws {
        var configuration = CorrelationConfiguration.sample
        configuration.rating.enabled = true
        var problems: [String] = []
        for folder in ["ami", "ami-pjsip"] {
            for scenario in try ManifestScenario.all(in: folder) {
                for event in try ReplayRunner.run(capture: scenario.capturePath, configuration: configuration).events {
                    let schema = EventCatalog.description(of: event.type).schema
                    problems += SchemaValidator.problems(event.envelope, against: schema).map { "\(event.id): \($0)" }
                    if problems.count > 20 { break }
                }
            }
        }
        #expect(problems == [])
    }
}

/// A small JSON Schema checker for the keywords the catalogue uses: type (incl. unions with null),
/// properties, required, items, enum, const, minimum and local `$ref`s into `$defs`.
enum SchemaValidator {
    static func problems(
        _ value: JSONValue, against schema: JSONValue, path: String = "$",
        root: JSONValue? = nil
    ) -> [String] {
        let root = root ?? schema
        if let reference = schema["$ref"]?.stringValue {
            guard reference.hasPrefix("#/$defs/"), let target = root["$defs"]?[String(reference.dropFirst(8))] else {
                return ["\(path): unresolved \(reference)"]
            }
            return problems(value, against: target, path: path, root: root)
        }
        var result: [String] = []
        if let types = schema["type"] {
            let allowed = types.arrayValue?.compactMap(\.stringValue) ?? [types.stringValue ?? ""]
            guard allowed.contains(where: { matches(value, type: $0) }) else {
                return ["\(path): \(value.jsonString.prefix(60)) is not \(allowed.joined(separator: "|"))"]
            }
        }
        if let options = schema["enum"]?.arrayValue, !options.contains(value) {
            result.append("\(path): \(value.jsonString) not in enum")
        }
        if let constant = schema["const"], constant != value { result.append("\(path): not \(constant.jsonString)") }
        if let minimum = schema["minimum"]?.doubleValue, let number = value.doubleValue, number < minimum {
            result.append("\(path): below \(minimum)")
        }
        if case .object(let object) = value {
            for key in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[key] == nil {
                result.append("\(path).\(key): missing")
            }
            for (key, propertySchema) in schema["properties"]?.objectValue ?? [:] {
                if let property = object[key] {
                    result += problems(property, against: propertySchema, path: "\(path).\(key)", root: root)
                }
            }
        }
        if case .array(let items) = value, let itemSchema = schema["items"] {
            for (index, item) in items.enumerated() {
                result += problems(item, against: itemSchema, path: "\(path)[\(index)]", root: root)
            }
        }
        return result
    }

    static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object):
            return true
        case ("integer", .int): return true
        case ("integer", .double(let d)): return d == d.rounded()
        case ("number", .int), ("number", .double): return true
        default: return false
        }
    }
}
