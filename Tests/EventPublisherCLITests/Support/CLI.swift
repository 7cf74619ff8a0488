import Foundation
import Testing

/// What one run of the `event-publisher` binary produced.
struct CLIResult: Sendable, CustomStringConvertible {
    var arguments: [String]
    var status: Int32
    var stdout: String
    var stderr: String

    /// The stdout lines, without the empty string after a final newline.
    var stdoutLines: [String] { lines(stdout) }
    var stderrLines: [String] { lines(stderr) }

    private func lines(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    var description: String {
        "event-publisher \(arguments.joined(separator: " ")) → exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
}

/// Runs the built `event-publisher` executable as a subprocess.
///
/// The binary is found next to the test bundle: SwiftPM puts test bundles and executables in the same
/// products directory (`.build/<triple>/debug/`), and `swift build --build-tests` builds both.
/// `EVENT_PUBLISHER_BINARY` overrides the lookup.
enum CLI {
    static let executable: Result<URL, CLIError> = locate()

    static func locate() -> Result<URL, CLIError> {
        let fileManager = FileManager.default
        if let override = ProcessInfo.processInfo.environment["EVENT_PUBLISHER_BINARY"], !override.isEmpty {
            return fileManager.isExecutableFile(atPath: override)
                ? .success(URL(fileURLWithPath: override))
                : .failure(CLIError(description: "EVENT_PUBLISHER_BINARY=\(override) is not an executable file"))
        }
        var directories: [URL] = []
        func add(_ url: URL?) {
            guard let url else { return }
            let directory = url.standardizedFileURL
            if !directories.contains(directory) { directories.append(directory) }
        }
        // Linux: the test runner is the `…PackageTests.xctest` executable itself.
        if let first = ProcessInfo.processInfo.arguments.first, first.contains("/") {
            let runner = URL(fileURLWithPath: first)
            add(runner.deletingLastPathComponent())
            add(runner.resolvingSymlinksInPath().deletingLastPathComponent())
        }
        add(Bundle.main.executableURL?.deletingLastPathComponent())
        // macOS: `xctest` loads the `.xctest` bundle (a directory) from the products directory.
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            add(bundle.bundleURL.deletingLastPathComponent())
        }
        for directory in directories {
            let candidate = directory.appendingPathComponent("event-publisher")
            var isDirectory: ObjCBool = false
            if fileManager.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
               fileManager.isExecutableFile(atPath: candidate.path) {
                return .success(candidate)
            }
        }
        let looked = directories.map(\.path).joined(separator: ", ")
        return .failure(CLIError(description: """
            the event-publisher executable was not found next to the test bundle (looked in: \(looked)). \
            Build it first: `swift build --build-tests` builds the executable too, then \
            `swift test --skip-build`; or set EVENT_PUBLISHER_BINARY to its path.
            """))
    }

    /// Runs `event-publisher arguments…` in `directory` (default: a fresh temporary directory, so no
    /// `config/event-publisher.yaml` is picked up by accident) and returns its status and output.
    ///
    /// `environment` entries are added to this process's environment; a nil value removes the name.
    /// Output goes to files, not pipes, so a chatty child can never block on a full pipe.
    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String?] = [:],
                    timeout: Duration = .seconds(10)) throws -> CLIResult {
        let executable = try CLI.executable.get()
        let scratch = try TemporaryDirectory(prefix: "ep-cli-run")
        defer { scratch.remove() }

        let stdoutURL = scratch.url.appendingPathComponent("stdout")
        let stderrURL = scratch.url.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
        let stderrHandle = try FileHandle(forWritingTo: stderrURL)

        var variables = ProcessInfo.processInfo.environment
        for (name, value) in environment { variables[name] = value }

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? scratch.url
        process.environment = variables
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle
        try process.run()

        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.005)
        }
        let timedOut = process.isRunning
        if timedOut { process.terminate() }
        process.waitUntilExit()
        try stdoutHandle.close()
        try stderrHandle.close()

        let result = CLIResult(
            arguments: arguments, status: process.terminationStatus,
            stdout: String(decoding: try Data(contentsOf: stdoutURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: stderrURL), as: UTF8.self))
        if timedOut {
            throw CLIError(description: "timed out after \(timeout):\n\(result)")
        }
        return result
    }

    /// Parses JSON text (an object or an array) with Foundation.
    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }
}

/// A directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory: Sendable {
    let url: URL

    init(prefix: String = "ep-cli-test") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: url.appendingPathComponent(name))
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Runs `body` with a fresh temporary directory and removes it afterwards.
func withTemporaryDirectory<T>(_ body: (TemporaryDirectory) throws -> T) throws -> T {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    return try body(directory)
}
