import Delivery
import EventPublisher
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Hostile users get nowhere: the admin token is required, secrets never leave the process, files
/// are private, header injection and foreign URL schemes are refused, TLS is verified, requests are
/// size-limited.
@Suite("Security", .serialized)
struct SecurityTests {
    @Test("The admin API answers 401 without the right bearer token, with no detail; open routes stay open")
    func adminTokenRequired() throws {
        let running = try RunningDaemon()
        defer { running.stop() }
        let wrong: [(String, [(String, String)])] = [
            ("no header", []),
            ("empty bearer", [("Authorization", "Bearer ")]),
            ("wrong token", [("Authorization", "Bearer nope")]),
            ("token prefix", [("Authorization", "Bearer " + String(running.token.dropLast()))]),
            ("token plus one", [("Authorization", "Bearer " + running.token + "x")]),
            ("basic scheme", [("Authorization", "Basic " + Data("admin:\(running.token)".utf8).base64EncodedString())]),
            ("token without scheme", [("Authorization", running.token)]),
        ]
        for path in ["/api/webhooks", "/api/events", "/api/deliveries", "/api/tenants"] {
            for (label, headers) in wrong {
                let response = try AdminHTTP.request(port: running.adminPort, "GET", path, headers: headers)
                #expect(response.status == 401, "\(label) \(path): \(response.status)")
                #expect(!response.text.contains(running.token), "\(label): the answer echoes the token")
                #expect(response.text.count < 200, "\(label): a 401 carries no detail: \(response.text)")
            }
        }
        let post = try AdminHTTP.request(port: running.adminPort, "POST", "/api/webhooks",
                                         body: AdminHTTP.json(["name": "x", "url": "https://x.example"]))
        #expect(post.status == 401)
        #expect(try running.webhooks().count == 1, "an unauthenticated POST changed nothing")
        #expect(try running.api("GET", "/api/webhooks").status == 200)
        #expect(try AdminHTTP.request(port: running.adminPort, "GET", "/healthz").status == 200)
        #expect(try AdminHTTP.request(port: running.adminPort, "GET", "/metrics").status == 200)
    }

    static let secrets = [
        "basic-pw-7c1e", "hdr-key-91aa", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "client-secret-4b2d", "user-pw-0f3c", "url-pw-66de", "bearer-tok-5a5a",
    ]

    @Test("Secrets never appear in logs, API responses, error messages or metrics")
    func secretsNeverLeak() throws {
        let amiSecret = "ami-secret-e19f"
        let running = try RunningDaemon(amiSecret: amiSecret)
        defer { running.stop() }
        // A webhook with every kind of secret, pointed at the receiver; one with OAuth2 whose token
        // endpoint is unreachable (errors must not echo the client secret).
        let withSecrets: [String: Any] = [
            "name": "secretive", "active": true, "subscribe_all": true, "all_tenants": true,
            "url": running.receiver.url,
            "headers": [["name": "X-Api-Key", "value": "hdr-key-91aa"], ["name": "Authorization-Extra", "value": "bearer-tok-5a5a"]],
            "auth": ["type": "basic", "username": "pbx", "password": "basic-pw-7c1e"],
            "signing_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ]
        let created = try running.api("POST", "/api/webhooks", body: AdminHTTP.json(withSecrets))
        #expect(created.status == 201 || created.status == 200, "\(created.status) \(created.text)")
        let oauth: [String: Any] = [
            "name": "oauth", "active": true, "subscribe_all": true, "all_tenants": true,
            "url": "http://pbx:url-pw-66de@127.0.0.1:9/hook",
            "auth": ["type": "oauth2_password", "token_url": "http://127.0.0.1:9/token", "client_id": "cid",
                     "client_secret": "client-secret-4b2d", "username": "svc", "password": "user-pw-0f3c"],
        ]
        let createdOAuth = try running.api("POST", "/api/webhooks", body: AdminHTTP.json(oauth))
        #expect(createdOAuth.status == 201 || createdOAuth.status == 200, "\(createdOAuth.status) \(createdOAuth.text)")
        // An invalid body that carries secrets: the error must not repeat them.
        var invalid = withSecrets
        invalid["url"] = "ftp://nowhere"
        invalid["name"] = "secretive-2"
        let refused = try running.api("POST", "/api/webhooks", body: AdminHTTP.json(invalid))
        #expect((400..<500).contains(refused.status))

        // Traffic: a real call through the daemon, so deliveries (and OAuth2 failures) are logged.
        _ = EndToEnd.wait(timeout: .seconds(5)) { running.daemon.metrics?.amiConnected == true }
        running.server.stream(try AMIReplayServer.streamableMessages(
            ofCapture: Fixtures.path("fixtures/ami/01-internal-answered-caller-hangup.ami")))
        #expect(running.receiver.wait(timeout: .seconds(15)) { requests in
            requests.contains { $0.header("authorization")?.hasPrefix("Basic ") == true }
        }, "the secretive webhook received nothing")
        _ = EndToEnd.wait(timeout: .seconds(5)) { running.logs.fullText.contains("oauth") || running.logs.fullText.contains("token") }
        usleep(500_000)

        var exposed: [(String, String)] = [("refused POST", refused.text)]
        for path in ["/api/webhooks", "/api/deliveries", "/api/tenants", "/api/events"] {
            exposed.append((path, try running.api("GET", path).text))
        }
        for webhook in try running.webhooks() {
            if let id = webhook["id"] as? Int { exposed.append(("/api/webhooks/\(id)", try running.api("GET", "/api/webhooks/\(id)").text)) }
        }
        exposed.append(("/metrics", try AdminHTTP.request(port: running.adminPort, "GET", "/metrics").text))
        exposed.append(("logs", running.logs.fullText))
        let basicHeader = Data("pbx:basic-pw-7c1e".utf8).base64EncodedString()
        for (place, text) in exposed {
            for secret in Self.secrets + [amiSecret, running.token, basicHeader] {
                #expect(!text.contains(secret), "\(secret) appears in \(place)")
            }
        }
        #expect(running.logs.records.count > 10, "the log captured the run")
    }

    @Test("The SQLite database and its WAL files are created with mode 0600")
    func databaseFilesArePrivate() throws {
        let saved = umask(0o022)  // a permissive umask must not widen the files
        defer { umask(saved) }
        let running = try RunningDaemon()
        defer { running.stop() }
        // Force a write so the WAL exists.
        _ = try running.api("POST", "/api/webhooks", body: AdminHTTP.json(["name": "w2", "url": "https://w2.example"]))
        for suffix in ["", "-wal", "-shm"] {
            let path = running.configuration.storePath + suffix
            guard FileManager.default.fileExists(atPath: path) else { continue }
            var info = stat()
            #expect(stat(path, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600, "\(path) has mode \(String(info.st_mode & 0o777, radix: 8))")
        }
    }

    @Test("The store's folder is created 0700 when missing")
    func storeFolderIsPrivate() throws {
        let folder = try TemporaryFolder("ep-dir")
        let server = try AMIReplayServer(configuration: AMIReplayServer.Configuration())
        defer { server.stop() }
        let configPath = try EndToEndConfiguration(amiPort: Int(server.port), storePath: folder.file("state/sub/store.sqlite"),
                                                   webhookURL: "https://x.example/h").write(to: folder.file("c.yaml"))
        let (logger, _) = EndToEnd.capturingLogger()
        let daemon = Daemon(options: EndToEnd.options(configPath: configPath, amiPort: server.port, logger: logger))
        try daemon.start()
        daemon.stop(deliveryTimeout: .seconds(1))
        var info = stat()
        #expect(stat(folder.file("state/sub"), &info) == 0)
        #expect(info.st_mode & 0o077 == 0, "mode \(String(info.st_mode & 0o777, radix: 8))")
    }

    @Test("Admin request bodies above the limit get 413 and change nothing")
    func oversizedAdminRequestRefused() throws {
        let running = try RunningDaemon()
        defer { running.stop() }
        let huge = AdminHTTP.json(["name": "big", "url": "https://big.example",
                                   "description": String(repeating: "x", count: 2 * 1024 * 1024)])
        let response = try running.api("POST", "/api/webhooks", body: huge)
        #expect(response.status == 413, "\(response.status): \(response.text.prefix(200))")
        #expect(try running.webhooks().count == 1)
        #expect(try running.api("GET", "/api/webhooks").status == 200, "the server still answers")
    }

    @Test("Non-http(s) URL schemes are refused by the admin API, for create and test send",
          arguments: ["javascript:alert(1)", "file:///etc/passwd", "ftp://x.example/", "gopher://x.example/",
                      "data:text/plain,hi", "dict://127.0.0.1:11211/", "//no-scheme.example/", "http:/broken"])
    func foreignSchemesRefused(url: String) throws {
        let running = try RunningDaemon()
        defer { running.stop() }
        for path in ["/api/webhooks", "/api/webhooks/test"] {
            let response = try running.api("POST", path, body: AdminHTTP.json(["name": "s", "url": url]))
            #expect((400..<500).contains(response.status), "\(path) \(url): \(response.status)")
            #expect(response.errorField == "url", "\(path) \(url): \(response.text.prefix(200))")
        }
        #expect(try running.webhooks().count == 1)
    }

    @Test("Header values with CR, LF or NUL are refused by the admin API, for create and test send")
    func headerInjectionRefused() throws {
        let running = try RunningDaemon()
        defer { running.stop() }
        for value in ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\u{0}b", "a\u{7f}b", "a\u{1b}[31mb"] {
            let body = AdminHTTP.json(["name": "h", "url": running.receiver.url, "subscribe_all": true,
                                       "headers": [["name": "X-A", "value": value]]])
            for path in ["/api/webhooks", "/api/webhooks/test"] {
                let response = try running.api("POST", path, body: body)
                #expect((400..<500).contains(response.status), "\(path) \(value.debugDescription): \(response.status)")
                #expect(response.errorField?.hasPrefix("headers") == true, "\(path): \(response.text.prefix(200))")
            }
        }
        #expect(running.receiver.requests.allSatisfy { $0.header("x-injected") == nil })
    }

    @Test("TLS is verified by default: a test send to a self-signed https endpoint fails verification",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "openssl CLI missing"))
    func tlsVerifiedByDefault() throws {
        let running = try RunningDaemon()
        defer { running.stop() }
        let tls = try SelfSignedHTTPSServer(folder: running.folder)
        defer { tls.stop() }
        let body = AdminHTTP.json(["url": "https://127.0.0.1:\(tls.port)/hook", "body": "{}"])
        let response = try running.api("POST", "/api/webhooks/test", body: body)
        #expect(response.status == 200, "\(response.status) \(response.text)")
        let result = try #require(response.json as? [String: Any])
        #expect(result["status"] is NSNull || result["status"] == nil, "an HTTP status came back: \(result)")
        let error = (result["error"] as? String ?? "").lowercased()
        #expect(error.contains("certificate") || error.contains("ssl") || error.contains("tls"),
                "the failure is not a TLS verification failure: \(result)")
        #expect(tls.acceptedHandshakes == 0 || error.contains("certificate"))
    }
}

/// `openssl s_server` with a fresh self-signed certificate on a free port (for the TLS test).
final class SelfSignedHTTPSServer {
    let process = Process()
    let port: Int
    let logPath: String

    init(folder: TemporaryFolder) throws {
        let key = folder.file("tls.key"), cert = folder.file("tls.crt")
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        make.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                          "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        make.standardOutput = FileHandle.nullDevice
        make.standardError = FileHandle.nullDevice
        try make.run()
        make.waitUntilExit()
        guard make.terminationStatus == 0 else { throw HarnessError("openssl req failed") }
        port = try Self.freePort()
        logPath = folder.file("s_server.log")
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", cert, "-key", key, "-www", "-quiet"]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardInput = Pipe()
        try process.run()
        // Ready when it accepts TCP connections.
        let ready = EndToEnd.wait(timeout: .seconds(10)) { Self.canConnect(port: self.port) }
        guard ready else { throw HarnessError("openssl s_server did not start") }
    }

    /// The server's log mentions no completed handshake.
    var acceptedHandshakes: Int {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").components(separatedBy: "ACCEPT").count - 1
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { throw HarnessError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// The optional destination policy (Sources/Delivery/DestinationPolicy.swift): off by default,
/// and when on, non-public destinations are refused after DNS resolution.
@Suite("Destination policy")
struct DestinationPolicyTests {
    typealias Policy = DestinationPolicy

    @Test("Addresses are classified as public or not",
          arguments: [
              ("8.8.8.8", true), ("1.1.1.1", true), ("93.184.216.34", true), ("2606:4700:4700::1111", true),
              ("127.0.0.1", false), ("127.8.9.10", false), ("::1", false), ("0.0.0.0", false), ("::", false),
              ("10.1.2.3", false), ("172.16.0.1", false), ("172.31.255.255", false), ("192.168.1.1", false),
              ("169.254.169.254", false), ("fe80::1", false), ("fc00::1", false), ("fd12:3456::1", false),
              ("100.64.0.1", false), ("224.0.0.1", false), ("255.255.255.255", false), ("ff02::1", false),
              ("::ffff:127.0.0.1", false), ("::ffff:10.0.0.1", false), ("::ffff:8.8.8.8", true),
              ("64:ff9b::a9fe:a9fe", false), ("2002:c0a8:0101::1", false), ("2001:db8::1", false),
              ("172.32.0.1", true), ("100.128.0.1", true), ("[::1]", false), ("fe80::1%eth0", false),
          ])
    func classification(address: String, isPublic: Bool) throws {
        let parsed = try #require(Policy.IPAddress(address))
        #expect(Policy.classify(parsed).isPublic == isPublic, "\(address) → \(Policy.classify(parsed))")
    }

    @Test("Off by default: every http(s) destination is allowed, LAN included, with no lookup")
    func offByDefault() {
        let policy = Policy()
        #expect(policy == .permissive)
        for url in ["http://127.0.0.1:8080/x", "https://10.0.0.5/hook", "http://pbx-crm.lan/hook", "http://[::1]/"] {
            #expect(policy.check(url: url, resolver: { _ in .failure(.init("must not be called")) }).isAllowed, "\(url)")
        }
        #expect(!policy.check(url: "ftp://x.example/").isAllowed, "schemes are checked even when off")
    }

    @Test("When on, a host resolving to any private, loopback or link-local address is refused")
    func refusesAfterResolution() {
        let policy = Policy.refusingPrivateNetworks
        let resolver: Policy.Resolver = { host in
            switch host {
            case "public.example": return .success([Policy.IPAddress("93.184.216.34")!])
            case "rebind.example": return .success([Policy.IPAddress("93.184.216.34")!, Policy.IPAddress("127.0.0.1")!])
            case "metadata.example": return .success([Policy.IPAddress("169.254.169.254")!])
            case "lan.example": return .success([Policy.IPAddress("192.168.10.20")!])
            default: return .failure(.init("Name or service not known"))
            }
        }
        let allowed = policy.check(url: "https://public.example/hook", resolver: resolver)
        #expect(allowed.isAllowed)
        #expect(allowed.curlResolveEntries == ["public.example:443:93.184.216.34"], "pinning entries")
        for url in ["https://rebind.example/", "http://metadata.example/latest", "http://lan.example:8080/",
                    "http://127.0.0.1/", "http://[::1]:8080/", "http://[::ffff:10.0.0.1]/", "http://nowhere.invalid/"] {
            let verdict = policy.check(url: url, resolver: resolver)
            #expect(!verdict.isAllowed, "\(url) allowed")
            if case .refused(let message) = verdict { #expect(!message.isEmpty) }
        }
    }

    @Test("The system resolver (getaddrinfo) resolves localhost to loopback, which the policy refuses")
    func systemResolverLocalhost() {
        guard case .success(let addresses) = Policy.systemResolver("localhost") else {
            Issue.record("localhost did not resolve")
            return
        }
        #expect(!addresses.isEmpty)
        #expect(addresses.allSatisfy { Policy.classify($0) == .loopback })
        #expect(!Policy.refusingPrivateNetworks.check(url: "http://localhost:8080/").isAllowed)
    }
}
