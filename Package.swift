// swift-tools-version:6.1
import PackageDescription

/// Layers, top to bottom; a target imports only targets below it.
///   clusterdns (exe) → ClusterDNSRuntime → DNSServer (NIO), ClusterDNS → ClusterModel, DNSWire → DNSModel
/// `DNSWire` is the only importer of the C module `CLDNS` (libldns).
let package = Package(
    name: "clusterdns",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ClusterDNS", targets: ["ClusterDNS", "ClusterModel", "DNSModel", "DNSWire"]),
        .executable(name: "clusterdns", targets: ["clusterdns"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        .systemLibrary(name: "CLDNS", pkgConfig: "ldns", providers: [.apt(["libldns-dev"])]),
        .target(name: "DNSModel"),
        .target(name: "DNSWire", dependencies: ["DNSModel", "CLDNS"]),
        .target(name: "ClusterModel", dependencies: [
            "DNSModel",
            .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "ClusterDNS", dependencies: ["ClusterModel", "DNSModel", "DNSWire"]),
        .target(name: "CDatagram"),
        .target(name: "DNSServer", dependencies: [
            "DNSModel", "DNSWire", "CDatagram",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOExtras", package: "swift-nio-extras"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        .target(name: "ClusterDNSAdmin", dependencies: [
            "ClusterDNS", "ClusterModel", "DNSModel", "DNSWire",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .target(name: "ClusterDNSRuntime", dependencies: [
            "ClusterDNS", "ClusterModel", "DNSModel", "DNSWire", "DNSServer", "ClusterDNSAdmin", "KubernetesSource",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "clusterdns", dependencies: [
            "ClusterDNSRuntime",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // libFuzzer harnesses (scripts/fuzz builds them with -sanitize=fuzzer,address; a plain
        // build makes corpus replayers).
        .target(name: "FuzzSupport", path: "Fuzz/FuzzSupport"),
        .target(name: "FuzzCluster", dependencies: ["ClusterDNS", "ClusterModel", "DNSModel"], path: "Fuzz/FuzzCluster"),
        .executableTarget(name: "FuzzQuery", dependencies: ["ClusterDNS", "ClusterModel", "DNSWire", "DNSModel", "FuzzSupport", "FuzzCluster"],
                          path: "Fuzz/FuzzQuery"),
        .executableTarget(name: "FuzzManifest", dependencies: ["ClusterModel", "FuzzSupport"], path: "Fuzz/FuzzManifest"),
        .executableTarget(name: "FuzzZone", dependencies: ["DNSWire", "DNSModel", "FuzzSupport"], path: "Fuzz/FuzzZone"),
        .executableTarget(name: "FuzzTCP", dependencies: [
            "DNSServer", "ClusterDNS", "ClusterModel", "DNSWire", "DNSModel", "FuzzSupport", "FuzzCluster",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Fuzz/FuzzTCP"),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "DNSWireTests", dependencies: ["DNSWire", "DNSModel"]),
        .testTarget(name: "ClusterModelTests", dependencies: ["ClusterModel", "DNSModel", "TestSupport"]),
        .testTarget(name: "ClusterDNSTests", dependencies: ["ClusterDNS", "ClusterModel", "DNSModel", "DNSWire", "TestSupport"]),
        .target(name: "KubernetesSource", dependencies: [
            "ClusterModel",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Yams", package: "Yams"),
        ]),
        .testTarget(name: "KubernetesSourceTests", dependencies: [
            "KubernetesSource", "ClusterModel", "DNSModel",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "MetricsTestKit", package: "swift-metrics"),
        ], resources: [.copy("Fixtures")]),
        .testTarget(name: "AdminTests", dependencies: [
            "ClusterDNSRuntime", "ClusterDNSAdmin", "DNSServer", "DNSWire", "DNSModel", "ClusterModel", "TestSupport",
        ]),
        .testTarget(name: "IntegrationTests", dependencies: [
            "ClusterDNSRuntime", "DNSServer", "DNSWire", "DNSModel", "ClusterModel", "ClusterDNS", "ClusterDNSAdmin", "TestSupport",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
    ]
)
