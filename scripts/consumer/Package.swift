// swift-tools-version: 6.1
// A package that uses KSMEngine the way its users do: by URL and version, never by path.
// scripts/check-consumer.sh fills in the URL and the version of a tagged clone, and writes
// Sources/KSMConsumer/main.swift from the README's library example.
import PackageDescription

let package = Package(
    name: "KSMConsumer",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(url: "@KSMENGINE_URL@", from: "@KSMENGINE_VERSION@")
    ],
    targets: [
        .executableTarget(
            name: "KSMConsumer",
            dependencies: [.product(name: "KSMEngine", package: "KSMEngine")]
        )
    ]
)
