/// A transfer that produced no HTTP response: the `CURLcode`, libcurl's text and its error buffer.
///
/// `kind` is a coarse classification so callers (retry policy, test send) need no C constants.
public struct CurlError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// `CURLE_OPERATION_TIMEDOUT`.
        case timeout
        /// `CURLE_COULDNT_CONNECT`: refused, unreachable.
        case connectionFailed
        /// `CURLE_COULDNT_RESOLVE_HOST`.
        case hostNotFound
        /// Certificate or handshake problems.
        case tls
        /// Connection reset, empty reply, partial read/write.
        case connectionLost
        /// Bad URL, unsupported scheme, bad option: retrying does not help.
        case invalidRequest
        case other
    }

    /// The raw `CURLcode`.
    public var code: Int
    public var kind: Kind
    /// `curl_easy_strerror(code)`, then the error buffer's detail when it adds something.
    public var message: String

    public init(code: Int, kind: Kind, message: String) {
        self.code = code
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
