import AMIProtocol
import CallCorrelation
import CallEvents
import Configuration
import EventPublisher
import Foundation

/// `event-publisher replay CAPTURE.ami [--config PATH] [--raw]`
///
/// Runs a captured AMI stream through the same correlation loop as the daemon and prints JSON
/// Lines on stdout: one event envelope per line in emission order, or with `--raw` one object per
/// decoded AMI message (the banner excluded). Diagnostics go to stderr only with `--verbose`.
///
/// `--raw` format: keys as on the wire (first spelling), values as on the wire (Asterisk's C escapes
/// kept); a key that occurs more than once (`ChanVariable`, `Output`, …) maps to an array of its
/// values in order. Keys are grouped case-insensitively, as AMI keys are case-insensitive.
enum ReplayCommand {
    static let usage = """
        usage: event-publisher replay CAPTURE.ami [--config PATH] [--raw] [--verbose]
          Replays a captured AMI stream and prints the call events as JSON Lines (one envelope per line).
          --config PATH  configuration (tenants, numbers, rating); default config/event-publisher.yaml
                         when present, else the built-in sample rules
          --raw          print the decoded AMI messages as JSON Lines instead
          --verbose      print correlation diagnostics on stderr
        """

    static func run(_ arguments: [String]) -> Int32 {
        var capture: String?
        var configPath: String?
        var raw = false
        var verbose = false
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--raw": raw = true
            case "--verbose": verbose = true
            case "--config":
                guard index + 1 < arguments.count else { return fail("--config needs a path") }
                index += 1
                configPath = arguments[index]
            case "-h", "--help":
                Output.out(usage + "\n")
                return 0
            default:
                if argument.hasPrefix("--config=") {
                    configPath = String(argument.dropFirst("--config=".count))
                } else if argument.hasPrefix("-") || capture != nil {
                    return fail("unexpected argument \(argument)")
                } else {
                    capture = argument
                }
            }
            index += 1
        }
        guard let capture else { return fail("missing CAPTURE.ami") }
        do {
            if raw {
                var bytes: [UInt8] = []
                for message in try ReplayRunner.messages(capture: capture) {
                    bytes += rawJSON(message).encoded()
                    bytes.append(UInt8(ascii: "\n"))
                }
                Output.out(bytes)
                return 0
            }
            let configuration = try correlationConfiguration(explicitPath: configPath)
            let output = try ReplayRunner.run(capture: capture, configuration: configuration)
            Output.out(Array(output.jsonLines.utf8))
            if verbose {
                for diagnostic in output.decodingDiagnostics { Output.err("\(diagnostic)\n") }
                for diagnostic in output.diagnostics { Output.err("\(diagnostic)\n") }
            }
            return 0
        } catch let error as ConfigurationError {
            Output.err("\(error)\n")
            return 2
        } catch {
            return fail("\(error)")
        }
    }

    /// The correlation rules: from `--config`, else from the default file when it exists, else
    /// the built-in sample rules (equal to the shipped config/event-publisher.yaml).
    static func correlationConfiguration(explicitPath: String?) throws -> CorrelationConfiguration {
        let path = explicitPath ?? "config/event-publisher.yaml"
        if explicitPath == nil && !FileManager.default.fileExists(atPath: path) { return .sample }
        return try GatewayConfiguration.load(path: path).correlation
    }

    /// One AMI message as a JSON object (see the type's documentation for the format).
    static func rawJSON(_ message: AMIMessage) -> JSONValue {
        var object: [String: JSONValue] = [:]
        var spelling: [String: String] = [:]
        for (key, value) in message.fields {
            let folded = key.lowercased()
            let name = spelling[folded] ?? key
            spelling[folded] = name
            switch object[name] {
            case nil: object[name] = .string(value)
            case .array(let values)?: object[name] = .array(values + [.string(value)])
            case let single?: object[name] = .array([single, .string(value)])
            }
        }
        if let output = message.commandOutput { object["CommandOutput"] = .array(output.map { .string($0) }) }
        return .object(object)
    }

    private static func fail(_ message: String) -> Int32 {
        Output.err("event-publisher replay: \(message)\n\(usage)\n")
        return 64
    }
}

/// stdout/stderr writes without buffering surprises (one write per call).
enum Output {
    static func out(_ text: String) { FileHandle.standardOutput.write(Data(text.utf8)) }
    static func out(_ bytes: [UInt8]) { FileHandle.standardOutput.write(Data(bytes)) }
    static func err(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
