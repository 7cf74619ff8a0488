import Configuration
import Testing

@Suite("${ENV} substitution")
struct EnvironmentSubstitutionTests {
    func secret(_ written: String, _ environment: [String: String]) throws -> String {
        try GatewayConfiguration.parse("ami: { username: u, secret: \"\(written)\" }\n", file: "t.yaml",
                                       environment: environment).ami.secret
    }

    @Test("${NAME} reads the variable, ${NAME:-default} falls back when unset or empty", arguments: [
        ("${S}", ["S": "abc"], "abc"),
        ("${S:-dflt}", [:], "dflt"),
        ("${S:-dflt}", ["S": ""], "dflt"),
        ("${S:-dflt}", ["S": "set"], "set"),
        ("${S}", ["S": ""], ""),
        ("pre-${A}-${B:-b}-post", ["A": "a"], "pre-a-b-post"),
        ("pa$$word", [:], "pa$$word"),
        ("$${S}", ["S": "x"], "${S}"),
        ("cost $5", [:], "cost $5"),
        ("${S:-}", [:], ""),
    ])
    func substitution(written: String, environment: [String: String], expected: String) throws {
        #expect(try secret(written, environment) == expected)
    }

    @Test("A plain scalar is typed after substitution, so ports can come from the environment")
    func typedAfterSubstitution() throws {
        let configuration = try GatewayConfiguration.parse("ami:\n  username: u\n  secret: s\n  port: ${P:-5040}\n",
                                                           file: "t.yaml", environment: [:])
        #expect(configuration.ami.port == 5040)
    }

    @Test("An unterminated reference is reported")
    func unterminated() {
        #expect(throws: ConfigurationError.self) { try secret("${S", [:]) }
    }
}
