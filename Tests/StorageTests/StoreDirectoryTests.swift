import Foundation
import Storage
import Testing

@Suite("Store directory")
struct StoreDirectoryTests {
    private func scratch() -> String {
        let path = NSTemporaryDirectory() + "store-dir-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("Missing directories above the store file are created private to the daemon's user")
    func createsNestedPrivateDirectories() throws {
        let root = scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try StoreDirectory.createParent(ofStorePath: root + "/a/b/store.sqlite")
        let attributes = try FileManager.default.attributesOfItem(atPath: root + "/a/b")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        try StoreDirectory.createParent(ofStorePath: root + "/a/b/store.sqlite")  // existing: fine
    }

    @Test("A file where a directory should be is named in the error")
    func namesTheBlockingPath() throws {
        let root = scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(FileManager.default.createFile(atPath: root + "/plain", contents: Data()))
        let error = #expect(throws: StoreDirectory.CreationError.self) {
            try StoreDirectory.createParent(ofStorePath: root + "/plain/sub/store.sqlite")
        }
        #expect(error?.description == "store.path: cannot create directory \(root)/plain: a file is in the way")
    }
}
