// swift-tools-version:6.0
import PackageDescription

// No package dependencies on purpose: the Lambda binary links only libcurl and libcrypto, which
// keeps the zip small and the cold start short (see BENCHMARKS.md). The modules, bottom up:
//
//   Basics        small shared helpers: base64, percent-decoding, dates, clock, backoff, environment
//   JSON          strict JSON parser with positions, and writer (Basics for hex)
//   HTTPClient    HTTP over libcurl (kept-alive connections)
//   SigV4         AWS Signature Version 4 (OpenSSL's libcrypto)
//   S3            the S3 REST client; knows nothing of catalogs
//   Storage       the bucket as the sync and the API use it: typed outcomes, bare ETags; on S3
//   Catalog       the catalog document: entries, upsert/remove, validation (pure)
//   ImageSniffer  format and pixel size from an image's first bytes (pure)
//   S3Events      which objects changed: S3, SQS, SNS-in-SQS and EventBridge envelopes
//   CatalogSync   the catalog sync protocol: store, updater, reconcile, entry building, cache
//   Telemetry     levelled log lines (text or JSON) and EMF metric documents (pure but for the write)
//   API           the HTTP API: gateway request/response, access, reading, uploads
//   LambdaRuntime the Runtime API loop; knows nothing of S3
//   Handlers      the composition root: `_HANDLER` registry, configuration, the four handlers
let package = Package(
    name: "imagecat",
    products: [
        .executable(name: "bootstrap", targets: ["bootstrap"]),
    ],
    targets: [
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        .target(name: "CCrypto", linkerSettings: [.linkedLibrary("crypto")]),
        .target(name: "Basics"),
        .target(name: "JSON", dependencies: ["Basics"]),
        .target(name: "HTTPClient", dependencies: ["CCurl"]),
        .target(name: "SigV4", dependencies: ["CCrypto", "Basics"]),
        .target(name: "S3", dependencies: ["HTTPClient", "SigV4", "Basics"]),
        .target(name: "Storage", dependencies: ["S3", "HTTPClient", "Basics"]),
        .target(name: "Catalog", dependencies: ["JSON", "Basics"]),
        .target(name: "ImageSniffer", dependencies: ["Basics"]),
        .target(name: "S3Events", dependencies: ["JSON", "Basics"]),
        .target(name: "CatalogFile", dependencies: ["Catalog", "Storage", "Basics"]),
        .target(name: "CatalogSync", dependencies: ["CatalogFile", "Catalog", "ImageSniffer", "Storage", "JSON", "Basics"]),
        .target(name: "Telemetry", dependencies: ["JSON", "Basics"]),
        .target(name: "API", dependencies: ["CatalogFile", "Catalog", "Storage", "S3", "SigV4", "HTTPClient", "Telemetry", "JSON", "Basics"]),
        .target(name: "LambdaRuntime", dependencies: ["HTTPClient", "Telemetry", "JSON", "Basics"]),
        .target(name: "Handlers", dependencies: ["LambdaRuntime", "S3Events", "CatalogSync", "CatalogFile", "API", "Storage", "S3",
                                                 "HTTPClient", "Catalog", "Telemetry", "JSON", "Basics"]),
        .executableTarget(name: "bootstrap", dependencies: ["Handlers", "LambdaRuntime", "HTTPClient", "Telemetry", "Basics"]),

        // Tools, never linked into bootstrap.
        .executableTarget(name: "ImageSnifferFuzz", dependencies: ["ImageSniffer"]),
        .executableTarget(name: "EventDecoderFuzz", dependencies: ["S3Events", "JSON", "Basics"]),
        .executableTarget(name: "s3-record", dependencies: ["S3", "HTTPClient", "JSON", "Basics"]),
        // Signs JSON-lines requests with SigV4Signer, for the differential test against botocore.
        .executableTarget(name: "sigv4-sign", dependencies: ["SigV4", "JSON", "Basics"]),
        .target(name: "TestSupport", dependencies: ["Storage", "CatalogFile", "CatalogSync", "Catalog", "HTTPClient",
                                                    "Telemetry", "JSON", "Basics"],
                path: "Tests/TestSupport"),

        .testTarget(name: "BasicsTests", dependencies: ["Basics"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON", "TestSupport"]),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient"]),
        .testTarget(name: "SigV4Tests", dependencies: ["SigV4", "Basics"], exclude: ["Vectors"]),
        .testTarget(name: "S3Tests", dependencies: ["S3", "SigV4", "HTTPClient", "Basics", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "S3", "SigV4", "HTTPClient", "Basics", "TestSupport"]),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog", "JSON", "Basics", "TestSupport"]),
        .testTarget(name: "CatalogFileTests", dependencies: ["CatalogFile", "Catalog", "Storage", "JSON", "Basics", "TestSupport"]),
        .testTarget(name: "ImageSnifferTests", dependencies: ["ImageSniffer", "TestSupport"], exclude: ["Images"]),
        .testTarget(name: "S3EventsTests", dependencies: ["S3Events", "JSON"]),
        .testTarget(name: "CatalogSyncTests", dependencies: ["CatalogSync", "CatalogFile", "Catalog", "Storage", "ImageSniffer", "S3", "SigV4",
                                                            "HTTPClient", "JSON", "Basics", "TestSupport"]),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry", "JSON", "TestSupport"]),
        .testTarget(name: "APITests", dependencies: ["API", "CatalogFile", "Storage", "Catalog", "S3", "SigV4", "HTTPClient", "Telemetry", "JSON", "Basics",
                                                    "TestSupport"]),
        .testTarget(name: "LambdaRuntimeTests", dependencies: ["LambdaRuntime", "HTTPClient", "JSON", "Basics", "TestSupport"]),
        .testTarget(name: "HandlersTests", dependencies: ["Handlers", "API", "CatalogSync", "Catalog", "Storage", "S3Events",
                                                         "LambdaRuntime", "S3", "SigV4", "HTTPClient", "Telemetry", "JSON", "Basics",
                                                         "TestSupport"]),
    ]
)
