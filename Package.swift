// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "KSMEngine",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "KSMEngine", targets: ["KSMEngine"]),
        .executable(name: "ksmd-sim", targets: ["ksmd-sim"]),
        .executable(name: "ksm-worker", targets: ["ksm-worker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `swift package generate-documentation` (DocC); a command plugin, nothing a consumer builds.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // Debian's libxxhash-dev, with every hash function inlined from the header.
        .systemLibrary(
            name: "CXXHash",
            pkgConfig: "libxxhash",
            providers: [.apt(["libxxhash-dev"])]
        ),
        // Debian's libzstd-dev: snapshot files compress page contents with it (docs/snapshot-format.md).
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        .target(
            name: "KSMEngine",
            dependencies: ["CXXHash", "CZstd"]
        ),
        .executableTarget(
            name: "ksmd-sim",
            dependencies: [
                "KSMEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The host-kernel runner's worker process: plain C, no allocation after start.
        .executableTarget(name: "ksm-worker"),
        .testTarget(name: "KSMEngineTests", dependencies: ["KSMEngine"]),
    ]
)
