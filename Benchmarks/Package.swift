// swift-tools-version: 6.1
// The benchmarks of KSMEngine, in a package of their own so that the library never depends on the
// benchmark framework. Run from this directory:
//
//   swift package benchmark                     # everything
//   swift package benchmark --filter 'Hash.*'   # page hashing only
//
// docs/performance.md tells what each benchmark measures and which metrics CI may gate on.
import PackageDescription

let package = Package(
    name: "KSMEngineBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        // The package one directory up, named so that the product reference below does not depend on
        // the name of the folder it was cloned into.
        .package(name: "KSMEngine", path: ".."),
        // MallocInterposer: malloc counts without jemalloc. Naming the trait also turns off the
        // default RuntimeInterposer trait, whose package (swift-runtime-interposer) is not needed.
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "KSMBenchmarks",
            dependencies: [
                .product(name: "KSMEngine", package: "KSMEngine"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/KSMBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
