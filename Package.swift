// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "S2SDoctor",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "s2s-doctor", targets: ["s2s-doctor"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
    .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    // Already in the graph through hummingbird and swift-certificates; declared because the
    // emulator and the credentials import them directly.
    .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
  ],
  targets: [
    /// libedit's native histedit API, with fixed-signature wrappers for its variadic calls.
    .systemLibrary(
      name: "CLibEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),

    /// Wrappers for system calls Swift cannot import (prctl is variadic). Header only.
    .systemLibrary(name: "CS2SSystem"),

    /// Pure model: checks, outcomes, reasons, the embedded catalogue, the runner, `explain`,
    /// redaction and token decoding. No network, no terminal.
    .target(
      name: "S2SDoctorCore",
      dependencies: ["CS2SSystem", .product(name: "Yams", package: "Yams")],
      exclude: ["README.md"]),

    /// The on-premises server's files: CustomSettings.config and Get-NAVServerConfiguration
    /// output, the server's event log, and what they say about a 401. Reads files, no network.
    .target(
      name: "S2SDoctorOnPrem",
      dependencies: ["S2SDoctorCore"],
      exclude: ["README.md"]),

    /// The network layer and the live checks: HTTP, Entra ID, Business Central, on-prem files.
    .target(
      name: "S2SDoctorLive",
      dependencies: [
        "S2SDoctorCore", "S2SDoctorOnPrem",
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "_CryptoExtras", package: "swift-crypto"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "X509", package: "swift-certificates"),
        .product(name: "SwiftASN1", package: "swift-asn1"),
      ],
      exclude: ["README.md"]),

    /// The local Entra ID and Business Central emulator.
    .target(
      name: "S2SDoctorEmulator",
      dependencies: [
        "S2SDoctorCore",
        .product(name: "HummingbirdCore", package: "hummingbird"),
        .product(name: "HummingbirdTLS", package: "hummingbird"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "_CryptoExtras", package: "swift-crypto"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "X509", package: "swift-certificates"),
        .product(name: "SwiftASN1", package: "swift-asn1"),
        .product(name: "Logging", package: "swift-log"),
      ],
      exclude: ["README.md"]),

    /// Report rendering: console, JSON and the Mustache templates of `Templates/`.
    .target(
      name: "S2SDoctorReports",
      dependencies: [
        "S2SDoctorCore",
        .product(name: "Mustache", package: "swift-mustache"),
      ],
      exclude: ["README.md"]),

    /// The libedit setup wizard.
    .target(
      name: "S2SDoctorWizard",
      dependencies: ["S2SDoctorCore", "CLibEdit"],
      exclude: ["README.md"]),

    /// Commands, option groups, exit codes and wiring.
    .target(
      name: "S2SDoctorCLI",
      dependencies: [
        "S2SDoctorCore", "S2SDoctorOnPrem", "S2SDoctorLive", "S2SDoctorEmulator", "S2SDoctorReports",
        "S2SDoctorWizard",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      exclude: ["README.md"]),

    .executableTarget(name: "s2s-doctor", dependencies: ["S2SDoctorCLI"], exclude: ["README.md"]),

    /// The one generator of the embedded catalogue snapshot (`make generate`); not shipped.
    .executableTarget(name: "catalogue-gen", dependencies: ["S2SDoctorCore"], exclude: ["README.md"]),

    // Shared by the test targets (one process runner, off the cooperative pool); never shipped.
    .target(name: "S2SDoctorTestSupport", path: "Tests/S2SDoctorTestSupport", exclude: ["README.md"]),
    .testTarget(
      name: "S2SDoctorCoreTests", dependencies: ["S2SDoctorCore", "S2SDoctorOnPrem", "CS2SSystem"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "S2SDoctorLiveTests",
      dependencies: [
        "S2SDoctorLive", "S2SDoctorEmulator", "S2SDoctorCLI", "s2s-doctor", "S2SDoctorTestSupport",
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
      ]),
    .testTarget(
      name: "S2SDoctorEmulatorTests",
      dependencies: [
        "S2SDoctorEmulator",
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "_CryptoExtras", package: "swift-crypto"),
      ]),
    .testTarget(
      name: "S2SDoctorReportsTests", dependencies: ["S2SDoctorReports", "s2s-doctor", "S2SDoctorTestSupport"],
      exclude: ["Snapshots", "junit.xsd"]),
    .testTarget(
      name: "S2SDoctorWizardTests",
      dependencies: ["S2SDoctorWizard", "S2SDoctorEmulator", "s2s-doctor", "S2SDoctorTestSupport"]),
  ]
)
