import Foundation

/// Creates the directory that will hold the store file, private to the daemon's user (0700).
///
/// Done with POSIX calls rather than `FileManager` so that a failure names the directory and the
/// operating system's reason (`cannot create directory /var/lib/x: Permission denied`) instead of
/// a Foundation error dump an operator has to decode.
public enum StoreDirectory {
    public struct CreationError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "store.path: cannot create directory \(path): \(reason)" }
    }

    /// Creates every missing directory above `storePath` (like `mkdir -p`, mode 0700 for new ones).
    public static func createParent(ofStorePath storePath: String) throws(CreationError) {
        let parent = (storePath as NSString).deletingLastPathComponent
        guard !parent.isEmpty else { return }
        try createDirectories(parent)
    }

    private static func createDirectories(_ path: String) throws(CreationError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw CreationError(path: path, reason: "a file is in the way") }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path { try createDirectories(parent) }
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw CreationError(path: path, reason: String(cString: strerror(errno)))
        }
    }
}
