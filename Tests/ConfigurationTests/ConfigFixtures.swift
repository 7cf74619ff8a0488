import Foundation

/// Paths into the repository's `fixtures/config/` and `docs/`, found from this file's location
/// (SwiftPM resources cannot reach outside a target).
enum ConfigFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func config(_ name: String) -> String { root.appendingPathComponent("fixtures/config/\(name)").path }
    static func repository(_ path: String) -> String { root.appendingPathComponent(path).path }
}
