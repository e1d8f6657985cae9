// swift-tools-version:6.0
import PackageDescription

// No package dependencies on purpose: the Lambda binary links only libcurl and libcrypto,
// which keeps the zip small and the cold start short (see BENCHMARKS.md).
let package = Package(
    name: "imagecat",
    products: [
        .executable(name: "bootstrap", targets: ["bootstrap"]),
    ],
    targets: [
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        .target(name: "CCrypto", linkerSettings: [.linkedLibrary("crypto")]),
        .target(name: "HTTPClient", dependencies: ["CCurl"]),
        .target(name: "JSON"),
        .target(name: "S3", dependencies: ["HTTPClient", "CCrypto"]),
        .target(name: "Catalog", dependencies: ["JSON"]),
        .target(name: "ImageSniffer"),
        .executableTarget(name: "ImageSnifferFuzz", dependencies: ["ImageSniffer"]),
        .executableTarget(name: "EventDecoderFuzz", dependencies: ["Handlers", "JSON"]),
        .target(name: "LambdaRuntime", dependencies: ["HTTPClient", "JSON"]),
        .target(name: "Handlers", dependencies: ["LambdaRuntime", "S3", "Catalog", "JSON", "HTTPClient", "ImageSniffer"]),
        .executableTarget(name: "bootstrap", dependencies: ["Handlers", "LambdaRuntime", "HTTPClient"]),
        .executableTarget(name: "s3-record", dependencies: ["S3", "HTTPClient"]),

        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "S3Tests", dependencies: ["S3", "HTTPClient"], exclude: ["Fixtures"]),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog", "JSON"]),
        .testTarget(name: "ImageSnifferTests", dependencies: ["ImageSniffer"], exclude: ["Images"]),
        .testTarget(name: "LambdaRuntimeTests", dependencies: ["LambdaRuntime", "JSON"]),
        .testTarget(name: "HandlersTests", dependencies: ["Handlers", "Catalog", "JSON", "S3", "ImageSniffer"]),
    ]
)
