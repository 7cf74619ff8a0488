import Delivery
import EventPublisher
import Foundation
import Observability

/// `event-publisher run [--config PATH] [--demo] [--log-format text|json] [--log-level LEVEL]`:
/// the daemon. Runs until SIGTERM/SIGINT; SIGHUP reloads the configuration.
enum RunCommand {
    static let usage = """
        usage: event-publisher run [--config PATH] [--demo] [--log-format text|json] [--log-level LEVEL]
          --config PATH        configuration file (default config/event-publisher.yaml)
          --demo               no PBX needed: a local AMI server streams bundled captures through the
                               live pipeline and a local receiver prints every delivery
          --fixtures DIR       where --demo finds the captures (default fixtures/ami)
          --log-format FORMAT  text (default) or json (one JSON object per line)
          --log-level LEVEL    trace, debug, info (default), notice, warning, error, critical
        """

    static func run(_ arguments: [String]) -> Int32 {
        var configPath = "config/event-publisher.yaml"
        var demo = false
        var fixtures = "fixtures/ami"
        var format = StreamLogHandler.Format.text
        var level = LogLevel.info
        var index = 0
        func value(_ flag: String) -> String? {
            index += 1
            guard index < arguments.count else {
                Output.err("event-publisher run: \(flag) needs a value\n\(usage)\n")
                return nil
            }
            return arguments[index]
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--config": guard let v = value("--config") else { return 64 }; configPath = v
            case "--demo": demo = true
            case "--fixtures": guard let v = value("--fixtures") else { return 64 }; fixtures = v
            case "--log-format":
                guard let v = value("--log-format") else { return 64 }
                switch v {
                case "text": format = .text
                case "json": format = .json
                default:
                    Output.err("event-publisher run: --log-format: unknown value \"\(v)\" (expected text or json)\n")
                    return 64
                }
            case "--log-level":
                guard let v = value("--log-level") else { return 64 }
                guard let parsed = LogLevel(name: v) else {
                    Output.err("event-publisher run: --log-level: unknown value \"\(v)\" (expected "
                               + LogLevel.allCases.map(\.name).joined(separator: ", ") + ")\n")
                    return 64
                }
                level = parsed
            case "-h", "--help":
                Output.out(usage + "\n")
                return 0
            default:
                Output.err("event-publisher run: unknown option \(arguments[index])\n\(usage)\n")
                return 64
            }
            index += 1
        }
        guard FileManager.default.fileExists(atPath: configPath) else {
            Output.err("event-publisher run: --config: no such file \(configPath)\n")
            return 66
        }
        let logger = Logger(label: "event-publisher", level: level,
                            handler: StreamLogHandler.standardError(format: format))
        var delivery = DeliveryConfiguration()
        delivery.userAgent = BuildInfo.userAgent
        let daemon = Daemon(options: DaemonOptions(configPath: configPath, demo: demo, fixturesDirectory: fixtures,
                                                   logger: logger, deliveryConfiguration: delivery))
        return daemon.runUntilSignalled()
    }
}
