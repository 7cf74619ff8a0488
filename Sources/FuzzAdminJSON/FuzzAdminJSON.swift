// libFuzzer target: arbitrary bytes as the JSON body of POST /api/webhooks and PUT /api/webhooks/1,
// handled by the real AdminRouter (JSON decoding, field validation, the SQLite webhook store in a
// temporary file). Every answer must be a well-formed status; 5xx (an unmapped error) is a finding.
// Build and run: scripts/fuzz.sh admin-json SECONDS.
import AdminAPI
import Foundation
import MicroHTTPD
import Observability
import Storage

private struct NoDeliveries: AdminDeliveryLog {
    func deliveries(webhookID: Int64?, limit: Int) throws -> [AdminDelivery] { [] }
    func redeliver(id: Int64) throws -> Bool { false }
}

private struct NoTestSends: AdminTestSending {
    func send(_ request: AdminTestRequest) -> AdminTestResult {
        AdminTestResult(reachable: false, status: nil, responseBody: "", milliseconds: 0, error: "fuzz")
    }
}

private let router: AdminRouter = {
    let path = NSTemporaryDirectory() + "fuzz-admin-\(getpid()).sqlite"
    for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
    let store = try! WebhookStore(path: path)
    let dependencies = AdminDependencies(webhooks: store, events: CallEventCatalog(), deliveries: NoDeliveries(),
                                         testSender: NoTestSends(), metrics: { AdminMetricsSnapshot() })
    return AdminRouter(token: "fuzz-token", dependencies: dependencies,
                       logger: Logger(label: "fuzz", level: .critical, handler: InMemoryLogHandler()))
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAdminJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    let headers = ["Authorization": "Bearer fuzz-token", "Content-Type": "application/json"]
    let put = size > 0 && data[size - 1] == UInt8(ascii: "\n")
    let request = HTTPRequest(method: put ? "PUT" : "POST", path: put ? "/api/webhooks/1" : "/api/webhooks",
                              headers: headers, body: body)
    let response = router.handle(request)
    if response.status >= 500 {
        fatalError("admin router answered \(response.status) to fuzz input: \(String(decoding: response.body, as: UTF8.self))")
    }
    // Keep the store small: delete whatever a valid body created (ids other than 1).
    if response.status == 201 || response.status == 200,
       let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
       let id = object["id"] as? Int, id != 1 {
        _ = router.handle(HTTPRequest(method: "DELETE", path: "/api/webhooks/\(id)", headers: headers))
    }
    return 0
}
