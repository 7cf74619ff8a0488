import CallCorrelation
import EventPublisher
import Foundation
import TestSupport
import Testing

/// Full payloads pinned byte for byte for a few representative captures (the manifest tests check
/// meaning; these catch any unintended change of the JSON). `RECORD_GOLDEN=1 swift test` rewrites
/// the files under `fixtures/expected/` and fails, so recording never passes silently.
@Suite("Golden replay output")
struct GoldenReplayTests {
    static let captures = [
        "ami/01-internal-answered-caller-hangup", "ami/08-inbound-queue-agent-answers", "ami/11-voicemail-left",
        "ami/12-blind-transfer", "ami-pjsip/06-inbound-external-answered",
    ]

    @Test("Replay output equals the golden JSON Lines", arguments: captures)
    func replayMatchesGolden(_ capture: String) throws {
        var configuration = CorrelationConfiguration.sample
        configuration.rating.enabled = capture.hasPrefix("ami-pjsip/")  // pins call_rating too
        let output = try ReplayRunner.run(
            capture: Fixtures.path("fixtures/\(capture).ami"), configuration: configuration)
        let goldenPath = Fixtures.path("fixtures/expected/\(capture).jsonl")
        if ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(
                atPath: (goldenPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try output.jsonLines.write(toFile: goldenPath, atomically: true, encoding: .utf8)
            Issue.record("recorded \(goldenPath); run again without RECORD_GOLDEN")
            return
        }
        let golden = try Fixtures.text("fixtures/expected/\(capture).jsonl")
        #expect(output.jsonLines == golden, "\(capture) differs from its golden file")
    }
}
