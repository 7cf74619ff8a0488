import Configuration
import EventPublisher
import Foundation
import Observability

/// `event-publisher record --out FILE.ami [--config PATH] [--duration 10m] [--events N]`
///
/// Logs in to the PBX named in the configuration's `ami:` section and writes what it sends to a
/// capture file, so a user can check with `replay` what the daemon makes of their own PBX's calls,
/// and attach the file to a bug report. Stops at Ctrl-C, the duration, the event count, or when
/// Asterisk disconnects.
enum RecordCommand {
    static let usage = """
        usage: event-publisher record --out FILE.ami [--config PATH] [--duration 10m] [--events N]
          Records the AMI stream of the PBX in the configuration's ami: section into FILE.ami
          (byte for byte, created 0600, never overwritten) until Ctrl-C, --duration (30s, 10m, 2h),
          --events N, or a disconnect. Then: event-publisher replay FILE.ami
        """

    static func run(_ arguments: [String]) -> Int32 {
        var configPath = CheckConfigCommand.defaultConfigPath
        var output: String?
        var limits = CaptureRecorder.Limits()
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--config", "--out", "--duration", "--events":
                guard let value = rest.popFirst() else { return fail("\(argument) needs a value") }
                switch argument {
                case "--config": configPath = value
                case "--out": output = value
                case "--duration":
                    guard let milliseconds = DurationText.milliseconds(value), milliseconds > 0 else {
                        return fail("--duration: expected a duration such as 30s, 10m or 2h, got \"\(value)\"")
                    }
                    limits.duration = .milliseconds(milliseconds)
                default:
                    guard let count = Int(value), count > 0 else {
                        return fail("--events: expected a positive whole number, got \"\(value)\"")
                    }
                    limits.maxEvents = count
                }
            case "-h", "--help":
                Output.out(usage + "\n")
                return 0
            default:
                return fail("unexpected argument \(argument)")
            }
        }
        guard let output else { return fail("--out FILE.ami is required") }
        let configuration: GatewayConfiguration
        do {
            configuration = try GatewayConfiguration.load(path: configPath)
        } catch {
            Output.err("event-publisher record: \(configPath) is invalid:\n\(error)\n")
            return 65
        }
        let ami = configuration.ami
        let logger = Logger(label: "event-publisher", level: .warning, handler: StreamLogHandler.standardError(format: .text))
        let stop = DispatchSemaphore(value: 0)
        let signals = TerminationSignals(signalling: stop)
        defer { signals.cancel() }
        Output.err("recording AMI from \(ami.host):\(ami.port) as \(ami.username) into \(output); Ctrl-C stops\n")
        do {
            let summary = try CaptureRecorder.record(ami: ami, to: output, limits: limits, stop: stop, logger: logger)
            Output.err("recorded \(summary.events) events (\(summary.bytes) bytes) into \(output): \(summary.endReason)\n"
                       + "see what the daemon makes of it: event-publisher replay \(output) --config \(configPath)\n")
            return 0
        } catch {
            Output.err("event-publisher record: \(error)\n")
            return 69  // EX_UNAVAILABLE
        }
    }

    private static func fail(_ message: String) -> Int32 {
        Output.err("event-publisher record: \(message)\n\(usage)\n")
        return 64
    }
}
