import CCurl
import CShims
import Synchronization

/// A finished transfer and what it produced.
public struct CurlCompletion {
    public let transfer: CurlTransfer
    public let result: Result<CurlResponse, CurlError>
}

/// libcurl's multi interface, driven by one thread (https://curl.se/libcurl/c/libcurl-multi.html).
///
/// Many transfers run in parallel on that thread; the connection cache lives here, so kept-alive
/// connections are reused across transfers to the same host. Only `waker` may be used from other
/// threads (`curl_multi_wakeup` is thread-safe); everything else belongs to the driving thread.
public final class CurlMulti {
    private let handle: UnsafeMutableRawPointer
    private var transfers: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// Reused for the result of `performAndCollect`: its storage is kept from turn to turn once
    /// the caller has let go of the previous result, instead of grown anew each turn.
    private var completed: [CurlCompletion] = []
    /// Thread-safe wake-up for `poll`.
    public let waker: CurlWaker

    /// - Parameter maxCachedConnections: `CURLMOPT_MAXCONNECTS`, idle connections kept for reuse.
    public init(maxCachedConnections: Int = 256) {
        CurlGlobal.ensureInitialized()
        handle = curl_multi_init()!
        _ = cs_multi_setopt_long(handle, CURLMOPT_MAXCONNECTS, max(8, maxCachedConnections))
        // HTTP/2 multiplexing is libcurl's default since 7.62; say it anyway.
        _ = cs_multi_setopt_long(handle, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        waker = CurlWaker(handle: handle)
    }

    deinit {
        waker.invalidate()
        for (easy, _) in transfers { curl_multi_remove_handle(handle, easy) }
        transfers.removeAll()
        curl_multi_cleanup(handle)
    }

    /// Transfers added and not yet completed.
    public var activeCount: Int { transfers.count }

    /// Starts a transfer; it progresses on the next `performAndCollect()`.
    public func add(_ transfer: CurlTransfer) -> CurlError? {
        let code = curl_multi_add_handle(handle, transfer.handle)
        guard code == CURLM_OK else {
            return CurlError(code: Int(code.rawValue), kind: .other,
                             message: "curl_multi_add_handle: \(String(cString: curl_multi_strerror(code)))")
        }
        transfers[transfer.handle] = transfer
        return nil
    }

    /// Does whatever I/O is ready without blocking and returns the transfers that finished.
    public func performAndCollect() -> [CurlCompletion] {
        var running: Int32 = 0
        _ = curl_multi_perform(handle, &running)
        completed.removeAll(keepingCapacity: true)
        var left: Int32 = 0
        while let message = curl_multi_info_read(handle, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            curl_multi_remove_handle(handle, easy)
            guard let transfer = transfers.removeValue(forKey: easy) else { continue }
            completed.append(CurlCompletion(transfer: transfer, result: transfer.finish(code)))
        }
        return completed
    }

    /// Waits until a socket is ready, `waker.wake()` is called, or the timeout passes.
    public func poll(timeoutMilliseconds: Int) {
        var ready: Int32 = 0
        _ = curl_multi_poll(handle, nil, 0, Int32(clamping: max(0, timeoutMilliseconds)), &ready)
    }

    /// Removes every running transfer without finishing it (shutdown); returns them.
    public func abortAll() -> [CurlTransfer] {
        let aborted = Array(transfers.values)
        for (easy, _) in transfers { curl_multi_remove_handle(handle, easy) }
        transfers.removeAll()
        return aborted
    }
}

/// Wakes a `CurlMulti.poll` from any thread.
///
/// `@unchecked Sendable`: the pointer is only passed to `curl_multi_wakeup`, which libcurl documents
/// as callable from any thread, and the mutex makes sure it is never used after `curl_multi_cleanup`.
public final class CurlWaker: @unchecked Sendable {
    private let state: Mutex<Bool>
    private let handle: UnsafeMutableRawPointer

    fileprivate init(handle: UnsafeMutableRawPointer) {
        self.handle = handle
        self.state = Mutex(true)
    }

    public func wake() {
        state.withLock { alive in
            if alive { _ = curl_multi_wakeup(handle) }
        }
    }

    fileprivate func invalidate() { state.withLock { $0 = false } }
}
