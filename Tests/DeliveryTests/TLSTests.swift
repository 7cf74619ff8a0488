import Curl
import Delivery
import Foundation
import Testing

/// An HTTPS receiver with a self-signed certificate: Python's `ssl` module in a child process.
final class SelfSignedHTTPSServer {
    let process = Process()
    let port: Int
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
        let key = directory.file("key.pem"), certificate = directory.file("cert.pem")
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
                             certificate, "-days", "1", "-subj", "/CN=127.0.0.1"]
        openssl.standardError = FileHandle.nullDevice
        openssl.standardOutput = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        let script = """
            import http.server, ssl, sys
            class H(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                def do_POST(self):
                    self.rfile.read(int(self.headers.get("Content-Length", 0)))
                    body = b"tls ok"
                    self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *args): pass
            server = http.server.HTTPServer(("127.0.0.1", 0), H)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[1], sys.argv[2])
            server.socket = context.wrap_socket(server.socket, server_side=True)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, certificate, key]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw CocoaError(.fileReadCorruptFile) }
        self.port = port
    }

    var url: String { "https://127.0.0.1:\(port)/hook" }

    deinit {
        // SIGKILL: the child inherits a signal mask that blocks SIGTERM, so `terminate()` would not end it.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

@Suite("TLS")
struct TLSTests {
    @Test("TLS verification is on: a self-signed certificate is refused and reported")
    func refusesUntrustedCertificate() throws {
        let server = try SelfSignedHTTPSServer()
        let result = TestSender.send(url: server.url, headers: [], auth: .none, signingSecret: nil, body: Array("{}".utf8))
        #expect(!result.reachable)
        #expect(result.error?.contains("certificate") == true)
    }

    @Test("The same server answers when verification is turned off, so it was the certificate that failed")
    func answersWithoutVerification() throws {
        let server = try SelfSignedHTTPSServer()
        let transfer = try CurlTransfer(request: CurlRequest(url: server.url, body: Array("{}".utf8), verifyTLS: false))
        let response = try transfer.perform().get()
        #expect(response.status == 200)
        #expect(response.bodyText == "tls ok")
    }
}
