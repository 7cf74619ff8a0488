// SwiftPM links executable targets with `main` aliased to `FuzzAdminJSON_main` (testable executables), so
// libFuzzer's own `main` is never used: this entry point hands control to libFuzzer's driver,
// `int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*cb)(const uint8_t *, size_t))`, linked in
// by -sanitize=fuzzer. (All arguments are pointers, passed the same way by Swift and C on x86-64/arm64.)
private typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

@_silgen_name("LLVMFuzzerRunDriver")
private func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: FuzzCallback) -> Int32

@_cdecl("FuzzAdminJSON_main")
public func fuzzAdminJSONMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return llvmFuzzerRunDriver(&count, &arguments) { data, size in
        guard let data, size > 0 else {
            var empty: UInt8 = 0
            return fuzzAdminJSON(&empty, 0)
        }
        return fuzzAdminJSON(data, size)
    }
}
