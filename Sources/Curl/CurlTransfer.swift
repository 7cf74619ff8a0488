import CCurl
import CShims
import Glibc

/// One configured libcurl easy handle plus the buffers it writes into.
///
/// Runs either alone (`perform()`, blocking, for the test sender and the CLI) or inside a
/// `CurlMulti` (the delivery worker). Not thread-safe: one thread at a time, like the handle.
/// Options follow https://curl.se/libcurl/c/curl_easy_setopt.html; the ones that matter here:
/// no redirects (`CURLOPT_FOLLOWLOCATION` 0), TLS verification on, `CURLOPT_NOSIGNAL` for threads,
/// HTTP/2 over TLS when offered (`CURL_HTTP_VERSION_2TLS`), only `http`/`https` (`CURLOPT_PROTOCOLS_STR`).
public final class CurlTransfer {
    public private(set) var request: CurlRequest
    /// Free for the owner (the delivery worker keeps its job id here).
    public var tag: Int = 0

    let handle: UnsafeMutableRawPointer
    private let headerList = CurlHeaderList()
    private var resolveList: UnsafeMutablePointer<curl_slist>?
    /// `request.url` parsed once per configuration, set as `CURLOPT_CURLU` (see `setURL`).
    private var parsedURL: OpaquePointer?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// The request body as libcurl reads it (`CURLOPT_POSTFIELDS`, not copied again by libcurl);
    /// kept across `reuse` and grown when needed.
    private var bodyBuffer: UnsafeMutableRawPointer?
    private var bodyCapacity = 0
    fileprivate var responseBody: [UInt8] = []
    fileprivate var responseHeaders: [CurlHeaderField] = []
    fileprivate var bodyTruncated = false
    fileprivate var maxResponseBytes: Int
    /// `request.keptResponseHeaders` as C strings for `curl_easy_header` (a Swift string passed
    /// as a C string is copied to the heap when it is short, on every call).
    private var keptHeaderNames: [(name: String, cName: ContiguousArray<CChar>)] = []

    public init(request: CurlRequest) throws(CurlError) {
        CurlGlobal.ensureInitialized()
        guard let easy = curl_easy_init() else {
            throw CurlError(code: -1, kind: .other, message: "curl_easy_init failed (out of memory?)")
        }
        self.request = request
        self.handle = easy
        self.maxResponseBytes = max(0, request.maxResponseBytes)
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        keptHeaderNames = Self.cNames(request.keptResponseHeaders)
        try configure()
    }

    deinit {
        curl_easy_cleanup(handle)
        if let parsedURL { curl_url_cleanup(parsedURL) }
        if let resolveList { curl_slist_free_all(resolveList) }
        errorBuffer.deallocate()
        bodyBuffer?.deallocate()
    }

    /// Makes the finished transfer ready for `request` (never while it is in a `CurlMulti`).
    ///
    /// A new easy handle per attempt cost more than the HTTP exchange on a kept-alive connection
    /// (allocating and clearing libcurl's per-handle state, setting every option, freeing it all).
    /// When only the body and the header lines change (the next delivery to the same webhook) only
    /// those are set; otherwise the handle is reset (`curl_easy_reset`) and configured afresh.
    /// Either way the connection cache of the multi handle is untouched.
    public func reuse(for request: CurlRequest) throws(CurlError) {
        let sameEndpoint = Self.sameEndpoint(self.request, request)
        if request.keptResponseHeaders != self.request.keptResponseHeaders {
            keptHeaderNames = Self.cNames(request.keptResponseHeaders)
        }
        self.request = request
        responseBody.removeAll(keepingCapacity: true)
        responseHeaders.removeAll(keepingCapacity: true)
        bodyTruncated = false
        maxResponseBytes = max(0, request.maxResponseBytes)
        errorBuffer[0] = 0
        tag = 0
        if sameEndpoint {
            var code = CURLE_OK
            try setBodyAndHeaders(&code)
            if code != CURLE_OK { throw makeError(code) }
        } else {
            curl_easy_reset(handle)
            if let resolveList {
                curl_slist_free_all(resolveList)
                self.resolveList = nil
            }
            if let parsedURL {
                curl_url_cleanup(parsedURL)
                self.parsedURL = nil
            }
            try configure()
        }
    }

    /// Whether two requests differ only in body and header lines.
    private static func sameEndpoint(_ a: CurlRequest, _ b: CurlRequest) -> Bool {
        a.url == b.url && a.method == b.method && a.connectTimeoutMilliseconds == b.connectTimeoutMilliseconds
            && a.totalTimeoutMilliseconds == b.totalTimeoutMilliseconds && a.allowHTTP2 == b.allowHTTP2
            && a.verifyTLS == b.verifyTLS && a.resolveEntries == b.resolveEntries
            && (a.keptResponseHeaders == nil) == (b.keptResponseHeaders == nil)
    }

    private func configure() throws(CurlError) {
        let me = Unmanaged.passUnretained(self).toOpaque()
        var code = CURLE_OK
        func set(_ result: CURLcode) { if code == CURLE_OK { code = result } }
        set(cs_easy_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        set(setURL())
        set(cs_easy_setopt_str(handle, CURLOPT_PROTOCOLS_STR, "http,https"))
        set(cs_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        set(cs_easy_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0))
        set(cs_easy_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1))
        set(cs_easy_setopt_long(handle, CURLOPT_TCP_NODELAY, 1))
        set(cs_easy_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, request.verifyTLS ? 1 : 0))
        set(cs_easy_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, request.verifyTLS ? 2 : 0))
        set(cs_easy_setopt_long(handle, CURLOPT_HTTP_VERSION,
                                request.allowHTTP2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1))
        set(cs_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, max(1, request.connectTimeoutMilliseconds)))
        set(cs_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, max(1, request.totalTimeoutMilliseconds)))
        if request.method == "GET" {
            set(cs_easy_setopt_long(handle, CURLOPT_HTTPGET, 1))
        } else if request.method != "POST" && request.method != "PUT" && request.method != "PATCH" {
            set(cs_easy_setopt_str(handle, CURLOPT_CUSTOMREQUEST, request.method))
        }
        try setBodyAndHeaders(&code)
        if !request.resolveEntries.isEmpty {
            for entry in request.resolveEntries {
                guard let appended = curl_slist_append(resolveList, entry) else {
                    throw CurlError(code: -1, kind: .other, message: "curl_slist_append failed (out of memory?)")
                }
                resolveList = appended
            }
            set(cs_easy_setopt_slist(handle, CURLOPT_RESOLVE, resolveList))
        }
        set(cs_easy_setopt_writefn(handle, curlWriteBody))
        set(cs_easy_setopt_ptr(handle, CURLOPT_WRITEDATA, me))
        if request.keptResponseHeaders == nil {  // else read from libcurl's header store (`keptHeaders`)
            set(cs_easy_setopt_headerfn(handle, curlWriteHeader))
            set(cs_easy_setopt_ptr(handle, CURLOPT_HEADERDATA, me))
        }
        if code != CURLE_OK { throw makeError(code) }
    }

    /// The URL as a handle libcurl parsed once (`CURLOPT_CURLU`) instead of `CURLOPT_URL`.
    ///
    /// With `CURLOPT_URL` libcurl parses the URL string again at the start of every transfer
    /// (`curl_url_set`, ~5 % of the delivery worker's instructions); with a parsed handle it copies
    /// the handle instead. The parse uses the flags libcurl applies to `CURLOPT_URL`
    /// (`CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME`); a URL that does not parse is set as a
    /// string, so libcurl reports it exactly as before.
    private func setURL() -> CURLcode {
        if let url = curl_url() {
            let flags = UInt32(CURLU_GUESS_SCHEME) | UInt32(CURLU_NON_SUPPORT_SCHEME)
            if curl_url_set(url, CURLUPART_URL, request.url, flags) == CURLUE_OK {
                parsedURL = url
                return cs_easy_setopt_ptr(handle, CURLOPT_CURLU, UnsafeMutableRawPointer(url))
            }
            curl_url_cleanup(url)
        }
        return cs_easy_setopt_str(handle, CURLOPT_URL, request.url)
    }

    /// The options that change from one request to the next: the body and the header list.
    private func setBodyAndHeaders(_ code: inout CURLcode) throws(CurlError) {
        func set(_ result: CURLcode) { if code == CURLE_OK { code = result } }
        if request.method == "POST" || request.method == "PUT" || request.method == "PATCH" {
            let body = request.body
            if bodyCapacity < max(1, body.count) {
                bodyBuffer?.deallocate()
                bodyCapacity = max(1, body.count, bodyCapacity * 2)
                bodyBuffer = .allocate(byteCount: bodyCapacity, alignment: 1)
            }
            body.withUnsafeBytes { raw in
                if let base = raw.baseAddress, raw.count > 0 { bodyBuffer!.copyMemory(from: base, byteCount: raw.count) }
            }
            // Size first, then the pointer (the body may contain NUL); libcurl reads it in place.
            set(cs_easy_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            set(cs_easy_setopt_ptr(handle, CURLOPT_POSTFIELDS, bodyBuffer))
            if request.method != "POST" { set(cs_easy_setopt_str(handle, CURLOPT_CUSTOMREQUEST, request.method)) }
        }
        // "Expect:" removes curl's `Expect: 100-continue` (one round trip saved per large body).
        guard headerList.update(request.headerLines, last: "Expect:") else {
            throw CurlError(code: -1, kind: .other, message: "cannot copy the header lines (out of memory?)")
        }
        set(cs_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList.head))
    }

    /// Runs the transfer on the calling thread (blocking). The multi interface is for everything else.
    public func perform() -> Result<CurlResponse, CurlError> {
        finish(curl_easy_perform(handle))
    }

    /// Builds the result once the transfer is done (from `perform` or from the multi's message).
    func finish(_ code: CURLcode) -> Result<CurlResponse, CurlError> {
        guard code == CURLE_OK else { return .failure(makeError(code)) }
        var status = 0, connects = 0, version = 0
        var totalMicros: curl_off_t = 0
        _ = cs_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        _ = cs_easy_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &connects)
        _ = cs_easy_getinfo_long(handle, CURLINFO_HTTP_VERSION, &version)
        _ = cs_easy_getinfo_off(handle, CURLINFO_TOTAL_TIME_T, &totalMicros)
        let httpVersion: Int
        switch version {
        case CURL_HTTP_VERSION_2_0: httpVersion = 20
        case CURL_HTTP_VERSION_3: httpVersion = 30
        case CURL_HTTP_VERSION_1_0: httpVersion = 10
        default: httpVersion = 11
        }
        if request.keptResponseHeaders != nil { responseHeaders = keptHeaders() }
        return .success(CurlResponse(status: status, headers: responseHeaders, body: responseBody,
                                     isBodyTruncated: bodyTruncated, totalMicroseconds: Int64(totalMicros),
                                     newConnections: connects, httpVersion: httpVersion))
    }

    /// Microseconds spent so far (also meaningful after a failure, e.g. a timeout).
    public var elapsedMicroseconds: Int64 {
        var total: curl_off_t = 0
        _ = cs_easy_getinfo_off(handle, CURLINFO_TOTAL_TIME_T, &total)
        return Int64(total)
    }

    private func makeError(_ code: CURLcode) -> CurlError {
        let text = String(cString: curl_easy_strerror(code))
        let detail = String(cString: errorBuffer)
        // The buffer usually says it best ("Failed to connect to host port 9 after 0 ms: Couldn't connect
        // to server"); prefix curl's short text only when the buffer does not contain it already.
        let message = detail.isEmpty ? text : (detail.contains(text) ? detail : "\(text): \(detail)")
        return CurlError(code: Int(code.rawValue), kind: Self.kind(of: code), message: message)
    }

    static func kind(of code: CURLcode) -> CurlError.Kind {
        switch code {
        case CURLE_OPERATION_TIMEDOUT: return .timeout
        case CURLE_COULDNT_CONNECT: return .connectionFailed
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return .hostNotFound
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
             CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE:
            return .tls
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE, CURLE_HTTP2,
             CURLE_HTTP2_STREAM:
            return .connectionLost
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_FUNCTION_ARGUMENT,
             CURLE_UNKNOWN_OPTION, CURLE_NOT_BUILT_IN:
            return .invalidRequest
        default: return .other
        }
    }

    fileprivate func appendBody(_ bytes: UnsafeRawBufferPointer) {
        let room = maxResponseBytes - responseBody.count
        if room >= bytes.count {
            responseBody.append(contentsOf: bytes)
        } else {
            if room > 0 { responseBody.append(contentsOf: bytes.prefix(room)) }
            bodyTruncated = true
        }
    }

    /// The last value of each of `names` in the final response, from libcurl's own store of the
    /// response headers (`curl_easy_header`, request -1: the last one, 1xx responses excluded).
    ///
    /// libcurl keeps every header line anyway; reading the one field the worker needs from there
    /// once saves a header callback per line of every response (`appendHeaderLine`).
    private func keptHeaders() -> [CurlHeaderField] {
        var fields: [CurlHeaderField] = []
        for (name, cName) in keptHeaderNames {
            let value: String? = cName.withUnsafeBufferPointer { cName in
                var header: UnsafeMutablePointer<curl_header>?
                let origin = UInt32(CURLH_HEADER)
                guard curl_easy_header(handle, cName.baseAddress, 0, origin, -1, &header) == CURLHE_OK,
                      let amount = header?.pointee.amount
                else { return nil }
                if amount > 1, curl_easy_header(handle, cName.baseAddress, amount - 1, origin, -1, &header) != CURLHE_OK {
                    return nil
                }
                return header?.pointee.value.map { String(cString: $0) }
            }
            if let value { fields.append(CurlHeaderField(name: name, value: value)) }
        }
        return fields
    }

    private static func cNames(_ names: [String]?) -> [(name: String, cName: ContiguousArray<CChar>)] {
        (names ?? []).map { ($0.lowercased(), $0.utf8CString) }
    }

    fileprivate func appendHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        // "HTTP/": a new response (after 100 Continue or an auth round): keep the last one's fields.
        if bytes.count >= 5, bytes[0] == 0x48, bytes[1] == 0x54, bytes[2] == 0x54, bytes[3] == 0x50, bytes[4] == 0x2F {
            responseHeaders.removeAll()
            return
        }
        var end = bytes.count
        while end > 0, bytes[end - 1] == 10 || bytes[end - 1] == 13 { end -= 1 }
        let line = String(decoding: bytes[..<end], as: UTF8.self)
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingSpaces()
        responseHeaders.append(CurlHeaderField(name: name, value: value))
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        var view = self[...]
        while let first = view.first, first == " " || first == "\t" { view = view.dropFirst() }
        while let last = view.last, last == " " || last == "\t" { view = view.dropLast() }
        return String(view)
    }
}

/// `CURLOPT_WRITEFUNCTION`: keeps the first `maxResponseBytes`, swallows the rest.
private let curlWriteBody: curl_write_callback = { pointer, size, count, userdata in
    let total = size * count
    guard let pointer, let userdata else { return total }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    transfer.appendBody(UnsafeRawBufferPointer(start: pointer, count: total))
    return total
}

/// `CURLOPT_HEADERFUNCTION`: one call per header line (status line included).
private let curlWriteHeader: curl_write_callback = { pointer, size, count, userdata in
    let total = size * count
    guard let pointer, let userdata else { return total }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    transfer.appendHeaderLine(UnsafeRawBufferPointer(start: pointer, count: total))
    return total
}

/// The `CURLOPT_HTTPHEADER` list of one transfer, owned node by node so that a reused transfer
/// only rewrites the lines that changed.
///
/// `curl_slist_append` allocates a node and a copy of the line for every line, and the list was
/// rebuilt and freed for every attempt; from one delivery to the next only `webhook-id` (and once
/// a second `webhook-timestamp`) changes. libcurl keeps no copy of the list: it reads it while a
/// transfer runs, so between transfers (never during one) lines may be replaced in place. The nodes
/// and lines are allocated here with `malloc`/`strdup` and freed here, never by `curl_slist_free_all`.
final class CurlHeaderList {
    private var nodes: [UnsafeMutablePointer<curl_slist>] = []

    /// The first node, for `CURLOPT_HTTPHEADER`; nil for no lines.
    var head: UnsafeMutablePointer<curl_slist>? { nodes.first }

    deinit {
        for node in nodes { Self.release(node) }
    }

    /// Makes the list hold `lines` and then `last`, reusing the nodes whose line is unchanged.
    /// Returns false when a copy could not be allocated (the list is then still well formed).
    func update(_ lines: [String], last: String) -> Bool {
        let count = lines.count + 1
        for index in 0..<count {
            guard store(index < lines.count ? lines[index] : last, at: index) else { return false }
        }
        for index in 0..<count { nodes[index].pointee.next = index + 1 < count ? nodes[index + 1] : nil }
        while nodes.count > count { Self.release(nodes.removeLast()) }
        return true
    }

    /// Puts `line` in node `index` (appended when `index == nodes.count`) unless it is there already.
    private func store(_ line: String, at index: Int) -> Bool {
        var line = line
        return line.withUTF8 { bytes in
            if index < nodes.count {
                let node = nodes[index]
                if let data = node.pointee.data, Self.holds(data, bytes) { return true }
                guard let copy = Self.copy(bytes) else { return false }
                free(node.pointee.data)
                node.pointee.data = copy
                return true
            }
            guard let copy = Self.copy(bytes) else { return false }
            let node = UnsafeMutablePointer<curl_slist>.allocate(capacity: 1)
            node.initialize(to: curl_slist(data: copy, next: nil))
            nodes.append(node)
            if index > 0 { nodes[index - 1].pointee.next = node }
            return true
        }
    }

    /// Whether the C string `data` is exactly `bytes` (compared in place: `withCString` copies a
    /// small string to the heap first).
    private static func holds(_ data: UnsafeMutablePointer<CChar>, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return data[0] == 0 }
        return strnlen(data, bytes.count + 1) == bytes.count && memcmp(data, base, bytes.count) == 0
    }

    /// A `malloc`ed, NUL-terminated copy of `bytes` (a header line never holds NUL: the callers
    /// validate values).
    private static func copy(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeMutablePointer<CChar>? {
        guard let copy = malloc(bytes.count + 1)?.assumingMemoryBound(to: CChar.self) else { return nil }
        if let base = bytes.baseAddress { memcpy(copy, base, bytes.count) }
        copy[bytes.count] = 0
        return copy
    }

    private static func release(_ node: UnsafeMutablePointer<curl_slist>) {
        free(node.pointee.data)
        node.deallocate()
    }
}
