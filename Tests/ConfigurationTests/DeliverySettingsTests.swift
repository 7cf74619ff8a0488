import Configuration
import Testing

@Suite("delivery: section")
struct DeliverySettingsTests {
    private static let ami = "ami:\n  username: u\n  secret: s\n"

    @Test("refuse_private_destinations defaults to false when the section is absent or empty")
    func defaultsToFalse() throws {
        #expect(try GatewayConfiguration.parse(Self.ami, file: "t.yaml").delivery.refusePrivateDestinations == false)
        let empty = try GatewayConfiguration.parse(Self.ami + "delivery:\n", file: "t.yaml")
        #expect(empty.delivery.refusePrivateDestinations == false)
    }

    @Test("refuse_private_destinations: true is read")
    func parsesTrue() throws {
        let text = Self.ami + "delivery: { refuse_private_destinations: true }\n"
        #expect(try GatewayConfiguration.parse(text, file: "t.yaml").delivery.refusePrivateDestinations == true)
    }

    @Test("A non-boolean value and unknown delivery keys are refused")
    func strictTypesAndKeys() {
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.parse(Self.ami + "delivery:\n  refuse_private_destinations: \"yes\"\n", file: "t.yaml")
        }
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.parse(Self.ami + "delivery:\n  refuse_private: true\n", file: "t.yaml")
        }
    }
}
