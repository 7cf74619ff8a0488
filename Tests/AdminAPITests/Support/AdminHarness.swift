import AdminAPI
import CallEvents
import Foundation
import MicroHTTPD
import Observability
import Storage
import Webhooks

/// A router with its dependencies for in-process tests, plus helpers to call it like a client would.
struct AdminHarness {
    static let token = "s3cret-admin-token"

    /// The real store on a fresh SQLite file, with tenants acme and globex besides main.
    let store: WebhookStore
    let directory: String
    let deliveries: InMemoryDeliveryLog
    let logs = InMemoryLogHandler()
    let router: AdminRouter
    let dependencies: AdminDependencies

    init(testSender: any AdminTestSending = RecordingTestSender(),
         metrics: @escaping @Sendable () -> AdminMetricsSnapshot = { AdminMetricsSnapshot() },
         deliveries: [AdminDelivery] = []) {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("admin-api-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try! WebhookStore(path: directory + "/store.sqlite")
        try! store.applyConfiguration(webhooks: [], tenants: [TenantRecord(name: "acme"), TenantRecord(name: "globex")])
        self.deliveries = InMemoryDeliveryLog(deliveries)
        dependencies = AdminDependencies(webhooks: store, events: CallEventCatalog(), deliveries: self.deliveries,
                                         testSender: testSender, metrics: metrics)
        router = AdminRouter(token: Self.token, dependencies: dependencies,
                             logger: Logger(label: "admin-test", level: .debug, handler: logs))
    }

    /// Calls the router with the admin token (unless `token` says otherwise).
    func call(_ method: String, _ path: String, query: [String: String] = [:], json: JSONValue? = nil,
              body: String? = nil, token: String? = AdminHarness.token) -> Reply {
        var headers: [String: String] = [:]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        let bytes = json?.encoded() ?? body.map { Array($0.utf8) } ?? []
        if !bytes.isEmpty { headers["Content-Type"] = "application/json" }
        let response = router.handle(HTTPRequest(method: method, path: path, query: query, headers: headers,
                                                 body: bytes))
        return Reply(status: response.status, headers: response.headers, body: response.body)
    }

    /// Creates a webhook through the API and returns its id.
    @discardableResult
    func create(_ json: JSONValue) throws -> Int64 {
        let reply = call("POST", "/api/webhooks", json: json)
        guard reply.status == 201, let id = reply.json?["id"]?.intValue else {
            throw HarnessError(description: "create failed: \(reply.status) \(reply.text)")
        }
        return id
    }
}

struct HarnessError: Error, CustomStringConvertible { var description: String }

/// A response as tests read it.
struct Reply {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    var json: JSONValue? { try? TestJSON.parse(body) }
    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    var errorField: String? { json?["error"]?["field"]?.stringValue }
    var problemFields: [String] {
        json?["error"]?["problems"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? []
    }
}

/// JSON parsing for tests (Foundation → JSONValue).
enum TestJSON {
    static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        convert(try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]))
    }

    static func convert(_ any: Any) -> JSONValue {
        switch any {
        case let string as String: return .string(string)
        case let number as NSNumber:
            switch String(cString: number.objCType) {
            case "c", "B": return .bool(number.boolValue)
            case "d", "f": return .double(number.doubleValue)
            default: return .int(number.int64Value)
            }
        case let array as [Any]: return .array(array.map(convert))
        case let object as [String: Any]: return .object(object.mapValues(convert))
        default: return .null
        }
    }
}

/// A webhook body with OAuth2 client credentials, two headers (one secret) and a signing secret.
func sampleWebhookJSON(name: String = "crm", tenant: String = "main", tenants: [String] = ["acme"]) -> JSONValue {
    [
        "name": .string(name), "description": "Pushes calls to the CRM", "active": true, "tenant": .string(tenant),
        "all_tenants": false, "tenants": .array(tenants.map { .string($0) }),
        "url": "https://crm.example.com/hooks/pbx",
        "headers": [["name": "X-Api-Key", "value": "key-123"], ["name": "X-Team", "value": "sales"]],
        "auth": ["type": "oauth2_client_credentials", "token_url": "https://auth.example.com/token",
                 "client_id": "gateway", "client_secret": "client-secret-456", "scopes": ["calls.write"]],
        "signing_secret": "whsec_c2VjcmV0LWtleS0xMjM0NTY=",
        "subscribe_all": false, "events": ["call.event_call_started", "call.event_call_finished"],
    ]
}
