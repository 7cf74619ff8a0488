import AdminAPI
import CallEvents
import Synchronization

/// A delivery log in memory, recording redelivery requests.
final class InMemoryDeliveryLog: AdminDeliveryLog {
    private let storage: Mutex<[AdminDelivery]>
    private let redelivered = Mutex<[Int64]>([])

    init(_ deliveries: [AdminDelivery] = []) { storage = Mutex(deliveries) }

    func deliveries(webhookID: Int64?, limit: Int) throws -> [AdminDelivery] {
        Array(storage.withLock { $0 }.filter { webhookID == nil || $0.webhookID == webhookID }.prefix(limit))
    }

    func redeliver(id: Int64) throws -> Bool {
        guard storage.withLock({ $0.contains { $0.id == id } }) else { return false }
        redelivered.withLock { $0.append(id) }
        return true
    }

    var redeliveredIDs: [Int64] { redelivered.withLock { $0 } }
}

/// Records what would be sent and answers with a fixed result (for checks of what reaches the sender).
final class RecordingTestSender: AdminTestSending {
    private let requests = Mutex<[AdminTestRequest]>([])
    func send(_ request: AdminTestRequest) -> AdminTestResult {
        requests.withLock { $0.append(request) }
        return AdminTestResult(reachable: true, status: 200, responseBody: "ok", milliseconds: 1.25)
    }
    var sent: [AdminTestRequest] { requests.withLock { $0 } }
}
