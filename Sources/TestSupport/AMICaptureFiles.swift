import Foundation

/// Paths of the AMI captures under `fixtures/` (found from this source file, so tests work from
/// any working directory). Named apart from `Fixtures` (the engine's helper) on purpose.
public enum AMICaptureFiles {
    /// The repository root (the folder holding `Package.swift`).
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath)  // …/Sources/TestSupport/AMICaptureFiles.swift
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `fixtures/<folder>/<name>`.
    public static func path(_ name: String, folder: String = "ami") -> String {
        repositoryRoot.appendingPathComponent("fixtures").appendingPathComponent(folder)
            .appendingPathComponent(name).path
    }

    /// Every `.ami` file in `fixtures/ami` and `fixtures/ami-pjsip`, as "folder/name", sorted.
    public static func all() -> [String] {
        var names: [String] = []
        for folder in ["ami", "ami-pjsip"] {
            let directory = repositoryRoot.appendingPathComponent("fixtures").appendingPathComponent(folder).path
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            names += files.filter { $0.hasSuffix(".ami") }.map { "\(folder)/\($0)" }
        }
        return names.sorted()
    }

    /// The bytes of "folder/name".
    public static func bytes(_ relative: String) throws -> [UInt8] {
        let path = repositoryRoot.appendingPathComponent("fixtures").appendingPathComponent(relative).path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        return [UInt8](data)
    }

    /// Absolute path of "folder/name".
    public static func absolutePath(_ relative: String) -> String {
        repositoryRoot.appendingPathComponent("fixtures").appendingPathComponent(relative).path
    }
}
