import CallEvents
import Delivery
import Foundation
import Observability
import Storage
import Synchronization
import Testing
import Webhooks

/// A private directory per test, removed when the value is released.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        let template = NSTemporaryDirectory() + "delivery-tests-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let created = mkdtemp(&bytes) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: created)
    }

    func file(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

enum Fixture {
    /// A call-leg event of call `call`, number `sequence`.
    static func event(call: String, sequence: Int, type: EventName = .callUpdated, tenant: String = "main") -> CallEvent {
        CallEvent(id: "evt_\(call)_\(sequence)", type: type, timestamp: EventInstant(microseconds: 1_796_414_998_475_033),
                  tenant: tenant, sequence: sequence, callID: call,
                  data: ["call_id": .string(call), "note": .string("sequence \(sequence)")])
    }

    /// A fresh outbox in `directory` holding one pending delivery: call A, sequence 1, webhook 1 "crm".
    static func outboxWithOneDelivery(in directory: TemporaryDirectory) throws -> (Outbox, Int64) {
        let outbox = try Outbox(path: directory.file("outbox.sqlite"))
        let id = try #require(try outbox.enqueue(
            [OutboxItem(event: event(call: "A", sequence: 1), webhookID: 1, webhookName: "crm")],
            nowMilliseconds: 1).first?.id)
        return (outbox, id)
    }

    static func webhook(id: Int64, url: String, name: String? = nil, auth: WebhookAuth = .none,
                        signingSecret: String? = nil, headers: [WebhookHeader] = []) -> Webhook {
        Webhook(id: id, name: name ?? "hook-\(id)", isActive: true, url: url, headers: headers, auth: auth,
                signingSecret: signingSecret, subscribesToAllEvents: true)
    }

    /// Short retries so tests finish quickly; no jitter.
    static func policy(_ milliseconds: [Int] = [100, 100, 100], disableAfter: Duration? = nil) -> RetryPolicy {
        RetryPolicy(schedule: milliseconds.map { .milliseconds($0) }, jitterFraction: 0,
                    maxRetryAfter: .seconds(5), disableAfterFailingFor: disableAfter)
    }

    static func configuration(policy: RetryPolicy = Fixture.policy(), totalTimeout: Int = 5_000) -> DeliveryConfiguration {
        DeliveryConfiguration(policy: policy,
                              limits: DeliveryLimits(connectTimeoutMilliseconds: 2_000,
                                                     totalTimeoutMilliseconds: totalTimeout),
                              userAgent: "event-publisher/test", resyncIntervalMilliseconds: 200)
    }
}

/// A webhook set that tests can change while the service runs.
final class WebhookSet: Sendable {
    private let state: Mutex<[Webhook]>
    init(_ webhooks: [Webhook]) { state = Mutex(webhooks) }
    var all: [Webhook] { state.withLock { $0 } }
    func update(_ body: (inout [Webhook]) -> Void) { state.withLock { body(&$0) } }
    func setActive(_ id: Int64, _ active: Bool) {
        update { list in
            for index in list.indices where list[index].id == id { list[index].isActive = active }
        }
    }
}

/// An outbox on a fresh SQLite file plus a delivery service over it.
final class Harness: Sendable {
    let directory: TemporaryDirectory
    let outbox: Outbox
    let service: DeliveryService
    let webhooks: WebhookSet
    let logs = InMemoryLogHandler()
    let disabled = Locked<[(Int64, String)]>([])

    init(webhooks: [Webhook], configuration: DeliveryConfiguration = Fixture.configuration(),
         directory: TemporaryDirectory? = nil) throws {
        self.directory = try directory ?? TemporaryDirectory()
        outbox = try Outbox(path: self.directory.file("events.sqlite"))
        let set = WebhookSet(webhooks)
        self.webhooks = set
        let disabled = self.disabled
        service = DeliveryService(outbox: outbox, webhooks: { set.all }, configuration: configuration,
                                  logger: Logger(label: "delivery", level: .debug, handler: logs),
                                  onWebhookDisabled: { webhook, reason in
                                      disabled.withLock { $0.append((webhook.id, reason)) }
                                      set.setActive(webhook.id, false)
                                  })
    }

    /// Enqueues each event for every webhook of the set.
    func enqueue(_ events: [CallEvent]) throws {
        let all = webhooks.all
        try service.enqueue(events) { _ in all }
    }

    /// Waits (bounded) until `condition` holds on the deliveries.
    @discardableResult
    func waitForDeliveries(timeout: Duration = .seconds(10), until condition: ([DeliveryRecord]) -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let records = try? outbox.deliveries(DeliveryQuery(limit: 10_000)), condition(records) { return true }
            if ContinuousClock.now >= deadline { return false }
            usleep(10_000)
        }
    }

    deinit { service.stop(timeout: .seconds(2)) }
}

/// Standard Webhooks signature computed by Python's hmac/hashlib: an implementation that shares no
/// code with the one under test.
func pythonSignature(secret: String, messageID: String, timestamp: String, body: [UInt8]) throws -> String {
    let script = """
        import base64, hashlib, hmac, sys
        secret, msg_id, ts = sys.argv[1], sys.argv[2], sys.argv[3]
        body = sys.stdin.buffer.read()
        key = base64.b64decode(secret.split("_", 1)[1])
        mac = hmac.new(key, msg_id.encode() + b"." + ts.encode() + b"." + body, hashlib.sha256).digest()
        sys.stdout.write("v1," + base64.b64encode(mac).decode())
        """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script, secret, messageID, timestamp]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    input.fileHandleForWriting.write(Data(body))
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// A value behind a mutex, in a class so escaping closures can share it.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
    var value: Value { mutex.withLock { $0 } }
}
