/// One HTTP request for libcurl: method, URL, header lines, body and the limits that bound it.
///
/// Plain data, so the caller (the delivery worker, the test sender) builds it without touching C.
public struct CurlRequest: Sendable {
    public var method: String
    public var url: String
    /// Header lines exactly as sent (`Name: value`). The caller guarantees no CR/LF (see `HeaderLine`).
    public var headerLines: [String]
    public var body: [UInt8]
    /// `CURLOPT_CONNECTTIMEOUT_MS`.
    public var connectTimeoutMilliseconds: Int
    /// `CURLOPT_TIMEOUT_MS`: the whole transfer, connect included.
    public var totalTimeoutMilliseconds: Int
    /// Response bytes kept; the rest is read and discarded (the transfer still completes).
    public var maxResponseBytes: Int
    /// `CURLOPT_HTTP_VERSION`: HTTP/2 over TLS when the server offers it (ALPN), HTTP/1.1 otherwise.
    public var allowHTTP2: Bool
    /// TLS peer and host verification (`CURLOPT_SSL_VERIFYPEER`/`VERIFYHOST`). Only tests turn it off.
    public var verifyTLS: Bool
    /// `CURLOPT_RESOLVE` entries (`host:port:address[,address…]`) pinning host names to addresses
    /// already checked by the caller (the destination policy); empty = ordinary DNS.
    public var resolveEntries: [String] = []
    /// Response header fields to keep (names, any case); nil keeps every field. The delivery worker
    /// needs only `retry-after`, and turning each header line of every response into strings cost
    /// more than the rest of reading the response: when set, the last value of each named field
    /// is read once from libcurl's header store after the transfer (no header callback at all).
    public var keptResponseHeaders: [String]?

    public init(method: String = "POST", url: String, headerLines: [String] = [], body: [UInt8] = [],
                connectTimeoutMilliseconds: Int = 5_000, totalTimeoutMilliseconds: Int = 15_000,
                maxResponseBytes: Int = 2_048, allowHTTP2: Bool = true, verifyTLS: Bool = true) {
        self.method = method
        self.url = url
        self.headerLines = headerLines
        self.body = body
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.totalTimeoutMilliseconds = totalTimeoutMilliseconds
        self.maxResponseBytes = maxResponseBytes
        self.allowHTTP2 = allowHTTP2
        self.verifyTLS = verifyTLS
    }
}

/// What came back: status, headers (names lower-cased), the first `maxResponseBytes` of the body.
public struct CurlResponse: Sendable, Hashable {
    public var status: Int
    /// Response header fields of the final response, names lower-cased, in arrival order; when
    /// `CurlRequest.keptResponseHeaders` is set, only the last value of each of those fields, in
    /// the order of that list.
    public var headers: [CurlHeaderField]
    public var body: [UInt8]
    /// True when the body was longer than `maxResponseBytes` and was cut.
    public var isBodyTruncated: Bool
    /// `CURLINFO_TOTAL_TIME_T`: connect + send + wait + receive, in microseconds.
    public var totalMicroseconds: Int64
    /// `CURLINFO_NUM_CONNECTS`: 0 when a kept-alive connection was reused.
    public var newConnections: Int
    /// 11 for HTTP/1.1, 20 for HTTP/2 (from `CURLINFO_HTTP_VERSION`).
    public var httpVersion: Int

    public init(status: Int, headers: [CurlHeaderField] = [], body: [UInt8] = [], isBodyTruncated: Bool = false,
                totalMicroseconds: Int64 = 0, newConnections: Int = 0, httpVersion: Int = 11) {
        self.status = status
        self.headers = headers
        self.body = body
        self.isBodyTruncated = isBodyTruncated
        self.totalMicroseconds = totalMicroseconds
        self.newConnections = newConnections
        self.httpVersion = httpVersion
    }

    /// The last value of a header (case-insensitive name).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.last(where: { $0.name == lower })?.value
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

public struct CurlHeaderField: Sendable, Hashable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
