import Foundation

/// Locates files of the repository (fixtures, manifests, docs) from this source file, so tests
/// work from any working directory. Used by the correlation engine's replay and catalogue tests.
public enum Fixtures {
    /// The repository root (the folder holding `Package.swift`).
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath)  // …/Sources/TestSupport/Fixtures.swift
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Absolute path of a repository-relative path, e.g. `fixtures/ami/manifest.yaml`.
    public static func path(_ relative: String) -> String {
        repositoryRoot.appendingPathComponent(relative).path
    }

    /// The text of a repository file (UTF-8).
    public static func text(_ relative: String) throws -> String {
        let path = path(relative)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        return String(decoding: data, as: UTF8.self)
    }
}
