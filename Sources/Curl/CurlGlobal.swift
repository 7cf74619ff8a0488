import CCurl

/// `curl_global_init` must run once, before any other libcurl call and not concurrently with one.
/// A lazily initialised global `let` gives exactly that (Swift runs it once, thread-safely).
enum CurlGlobal {
    static let initialized: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    }()

    static func ensureInitialized() { _ = initialized }

    /// The libcurl version string, e.g. `7.88.1`.
    static var version: String { String(cString: curl_version_info(CURLversion(rawValue: 10)).pointee.version) }
}

/// Facts about the linked libcurl.
public enum CurlLibrary {
    /// The libcurl version string, e.g. `7.88.1`.
    public static var version: String {
        CurlGlobal.ensureInitialized()
        return CurlGlobal.version
    }
}
