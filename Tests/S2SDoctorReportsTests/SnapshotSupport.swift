import Foundation
import Testing

/// Golden files under `Snapshots/`, next to this file.
///
/// `RECORD_SNAPSHOTS=1 swift test --filter S2SDoctorReportsTests` rewrites them, and every
/// recording test fails on purpose, so a recording run can never pass (or land) silently.
enum Snapshot {
  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Snapshots")

  static var recording: Bool {
    let value = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] ?? ""
    return !value.isEmpty && value != "0"
  }

  static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

  static func read(_ name: String) -> String? {
    guard let data = FileManager.default.contents(atPath: url(name).path) else { return nil }
    return String(decoding: data, as: UTF8.self)
  }

  static func assertMatches(
    _ actual: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    if recording {
      try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      FileManager.default.createFile(atPath: url(name).path, contents: Data(actual.utf8))
      Issue.record(
        "Recorded Snapshots/\(name). Recording always fails: run again without RECORD_SNAPSHOTS.",
        sourceLocation: sourceLocation)
      return
    }
    guard let expected = read(name) else {
      Issue.record(
        "Snapshots/\(name) is missing. Record it with RECORD_SNAPSHOTS=1 swift test --filter S2SDoctorReportsTests.",
        sourceLocation: sourceLocation)
      return
    }
    guard expected != actual else { return }
    let actualURL = FileManager.default.temporaryDirectory.appendingPathComponent(
      "s2s-doctor-snapshot-\(name)")
    FileManager.default.createFile(atPath: actualURL.path, contents: Data(actual.utf8))
    Issue.record(
      """
      Snapshots/\(name) differs from the output (\(firstDifference(expected, actual))).
      Actual output: \(actualURL.path) — compare with diff; if the change is intended, re-record with \
      RECORD_SNAPSHOTS=1 swift test --filter S2SDoctorReportsTests.
      """, sourceLocation: sourceLocation)
  }

  static func firstDifference(_ expected: String, _ actual: String) -> String {
    let e = expected.components(separatedBy: "\n")
    let a = actual.components(separatedBy: "\n")
    for index in 0..<max(e.count, a.count) {
      let left = index < e.count ? e[index] : "<end of file>"
      let right = index < a.count ? a[index] : "<end of file>"
      if left != right { return "line \(index + 1): expected «\(left)», got «\(right)»" }
    }
    return "same lines"
  }
}
