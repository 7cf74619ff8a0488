// swift-tools-version:6.0
// Event Publisher: Asterisk AMI → call-leg events → webhooks.
// Dependencies point inward: pure cores (AMIProtocol, CallEvents, CallCorrelation, Webhooks) import
// no C module and do no I/O; adapters wrap the C libraries; EventPublisher wires everything.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "event-publisher",
    products: [
        .executable(name: "event-publisher", targets: ["event-publisher"]),
        .executable(name: "event-publisher-bench", targets: ["event-publisher-bench"]),
    ],
    targets: [
        // C libraries from Debian -dev packages (module.modulemap + shim.h only).
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Typed wrappers for the variadic C functions Swift cannot call.
        .target(name: "CShims", dependencies: ["CCurl", "CMicroHTTPD"]),

        // Pure cores: no C, no I/O, no clock.
        .target(name: "AMIProtocol", swiftSettings: strict),
        .target(name: "CallEvents", swiftSettings: strict),
        .target(name: "CallCorrelation", dependencies: ["AMIProtocol", "CallEvents"], swiftSettings: strict),
        .target(name: "Webhooks", dependencies: ["CallEvents"], swiftSettings: strict),

        // Swift faces of the C libraries (no domain words).
        .target(name: "SQLite", dependencies: ["CSQLite"], swiftSettings: strict),
        .target(name: "YAML", dependencies: ["CYAML"], swiftSettings: strict),
        .target(name: "Curl", dependencies: ["CCurl", "CShims"], swiftSettings: strict),
        .target(name: "MicroHTTPD", dependencies: ["CMicroHTTPD", "CShims"], swiftSettings: strict),
        .target(name: "Crypto", dependencies: ["CCrypto"], swiftSettings: strict),

        // Adapters.
        .target(name: "Observability", swiftSettings: strict),
        .target(name: "Configuration",
                dependencies: ["YAML", "Webhooks", "CallCorrelation", "CallEvents"], swiftSettings: strict),
        .target(name: "Storage",
                dependencies: ["SQLite", "Webhooks", "CallEvents", "Observability"], swiftSettings: strict),
        .target(name: "AMIClient",
                dependencies: ["AMIProtocol", "Crypto", "Observability"], swiftSettings: strict),
        .target(name: "Delivery",
                dependencies: ["Curl", "Crypto", "Webhooks", "Storage", "CallEvents", "Observability"],
                swiftSettings: strict),
        .target(name: "AdminAPI",
                dependencies: ["MicroHTTPD", "Webhooks", "Storage", "Delivery", "CallEvents", "Observability"],
                swiftSettings: strict),

        // Composition root, CLI, executables.
        .target(name: "EventPublisher",
                dependencies: ["AMIProtocol", "CallEvents", "CallCorrelation", "Webhooks", "Observability",
                               "Configuration", "Storage", "AMIClient", "Delivery", "AdminAPI", "MicroHTTPD",
                               "TestSupport"],
                swiftSettings: strict),
        .target(name: "EventPublisherCLI",
                dependencies: ["EventPublisher", "AMIProtocol", "CallEvents", "CallCorrelation", "Webhooks",
                               "Configuration", "Storage", "Delivery", "Observability"],
                swiftSettings: strict),
        .executableTarget(name: "event-publisher", dependencies: ["EventPublisherCLI"], swiftSettings: strict),
        .executableTarget(name: "event-publisher-bench",
                          dependencies: ["AMIProtocol", "CallEvents", "CallCorrelation", "Configuration",
                                         "Storage", "Delivery", "Webhooks", "Observability"],
                          swiftSettings: strict),

        // Test-only helpers: AMI replay server, webhook receiver, fixtures, temp dirs.
        .target(name: "TestSupport",
                dependencies: ["AMIProtocol", "CallEvents", "MicroHTTPD", "Observability"],
                swiftSettings: strict),

        .testTarget(name: "AMIProtocolTests", dependencies: ["AMIProtocol", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "CallCorrelationTests",
                    dependencies: ["CallCorrelation", "CallEvents", "AMIProtocol", "Configuration", "EventPublisher",
                                   "TestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "WebhooksTests", dependencies: ["Webhooks", "CallEvents"], swiftSettings: strict),
        // Storage, Observability and EventPublisher: the hot-reload tests drive ConfigReloadService
        // against a real store.
        .testTarget(name: "ConfigurationTests",
                    dependencies: ["Configuration", "YAML", "Webhooks", "Storage", "Observability", "EventPublisher", "Delivery",
                                   "TestSupport", "CallCorrelation"],
                    swiftSettings: strict),
        .testTarget(name: "StorageTests",
                    dependencies: ["Storage", "SQLite", "Webhooks", "CallEvents", "Observability", "TestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "AMIClientTests",
                    dependencies: ["AMIClient", "AMIProtocol", "Crypto", "Observability", "TestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "DeliveryTests",
                    dependencies: ["Delivery", "Curl", "Crypto", "Storage", "Webhooks", "CallEvents", "Observability",
                                   "MicroHTTPD", "TestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "AdminAPITests",
                    dependencies: ["AdminAPI", "MicroHTTPD", "Storage", "Webhooks", "Delivery", "CallEvents",
                                   "Observability", "Curl", "TestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "EndToEndTests",
                    dependencies: ["EventPublisher", "EventPublisherCLI", "AMIProtocol", "CallEvents", "Configuration",
                                   "Storage", "Webhooks", "Observability", "MicroHTTPD", "TestSupport", "Delivery"],
                    swiftSettings: strict),
        // Runs the built `event-publisher` binary as a subprocess: output, exit codes, help text.
        .testTarget(name: "EventPublisherCLITests",
                    dependencies: ["EventPublisherCLI", "EventPublisher", "CallEvents", "TestSupport"],
                    swiftSettings: strict),
    ]
)

// libFuzzer targets (docs/RELIABILITY.md, scripts/fuzz.sh). They have no `main` (libFuzzer supplies
// it), so they exist only when the manifest is evaluated with EVENT_PUBLISHER_FUZZ=1 and built with
// `-Xswiftc -sanitize=fuzzer,address`; ordinary `swift build` / `swift test` never see them.
if Context.environment["EVENT_PUBLISHER_FUZZ"] == "1" {
    package.targets += [
        .executableTarget(name: "FuzzAMIDecoder", dependencies: ["AMIProtocol"], swiftSettings: strict),
        .executableTarget(name: "FuzzConfigLoader", dependencies: ["Configuration"], swiftSettings: strict),
        .executableTarget(name: "FuzzAdminJSON",
                          dependencies: ["AdminAPI", "MicroHTTPD", "Storage", "Observability"], swiftSettings: strict),
    ]
}
