// swift-tools-version:6.0
// The baseline `make bench` measures cold start against: a Swift "hello world" built exactly as
// the shipped binary is (release, static Swift runtime).
import PackageDescription

let package = Package(
  name: "hello",
  targets: [.executableTarget(name: "hello")]
)
