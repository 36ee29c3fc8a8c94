// swift-tools-version:6.1
// Microbenchmarks of the clusterdns core with ordo-one/benchmark (issue #6): answers per query type,
// wire decode/encode, one pod change at 100,000 pods, manifest decoding. A package of its own so
// that the main package and CI never build it; run `Benchmarks/micro/run`.
import PackageDescription

let benchmarkTargets = ["Answer", "Wire", "Store", "Manifest"]

/// SwiftPM names a path dependency after its folder (`main`, `clusterdns`, whatever the clone is
/// called), so the identity of `../..` is read off the directory this package sits in.
let mainPackage = Context.packageDirectory.split(separator: "/").dropLast(2).last.map { $0.lowercased() } ?? "clusterdns"

let package = Package(
    name: "clusterdns-micro",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The clusters, queries and manifests the benchmarks share.
        .target(name: "MicroFixtures", dependencies: [.product(name: "ClusterDNS", package: mainPackage)]),
    ] + benchmarkTargets.map { name in
        .executableTarget(
            name: name,
            dependencies: [
                "MicroFixtures",
                .product(name: "ClusterDNS", package: mainPackage),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/\(name)",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    }
)
