import Dispatch
import Glibc

/// Calls back when a file in a directory is written, created, renamed into place or deleted.
///
/// Watches the *directory*, not the file: editors save by writing a temporary file and renaming it
/// over the original (`IN_MOVED_TO`), which a watch on the old inode would never see; Kubernetes
/// ConfigMaps swap a `..data` symlink the same way. Linux inotify, read through a dispatch source.
final class ConfigReloadFileWatcher: @unchecked Sendable {
    // @unchecked: `fd` and `source` are set in init and only cancelled/closed via the source's
    // cancel handler on `queue`; the callback runs on `queue` only.
    private let fd: Int32
    private let source: any DispatchSourceRead

    /// - Parameter names: file names (not paths) in `directory` that matter.
    init?(directory: String, names: Set<String>, queue: DispatchQueue, onChange: @escaping @Sendable () -> Void) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE)
        guard inotify_add_watch(fd, directory, mask) >= 0 else {
            close(fd)
            return nil
        }
        self.fd = fd
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { @Sendable in
            if Self.drain(fd).contains(where: { names.contains($0) }) { onChange() }
        }
        source.setCancelHandler { @Sendable in close(fd) }
        source.resume()
    }

    func cancel() { source.cancel() }

    /// Reads every pending event and returns the names they are about.
    private static func drain(_ fd: Int32) -> [String] {
        var names: [String] = []
        let capacity = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer, capacity)
            guard count > 0 else { break }
            var offset = 0
            let header = MemoryLayout<inotify_event>.size
            while offset + header <= count {
                let event = buffer.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                let length = Int(event.len)
                if length > 0 {
                    let bytes = UnsafeRawBufferPointer(start: buffer + offset + header, count: length)
                    names.append(String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self))
                }
                offset += header + length
            }
        }
        return names
    }
}
