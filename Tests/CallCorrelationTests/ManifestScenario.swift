import Foundation
import TestSupport
import Testing
import YAML

/// One scenario of `fixtures/ami*/manifest.yaml`: the capture and what a correct engine emits
/// (`expected_calls`, or `expected_call_count` + `expected_totals` for the soak). The manifest
/// header explains the fields; this reader keeps exactly those the replay tests assert.
struct ManifestScenario: Sendable, CustomTestStringConvertible {
    struct Leg: Sendable {
        var role: String?
        var number: String
        var external: Bool?
        /// `started`, `connected`, `updated:REASON`, `finished` in order.
        var events: [String]
        var connectedMin: Int?
        var connectedMax: Int?
        var updatedMin: Int
        var mustReasons: [String]
        var dispositions: [String]
    }

    struct Call: Sendable {
        var tenant: String?
        var direction: String?
        var dialedNumber: String?
        var legs: [Leg]
        var callEvents: [String]
        var callMustReasons: [String]
    }

    struct Totals: Sendable {
        var legs: Int?
        var externalLegs: Int?
        var connected: Int?
        var legsByRole: [String: Int]
        var dispositions: [String: Int]
        var callsByTenant: [String: Int]
        var callEvents: [String: Int]
    }

    var folder: String
    var file: String
    var capturedAt: Date?
    var captureSeconds: Double
    var expectedCalls: [Call]?
    var expectedCallCount: Int?
    var totals: Totals?

    var name: String { (file as NSString).deletingPathExtension }
    var capturePath: String { Fixtures.path("fixtures/\(folder)/\(file)") }
    var testDescription: String { "\(folder)/\(name)" }

    /// Every scenario of `fixtures/<folder>/manifest.yaml`, in manifest order.
    static func all(in folder: String) throws -> [ManifestScenario] {
        let text = try Fixtures.text("fixtures/\(folder)/manifest.yaml")
        guard let root = try YAMLParser.parse(text), let scenarios = root["scenarios"]?.sequence else { return [] }
        return scenarios.map { node in
            ManifestScenario(
                folder: folder, file: node["file"]?.scalar?.value ?? "",
                capturedAt: node["captured_at"]?.scalar.flatMap { ISO8601DateFormatter().date(from: $0.value) },
                captureSeconds: node["capture_seconds"]?.scalar?.double ?? 0,
                expectedCalls: node["expected_calls"]?.sequence?.map(call),
                expectedCallCount: node["expected_call_count"]?.scalar?.int,
                totals: node["expected_totals"].map(totals))
        }
    }

    static func named(_ name: String, in folder: String) throws -> ManifestScenario {
        guard let scenario = try all(in: folder).first(where: { $0.name == name }) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "\(folder)/\(name)"])
        }
        return scenario
    }

    private static func strings(_ node: YAMLNode?) -> [String] { node?.sequence?.compactMap { $0.scalar?.value } ?? [] }

    private static func call(_ node: YAMLNode) -> Call {
        Call(
            tenant: node["tenant"]?.scalar?.value, direction: node["direction"]?.scalar?.value,
            dialedNumber: node["dialed_number"]?.scalar?.value,
            legs: node["legs"]?.sequence?.map(leg) ?? [], callEvents: strings(node["call_events"]),
            callMustReasons: strings(node["call_must_reasons"]))
    }

    private static func leg(_ node: YAMLNode) -> Leg {
        let dispositions =
            node["disposition_any"].map { strings($0) }
            ?? node["disposition"]?.scalar.map { [$0.value] } ?? []
        return Leg(
            role: node["role"]?.scalar?.value, number: node["number"]?.scalar?.value ?? "",
            external: node["external"]?.scalar?.bool,
            events: node["events"].map { strings($0) } ?? ["started", "finished"],
            connectedMin: node["connected_min"]?.scalar?.int, connectedMax: node["connected_max"]?.scalar?.int,
            updatedMin: node["updated_min"]?.scalar?.int ?? 0, mustReasons: strings(node["must_reasons"]),
            dispositions: dispositions)
    }

    private static func counts(_ node: YAMLNode?) -> [String: Int] {
        var result: [String: Int] = [:]
        for pair in node?.mapping ?? [] {
            if let key = pair.key.scalar?.value, let value = pair.value.scalar?.int { result[key] = value }
        }
        return result
    }

    private static func totals(_ node: YAMLNode) -> Totals {
        Totals(
            legs: node["legs"]?.scalar?.int, externalLegs: node["external_legs"]?.scalar?.int,
            connected: node["connected"]?.scalar?.int, legsByRole: counts(node["legs_by_role"]),
            dispositions: counts(node["dispositions"]), callsByTenant: counts(node["calls_by_tenant"]),
            callEvents: counts(node["call_events"]))
    }
}
