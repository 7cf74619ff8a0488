import Glibc

/// A connected, non-blocking POSIX TCP socket. Owned by one thread (the client's loop), so no
/// locking; `Sendable` only so the loop closure can carry it (the fd is an integer).
struct TCPConnection: Sendable {
    let fd: Int32

    enum ReadResult {
        case data(Int)
        case wouldBlock
        case endOfStream
        case failed(String)
    }

    /// Resolves `host` and connects with a deadline. `wakeFD`, when readable, aborts the wait
    /// (used by `stop()`); the result is then `nil` with `aborted` set.
    static func connect(host: String, port: UInt16, timeoutMilliseconds: Int32,
                        wakeFD: Int32) -> Result<TCPConnection, ConnectError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            return .failure(.failed("cannot resolve \(host): \(String(cString: gai_strerror(status)))"))
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address for \(host)"
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            cursor = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family,
                            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                            0)
            guard fd >= 0 else { lastError = errnoText("socket"); continue }
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                return .success(TCPConnection(fd: fd))
            }
            guard errno == EINPROGRESS else {
                lastError = errnoText("connect to \(host):\(port)")
                Glibc.close(fd)
                continue
            }
            var fds = [pollfd(fd: fd, events: Int16(POLLOUT), revents: 0),
                       pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, nfds_t(wakeFD >= 0 ? 2 : 1), timeoutMilliseconds)
            if ready > 0 && fds[1].revents != 0 && wakeFD >= 0 {
                Glibc.close(fd)
                return .failure(.aborted)
            }
            if ready == 0 {
                lastError = "connect to \(host):\(port) timed out after \(timeoutMilliseconds) ms"
                Glibc.close(fd)
                continue
            }
            if ready < 0 {
                lastError = errnoText("poll")
                Glibc.close(fd)
                continue
            }
            var socketError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length)
            if socketError == 0 { return .success(TCPConnection(fd: fd)) }
            lastError = "connect to \(host):\(port): \(String(cString: strerror(socketError)))"
            Glibc.close(fd)
        }
        return .failure(.failed(lastError))
    }

    enum ConnectError: Error {
        case failed(String)
        case aborted
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count > 0 { return .data(count) }
            if count == 0 { return .endOfStream }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .failed(errnoText("read"))
            }
        }
    }

    /// Writes all bytes, waiting for the socket to drain at most `timeoutMilliseconds` per wait.
    /// Returns an error text, or nil on success.
    func writeAll(_ bytes: [UInt8], timeoutMilliseconds: Int32) -> String? {
        bytes.withUnsafeBytes { raw -> String? in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if written > 0 { offset += written; continue }
                if written < 0 && errno == EINTR { continue }
                if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    let ready = poll(&pfd, 1, timeoutMilliseconds)
                    if ready <= 0 { return "write timed out after \(timeoutMilliseconds) ms" }
                    continue
                }
                return errnoText("send")
            }
            return nil
        }
    }

    func close() {
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
        _ = Glibc.close(fd)
    }
}

/// A self-pipe that wakes a `poll` from another thread.
struct WakePipe: Sendable {
    let readFD: Int32
    let writeFD: Int32

    init() {
        var fds: [Int32] = [-1, -1]
        let status = pipe(&fds)
        precondition(status == 0, "pipe() failed: \(String(cString: strerror(errno)))")
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        readFD = fds[0]
        writeFD = fds[1]
    }

    func wake() {
        var byte: UInt8 = 1
        _ = Glibc.write(writeFD, &byte, 1)
    }

    func drain() {
        var scratch = [UInt8](repeating: 0, count: 64)
        while Glibc.read(readFD, &scratch, scratch.count) > 0 {}
    }

    func close() {
        Glibc.close(readFD)
        Glibc.close(writeFD)
    }
}

func errnoText(_ what: String) -> String {
    "\(what): \(String(cString: strerror(errno)))"
}
