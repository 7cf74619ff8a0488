import Curl
import TestSupport
import Testing

@Suite("libcurl face")
struct CurlTransferTests {
    @Test("A transfer returns status, headers and the body, cut at the limit")
    func returnsResponse() throws {
        let receiver = try WebhookReceiver(script: [.status(503, headers: ["Retry-After": "7"], body: "0123456789")])
        let transfer = try CurlTransfer(request: CurlRequest(url: receiver.url, headerLines: ["X-Test: 1"],
                                                             body: Array("{}".utf8), maxResponseBytes: 4))
        let response = try transfer.perform().get()
        #expect(response.status == 503)
        #expect(response.header("Retry-After") == "7")
        #expect(response.body == Array("0123".utf8))
        #expect(response.isBodyTruncated)
        #expect(receiver.requests.first?.header("x-test") == "1")
        #expect(receiver.requests.first?.header("expect") == nil)
    }

    @Test("The multi interface reuses one kept-alive connection for sequential transfers")
    func reusesConnections() throws {
        let receiver = try WebhookReceiver()
        let multi = CurlMulti()
        var newConnections: [Int] = []
        for _ in 0..<5 {
            #expect(multi.add(try CurlTransfer(request: CurlRequest(url: receiver.url, body: [1]))) == nil)
            var done: [CurlCompletion] = []
            while done.isEmpty {
                done = multi.performAndCollect()
                if done.isEmpty { multi.poll(timeoutMilliseconds: 100) }
            }
            newConnections.append(try done[0].result.get().newConnections)
        }
        #expect(newConnections == [1, 0, 0, 0, 0])
    }

    @Test("A URL libcurl cannot parse fails the transfer as an invalid request, as when it was set as a string")
    func malformedURL() throws {
        let result = try CurlTransfer(request: CurlRequest(url: "http://exa mple.invalid:99999/")).perform()
        guard case .failure(let error) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.kind == .invalidRequest)
    }

    @Test("A refused connection is classified and described")
    func refusedConnection() throws {
        let result = try CurlTransfer(request: CurlRequest(url: "http://127.0.0.1:9/")).perform()
        guard case .failure(let error) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.kind == .connectionFailed)
        #expect(error.message.contains("127.0.0.1"))
    }
}

@Suite("libcurl face: reused transfers")
struct CurlTransferReuseTests {
    @Test("A finished transfer sends the next request with its own body and headers, on the kept-alive connection")
    func reuseForTheSameEndpoint() throws {
        let receiver = try WebhookReceiver()
        let multi = CurlMulti()
        let transfer = try CurlTransfer(request: CurlRequest(url: receiver.url, headerLines: ["X-N: 1"],
                                                             body: Array("first".utf8)))
        var newConnections: [Int] = []
        for round in 1...3 {
            if round > 1 {
                try transfer.reuse(for: CurlRequest(url: receiver.url, headerLines: ["X-N: \(round)"],
                                                    body: Array(String(repeating: "b", count: round * 1000).utf8)))
            }
            #expect(multi.add(transfer) == nil)
            var done: [CurlCompletion] = []
            while done.isEmpty {
                done = multi.performAndCollect()
                if done.isEmpty { multi.poll(timeoutMilliseconds: 100) }
            }
            newConnections.append(try done[0].result.get().newConnections)
        }
        #expect(newConnections == [1, 0, 0])
        #expect(receiver.requests.map { $0.header("x-n") } == ["1", "2", "3"])
        #expect(receiver.requests.map(\.body.count) == [5, 2_000, 3_000])
        #expect(receiver.requests.allSatisfy { $0.method == "POST" && $0.header("expect") == nil })
    }

    @Test("Reused for another URL, the transfer goes there; kept response headers are filtered by name")
    func reuseForAnotherEndpoint() throws {
        let first = try WebhookReceiver()
        let second = try WebhookReceiver(script: [.status(503, headers: ["Retry-After": "7", "X-Other": "1"],
                                                          body: "busy")])
        let transfer = try CurlTransfer(request: CurlRequest(url: first.url, body: [1]))
        #expect(try transfer.perform().get().status == 200)
        var request = CurlRequest(url: second.url, body: [2])
        request.keptResponseHeaders = ["Retry-After"]
        try transfer.reuse(for: request)
        let response = try transfer.perform().get()
        #expect(response.status == 503)
        #expect(response.headers == [CurlHeaderField(name: "retry-after", value: "7")])
        #expect(response.bodyText == "busy")
        #expect(first.requests.count == 1 && second.requests.map(\.body) == [[2]])
    }

    @Test("Through the multi handle, kept response headers are those of the last response, read after it finished; header lines grow and shrink on reuse")
    func keptHeadersThroughMulti() throws {
        let receiver = try WebhookReceiver(script: [.status(429, headers: ["Retry-After": " 3 ", "X-Other": "1"]),
                                                    .status(200), .status(200)])
        let multi = CurlMulti()
        var request = CurlRequest(url: receiver.url, headerLines: ["X-N: 1"], body: [1])
        request.keptResponseHeaders = ["Retry-After"]
        let transfer = try CurlTransfer(request: request)
        var responses: [CurlResponse] = []
        for round in 1...3 {
            if round > 1 {
                request.headerLines = round == 2 ? ["X-N: 2", "X-Extra: e"] : ["X-N: 3"]
                try transfer.reuse(for: request)
            }
            #expect(multi.add(transfer) == nil)
            var done: [CurlCompletion] = []
            while done.isEmpty {
                done = multi.performAndCollect()
                if done.isEmpty { multi.poll(timeoutMilliseconds: 100) }
            }
            responses.append(try done[0].result.get())
        }
        #expect(responses.map(\.status) == [429, 200, 200])
        #expect(responses[0].headers == [CurlHeaderField(name: "retry-after", value: "3")])
        #expect(responses[1].headers.isEmpty)
        #expect(receiver.requests.map { $0.header("x-n") } == ["1", "2", "3"])
        #expect(receiver.requests.map { $0.header("x-extra") } == [nil, "e", nil])
        #expect(receiver.requests.allSatisfy { $0.header("expect") == nil })
    }
}
