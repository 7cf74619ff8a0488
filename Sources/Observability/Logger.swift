import Foundation
import Glibc
import Synchronization

/// Log levels, swift-log's set.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case trace, debug, info, notice, warning, error, critical
    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
    public var name: String { String(describing: self) }
    public init?(name: String) {
        guard let level = LogLevel.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = level
    }
}

/// One log record. Messages are short and constant; data goes in dotted metadata keys
/// (`ami.host`, `call.id`, `webhook.id`, `delivery.attempt`).
public struct LogRecord: Sendable {
    public var level: LogLevel
    public var label: String
    public var message: String
    public var metadata: [String: String]
    public var time: Date
}

/// Where records go. Implementations must be thread-safe.
public protocol LogHandler: Sendable {
    func log(_ record: LogRecord)
}

/// A logger value: label, minimum level, metadata; cheap to copy and pass into adapters.
public struct Logger: Sendable {
    public var label: String
    public var level: LogLevel
    public var metadata: [String: String]
    public let handler: any LogHandler

    public init(label: String, level: LogLevel = .info, handler: any LogHandler = StreamLogHandler.standardError()) {
        self.label = label
        self.level = level
        self.metadata = [:]
        self.handler = handler
    }

    public func with(_ extra: [String: String]) -> Logger {
        var copy = self
        copy.metadata.merge(extra) { $1 }
        return copy
    }

    public func child(label: String) -> Logger {
        var copy = self
        copy.label = label
        return copy
    }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) {
        guard level >= self.level else { return }
        var merged = self.metadata
        merged.merge(metadata) { $1 }
        handler.log(LogRecord(level: level, label: label, message: message(), metadata: merged, time: Date()))
    }

    public func trace(_ m: @autoclosure () -> String, _ md: [String: String] = [:]) { log(.trace, m(), md) }
    public func debug(_ m: @autoclosure () -> String, _ md: [String: String] = [:]) { log(.debug, m(), md) }
    public func info(_ m: @autoclosure () -> String, _ md: [String: String] = [:]) { log(.info, m(), md) }
    public func notice(_ m: @autoclosure () -> String, _ md: [String: String] = [:]) { log(.notice, m(), md) }
    public func warning(_ m: @autoclosure () -> String, _ md: [String: String] = [:]) { log(.warning, m(), md) }
    public func error(_ m: @autoclosure () -> String, _ md: [String: String] = [:]) { log(.error, m(), md) }
}

/// Writes human-readable (logfmt-like) or JSON lines to a file handle (stderr by default).
public final class StreamLogHandler: LogHandler, Sendable {
    public enum Format: Sendable { case text, json }
    private let fd: Int32
    private let format: Format
    private let lock = Mutex(())

    public init(fileDescriptor: Int32, format: Format = .text) {
        self.fd = fileDescriptor
        self.format = format
    }

    public static func standardError(format: Format = .text) -> StreamLogHandler {
        StreamLogHandler(fileDescriptor: 2, format: format)
    }

    public func log(_ record: LogRecord) {
        let line = format == .json ? Self.json(record) : Self.text(record)
        let bytes = Array((line + "\n").utf8)
        lock.withLock { _ in
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if written <= 0 { break }
                    offset += written
                }
            }
        }
    }

    /// UTC ISO 8601 with milliseconds, formatted with `gmtime_r` (not `ISO8601DateFormatter`, which
    /// pulls ICU's 34 MB of data into a static release binary).
    static func timestamp(_ date: Date) -> String {
        let since = date.timeIntervalSince1970
        var seconds = time_t(since.rounded(.down))
        let millis = Int((since - Double(seconds)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }

    static func text(_ record: LogRecord) -> String {
        var line = "\(timestamp(record.time)) \(record.level.name.uppercased()) \(record.label): \(record.message)"
        for key in record.metadata.keys.sorted() {
            let value = record.metadata[key]!
            let needsQuotes = value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" })
            line += " \(key)=" + (needsQuotes ? "\"\(value.replacingOccurrences(of: "\"", with: "\\\""))\"" : value)
        }
        return line
    }

    static func json(_ record: LogRecord) -> String {
        var object: [String: String] = record.metadata
        object["time"] = timestamp(record.time)
        object["level"] = record.level.name
        object["logger"] = record.label
        object["message"] = record.message
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

/// Keeps records in memory; for tests that assert what was logged.
public final class InMemoryLogHandler: LogHandler, Sendable {
    private let storage = Mutex<[LogRecord]>([])
    public init() {}
    public func log(_ record: LogRecord) { storage.withLock { $0.append(record) } }
    public var records: [LogRecord] { storage.withLock { $0 } }
    public var messages: [String] { records.map(\.message) }
    /// All text of all records (message and metadata), for "the secret never appears" checks.
    public var fullText: String {
        records.map { r in ([r.message] + r.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: " ") }
            .joined(separator: "\n")
    }
}
