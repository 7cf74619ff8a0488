import Configuration
import Foundation
import Testing

@Suite("docs/CONFIGURATION.md")
struct ConfigurationDocsTests {
    @Test("Every key the loader accepts is documented")
    func everyKeyDocumented() throws {
        let text = try String(contentsOfFile: ConfigFixtures.repository("docs/CONFIGURATION.md"), encoding: .utf8)
        let missing = GatewayConfiguration.acceptedKeyPaths.filter { !text.contains("`\($0)`") }
        #expect(missing == [], "add these keys to docs/CONFIGURATION.md")
    }

    @Test("Every documented key path is one the loader accepts")
    func noStaleKeysDocumented() throws {
        let text = try String(contentsOfFile: ConfigFixtures.repository("docs/CONFIGURATION.md"), encoding: .utf8)
        // Table rows start with a backticked key path.
        let documented = text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            return line.dropFirst(3).prefix { $0 != "`" }.description
        }
        let accepted = Set(GatewayConfiguration.acceptedKeyPaths)
        #expect(documented.filter { !accepted.contains($0) } == [])
        #expect(documented.count >= accepted.count)
    }
}
