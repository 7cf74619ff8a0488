import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A tiny HTTP client over URLSession (FoundationNetworking on Linux) for tests against a real socket.
struct LiveClient {
    let baseURL: String
    var token: String?

    func send(_ method: String, _ path: String, body: String? = nil, bytes: Data? = nil) async throws -> Reply {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let payload = bytes ?? body.map({ Data($0.utf8) }) {
            request.httpBody = payload
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        let headers = http.allHeaderFields.map { ("\($0.key)", "\($0.value)") }
        return Reply(status: http.statusCode, headers: headers, body: Array(data))
    }
}
