import EventPublisher
import Foundation
import Glibc
import Testing
import TestSupport

/// Follows the README's five-minute walkthrough literally: the daemon in demo mode streams the
/// bundled captures over TCP through the live pipeline to the local receiver, which prints one
/// line per delivery. So the README cannot rot.
@Suite("README walkthrough")
struct WalkthroughTests {
    @Test("run --demo delivers every event of the bundled captures once, then stops cleanly on SIGTERM")
    func demoDeliversEveryBundledEvent() throws {
        let executable = try CLI.executable.get()
        let directory = try TemporaryDirectory(prefix: "ep-walkthrough")
        defer { directory.remove() }
        let adminPort = try freePort(), receiverPort = try freePort()
        let sample = try String(contentsOfFile: Fixtures.path("config/event-publisher.yaml"), encoding: .utf8)
        let config = sample
            .replacingOccurrences(of: "data/event-publisher.sqlite", with: directory.path("store/ep.sqlite"))
            .replacingOccurrences(of: "127.0.0.1:8088", with: "127.0.0.1:\(adminPort)")
            .replacingOccurrences(of: "127.0.0.1:8099", with: "127.0.0.1:\(receiverPort)")
        try directory.write("event-publisher.yaml", config)

        // What the walkthrough should show: every event `replay` gives for the demo's captures.
        let captures = [
            "01-internal-answered-caller-hangup", "06-inbound-external-answered", "08-inbound-queue-agent-answers",
            "11-voicemail-left", "12-blind-transfer",
        ]
        var expectedIDs: Set<String> = []
        for name in captures {
            let output = try ReplayRunner.run(capture: Fixtures.path("fixtures/ami/\(name).ami"))
            expectedIDs.formUnion(output.events.map(\.id))
        }
        try #require(expectedIDs.count > 30, "the demo captures give their events")

        let stdoutURL = directory.url.appendingPathComponent("stdout")
        FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        let stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
        let process = Process()
        process.executableURL = executable
        process.arguments = ["run", "--demo", "--config", directory.path("event-publisher.yaml"),
                             "--fixtures", Fixtures.path("fixtures/ami")]
        process.currentDirectoryURL = directory.url
        process.standardOutput = stdoutHandle
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }

        func deliveredIDs() -> [String] {
            let text = (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").filter { $0.hasPrefix("delivery ") }.compactMap { line in
                line.split(separator: " ").first { $0.hasPrefix("webhook-id=") }.map { String($0.dropFirst(11)) }
            }
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline && Set(deliveredIDs()).count < expectedIDs.count && process.isRunning {
            Thread.sleep(forTimeInterval: 0.1)
        }
        let delivered = deliveredIDs()
        #expect(Set(delivered) == expectedIDs, "the receiver printed \(delivered.count) deliveries")
        #expect(delivered.count == Set(delivered).count, "no delivery printed twice")

        kill(process.processIdentifier, SIGTERM)
        let stopDeadline = ContinuousClock.now + .seconds(20)
        while process.isRunning && ContinuousClock.now < stopDeadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!process.isRunning, "the daemon stops on SIGTERM")
        if !process.isRunning { #expect(process.terminationStatus == 0) }
        try stdoutHandle.close()
    }

    /// A TCP port free right now on 127.0.0.1 (bound, read back, released).
    private func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CLIError(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw CLIError(description: "bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
