// libFuzzer target: arbitrary text through the YAML configuration loader (libyaml parse, key
// reading, validation, ${ENV} substitution). Errors are expected; crashes, hangs and unbounded
// memory are not. Build and run: scripts/fuzz.sh config-loader SECONDS.
import Configuration

private let environment = ["AMI_SECRET": "s", "ADMIN_TOKEN": "t", "EMPTY": ""]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigLoader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let configuration = try GatewayConfiguration.parse(text, file: "fuzz.yaml", environment: environment)
        _ = configuration.webhooks.count
    } catch {
        _ = error.problems.map(\.description)
    }
    return 0
}
