import CallEvents
import EventPublisher
import Foundation
import Testing
import TestSupport

/// `event-publisher replay CAPTURE.ami [--raw]` against the bundled captures.
@Suite("event-publisher replay")
struct ReplayTests {
    static let captures = ["ami/06-inbound-external-answered.ami", "ami/16-concurrent-10-mixed.ami",
                           "ami-pjsip/08-inbound-queue-agent-answers.ami"]

    @Test("replay prints one JSON event envelope per line, exactly what ReplayRunner produces", arguments: captures)
    func replayMatchesRunner(capture: String) throws {
        let path = AMICaptureFiles.absolutePath(capture)
        // Run in an empty directory: no config/event-publisher.yaml, so the built-in sample rules apply,
        // the same as ReplayRunner's default.
        let result = try CLI.run(["replay", path])
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.isEmpty, "\(result)")

        let expected = try ReplayRunner.run(capture: path)
        #expect(!expected.events.isEmpty)
        #expect(result.stdoutLines.count == expected.events.count)
        #expect(result.stdout == expected.jsonLines)

        for (index, line) in result.stdoutLines.enumerated() {
            let object = try #require(try CLI.json(line) as? [String: Any], "line \(index + 1) is not an object: \(line)")
            for key in ["id", "type", "timestamp", "tenant", "sequence", "data"] {
                #expect(object[key] != nil, "line \(index + 1) lacks \(key): \(line)")
            }
            #expect(object["type"] as? String == expected.events[index].type.rawValue)
        }
    }

    @Test("replay is deterministic: two runs of the same capture print identical bytes")
    func replayIsDeterministic() throws {
        let path = AMICaptureFiles.absolutePath("ami/16-concurrent-10-mixed.ami")
        let first = try CLI.run(["replay", path])
        let second = try CLI.run(["replay", path])
        #expect(first.status == 0 && second.status == 0, "\(first)\n\(second)")
        #expect(!first.stdout.isEmpty)
        #expect(first.stdout == second.stdout)
    }

    @Test("replay --raw prints one JSON object per decoded AMI message", arguments: captures)
    func rawCountsMessages(capture: String) throws {
        let path = AMICaptureFiles.absolutePath(capture)
        let result = try CLI.run(["replay", path, "--raw"])
        #expect(result.status == 0, "\(result)")
        let messages = try ReplayRunner.messages(capture: path)
        #expect(result.stdoutLines.count == messages.count)
        #expect(result.stdoutLines.count == ReplayRunner.run(bytes: try AMICaptureFiles.bytes(capture)).messageCount)
        for line in result.stdoutLines {
            let object = try #require(try CLI.json(line) as? [String: Any], "not an object: \(line)")
            #expect(object["Event"] != nil || object["Response"] != nil, "neither Event nor Response: \(line)")
        }
    }

    @Test("replay of a missing file exits non-zero, names the file on stderr and prints nothing on stdout")
    func missingCapture() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("no-such-capture.ami")
            let result = try CLI.run(["replay", path])
            #expect(result.status != 0, "\(result)")
            #expect(result.stderr.contains("cannot read capture \(path)"), "\(result)")
            #expect(result.stdout.isEmpty, "\(result)")
        }
    }

    @Test("replay without a capture exits 64 with the usage")
    func noCapture() throws {
        let result = try CLI.run(["replay", "--raw"])
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("missing CAPTURE.ami"), "\(result)")
        #expect(result.stderr.contains("usage: event-publisher replay"), "\(result)")
    }

    @Test("replay with an invalid --config exits non-zero with its problems and prints no events")
    func invalidConfig() throws {
        let config = Fixtures.path("fixtures/config/broken-types.yaml")
        let result = try CLI.run(["replay", AMICaptureFiles.absolutePath("ami/06-inbound-external-answered.ami"),
                                  "--config", config])
        #expect(result.status != 0, "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
        #expect(result.stderr.contains("\(config):3:3: ami.hots: unknown key"), "\(result)")
    }
}
