import AMIProtocol
import Configuration
import Foundation
import MicroHTTPD
import Observability
import TestSupport

/// Demo mode for a newcomer without Asterisk: real captures streamed over TCP by a local AMI
/// server (the same `AMIReplayServer` the tests use) into the live pipeline, and a local webhook
/// receiver that prints every delivery it gets.
///
/// The receiver listens where the configuration's first webhook URL points when that is a
/// loopback `http://127.0.0.1:PORT/...` URL (the sample config's `demo-receiver`).
final class DemoEnvironment: Sendable {
    static let captures = [
        "01-internal-answered-caller-hangup.ami",
        "06-inbound-external-answered.ami",
        "08-inbound-queue-agent-answers.ami",
        "11-voicemail-left.ami",
        "12-blind-transfer.ami",
    ]

    let server: AMIReplayServer
    let receiver: HTTPServer?
    let username = "demo"
    let secret = "demo-secret"

    var amiPort: Int { Int(server.port) }

    private init(server: AMIReplayServer, receiver: HTTPServer?) {
        self.server = server
        self.receiver = receiver
    }

    static func start(fixturesDirectory: String, configuration: GatewayConfiguration, logger: Logger) throws
        -> DemoEnvironment
    {
        var messages: [AMIMessage] = []
        for name in captures {
            let path = (fixturesDirectory as NSString).appendingPathComponent(name)
            messages += try AMIReplayServer.streamableMessages(ofCapture: path)
        }
        let server = try AMIReplayServer(
            configuration: AMIReplayServer.Configuration(username: "demo", secret: "demo-secret", events: messages))
        var receiver: HTTPServer?
        if let url = configuration.webhooks.first(where: \.isActive).map(\.url).flatMap(URL.init(string:)),
           url.scheme == "http", url.host == "127.0.0.1" || url.host == "localhost", let port = url.port
        {
            receiver = try HTTPServer(host: "127.0.0.1", port: port) { request in
                Self.printDelivery(request)
                return HTTPResponse(status: 200, contentType: "text/plain", body: "ok")
            }
            logger.notice("demo receiver listening", ["url": url.absoluteString])
        }
        logger.notice("demo AMI server streaming bundled captures",
                      ["ami.port": String(server.port), "captures": captures.joined(separator: ",")])
        return DemoEnvironment(server: server, receiver: receiver)
    }

    func stop() {
        server.stop()
        receiver?.stop()
    }

    /// One line per delivery: the event type, call, sequence, leg and the signature/id headers.
    private static func printDelivery(_ request: HTTPRequest) {
        let object = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] ?? [:]
        let data = object["data"] as? [String: Any] ?? [:]
        let leg = data["leg"] as? [String: Any]
        var line = "delivery  \(object["type"] as? String ?? "?")  call=\(data["call_id"] as? String ?? "?")"
        line += "  seq=\(object["sequence"] as? Int ?? 0)  tenant=\(object["tenant"] as? String ?? "?")"
        if let leg { line += "  leg=\(leg["role"] as? String ?? "?"):\(leg["number"] as? String ?? "?")" }
        if let disposition = data["disposition"] as? String { line += "  disposition=\(disposition)" }
        if let change = data["change"] as? [String: Any], let reason = change["reason"] as? String {
            line += "  reason=\(reason)"
        }
        line += "  webhook-id=\(request.header("webhook-id") ?? "-")\n"
        FileHandle.standardOutput.write(Data(line.utf8))
    }
}
