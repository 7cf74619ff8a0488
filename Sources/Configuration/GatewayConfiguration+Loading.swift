import CallCorrelation
import Foundation
import Webhooks
import YAML

extension GatewayConfiguration {
    typealias Fields = ConfigurationReader.Fields

    /// Reads, parses and validates the file at `path`.
    ///
    /// - Parameter environment: where `${NAME}` values come from (the process environment by default;
    ///   tests pass their own).
    /// - Throws: ``ConfigurationError`` listing every problem, `file:line:column: key.path: problem`.
    public static func load(path: String,
                            environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigurationError) -> GatewayConfiguration
    {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? "cannot read the file"
            let exists = FileManager.default.fileExists(atPath: path)
            throw ConfigurationError(problems: [ConfigurationProblem(
                file: path, mark: nil, keyPath: "",
                message: exists ? "cannot read: \(reason)" : "no such file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(problems: [ConfigurationProblem(file: path, mark: nil, keyPath: "",
                                                                     message: "not UTF-8 text")])
        }
        return try parse(text, file: path, environment: environment)
    }

    /// Parses configuration text; `file` is only used in messages.
    public static func parse(_ text: String, file: String,
                             environment: [String: String] = [:]) throws(ConfigurationError) -> GatewayConfiguration {
        let root: YAMLNode?
        do {
            root = try YAMLParser.parse(text)
        } catch {
            let message = error.kind == .syntax ? "YAML syntax: \(error.message)" : error.message
            throw ConfigurationError(problems: [ConfigurationProblem(file: file, mark: error.mark, keyPath: "",
                                                                     message: message)])
        }
        var reader = ConfigurationReader(file: file, environment: environment)
        let topMark = root?.mark ?? YAMLMark(line: 1, column: 1)
        let top = reader.fields(root, "", allowed: ConfigurationKeys.top)
            ?? emptyFields(at: topMark)
        let ami = readAMI(top, &reader)
        let store = readStore(top, &reader)
        let admin = readAdmin(top, &reader)
        let tenants = readTenants(top, &reader)
        let (internalPattern, trunkPattern) = readNumbers(top, &reader)
        let rating = readRating(top, &reader)
        let tenantNames = [CorrelationConfiguration.mainTenant] + tenants.map(\.name)
        let webhooks = readWebhooks(top, knownTenants: tenantNames, &reader)
        let delivery = readDelivery(top, &reader)
        guard reader.problems.isEmpty, let ami else {
            let sorted = reader.problems.enumerated().sorted { a, b in
                let left = a.element.mark ?? YAMLMark(line: 0, column: 0)
                let right = b.element.mark ?? YAMLMark(line: 0, column: 0)
                return (left.line, left.column, a.offset) < (right.line, right.column, b.offset)
            }.map(\.element)
            throw ConfigurationError(problems: sorted)
        }
        var configuration = GatewayConfiguration(ami: ami, store: store, admin: admin, tenants: tenants,
                                                 internalNumberPattern: internalPattern, rating: rating,
                                                 webhooks: webhooks, trunkChannelPattern: trunkPattern)
        configuration.delivery = delivery
        return configuration
    }

    private static func readDelivery(_ top: Fields, _ reader: inout ConfigurationReader) -> DeliverySettings {
        guard let fields = reader.fields(top.value("delivery"), "delivery", allowed: ConfigurationKeys.delivery) else {
            return DeliverySettings()
        }
        let second: Int64 = 1_000, day: Int64 = 86_400_000
        return DeliverySettings(
            refusePrivateDestinations: reader.bool(fields, "refuse_private_destinations") ?? false,
            retryScheduleMilliseconds: reader.durations(fields, "retry_schedule", range: second...(7 * day), maxCount: 50),
            connectTimeoutMilliseconds: reader.duration(fields, "connect_timeout", range: 100...(60 * second)),
            requestTimeoutMilliseconds: reader.duration(fields, "request_timeout", range: second...(300 * second)),
            maxInFlightPerWebhook: reader.int(fields, "max_in_flight_per_webhook", range: 1...1_024),
            maxInFlight: reader.int(fields, "max_in_flight", range: 1...65_536),
            disableAfterFailingForMilliseconds: reader.duration(fields, "disable_after_failing_for",
                                                                range: (60 * second)...(365 * day), orKeyword: "never"),
            logRetentionMilliseconds: reader.duration(fields, "log_retention", range: (60 * second)...(3_650 * day),
                                                      orKeyword: "forever"))
    }

    private static func emptyFields(at mark: YAMLMark) -> ConfigurationReader.Fields {
        ConfigurationReader.Fields(node: YAMLNode(kind: .mapping([]), mark: mark), path: "")
    }

    private static func readAMI(_ top: Fields, _ reader: inout ConfigurationReader) -> AMISettings? {
        guard let fields = reader.fields(top.value("ami"), "ami", allowed: ConfigurationKeys.ami) else {
            reader.report(top.mark("ami"), "ami", "required (at least ami.username and ami.secret)")
            return nil
        }
        let host = reader.string(fields, "host", nonEmpty: true) ?? "127.0.0.1"
        let port = reader.int(fields, "port", range: 1...65535) ?? 5038
        let username = reader.string(fields, "username", required: true, nonEmpty: true)
        let secret = reader.string(fields, "secret", required: true)
        let md5 = reader.bool(fields, "md5_challenge") ?? false
        guard let username, let secret else { return nil }
        return AMISettings(host: host, port: port, username: username, secret: secret, usesMD5Challenge: md5)
    }

    private static func readStore(_ top: Fields, _ reader: inout ConfigurationReader) -> StoreSettings {
        guard let fields = reader.fields(top.value("store"), "store", allowed: ConfigurationKeys.store) else {
            return StoreSettings()
        }
        return StoreSettings(path: reader.string(fields, "path", nonEmpty: true) ?? StoreSettings().path)
    }

    private static func readAdmin(_ top: Fields, _ reader: inout ConfigurationReader) -> AdminSettings {
        guard let fields = reader.fields(top.value("admin"), "admin", allowed: ConfigurationKeys.admin) else {
            return AdminSettings()
        }
        var settings = AdminSettings()
        if let listen = reader.string(fields, "listen") {
            if AdminSettings.split(listen) == nil {
                reader.report(fields.mark("listen"), "admin.listen",
                              "expected host:port such as 127.0.0.1:8088 or [::1]:8088, got \"\(listen)\"")
            } else {
                settings.listen = listen
            }
        }
        settings.token = reader.string(fields, "token", nonEmpty: true)
        return settings
    }

    private static func readNumbers(_ top: Fields, _ reader: inout ConfigurationReader)
        -> (internal: String, trunk: String?)
    {
        guard let fields = reader.fields(top.value("numbers"), "numbers", allowed: ConfigurationKeys.numbers) else {
            return (defaultInternalPattern, nil)
        }
        func pattern(_ key: String, _ reader: inout ConfigurationReader) -> String? {
            guard let pattern = reader.string(fields, key, nonEmpty: true) else { return nil }
            if let problem = regexProblem(pattern) {
                reader.report(fields.mark(key), fields.path(key), problem)
            }
            return pattern
        }
        return (pattern("internal", &reader) ?? defaultInternalPattern, pattern("trunk_channel_pattern", &reader))
    }

    static func regexProblem(_ pattern: String) -> String? {
        do {
            _ = try Regex(pattern)
            return nil
        } catch {
            return "invalid regular expression: \(error)"
        }
    }
}
