import Foundation
import Testing

@testable import S2SDoctorCore
@testable import S2SDoctorOnPrem

/// Issue 14, point 12: the parsers are linear. Inputs built to make a quadratic parser take
/// minutes finish in seconds (the limits are generous: this runs on a shared 2-core machine).
@Suite(.serialized) struct ParserStressTests {
  static let limit = Duration.seconds(10)

  func timed<T>(_ body: () throws -> T) rethrows -> (T, Duration) {
    let clock = ContinuousClock()
    let started = clock.now
    let value = try body()
    return (value, clock.now - started)
  }

  @Test func aCSVFieldFullOfQuotes() throws {
    // 2 million escaped quotes in one field, then a field opened and never closed.
    let quotes = String(repeating: "\"\"", count: 1_000_000)
    let text =
      "name,tenant,clientId\n\"\(quotes)\",contoso.onmicrosoft.com,5c2a7d1e-3b4f-4a6e-9d8c-7f1e2d3c4b5a\n"
      + "x,\"" + String(repeating: "\"", count: 999_999) + String(repeating: "a\"b", count: 300_000) + "\n"
    let (parsed, elapsed) = try timed { try Inventory.parse(text) }
    #expect(elapsed < Self.limit, "\(elapsed)")
    #expect(parsed.rows.count + parsed.problems.count >= 1)
  }

  @Test func anXMLElementWithAHundredThousandAttributes() throws {
    var xml = "<?xml version=\"1.0\"?>\n<appSettings>\n  <add key=\"ServerInstance\" value=\"BC230\""
    for i in 0..<100_000 { xml += " a\(i)=\"v\(i)\"" }
    xml += " />\n  <add key=\"ValidAudiences\" value=\"https://api.businesscentral.dynamics.com\" />\n</appSettings>\n"
    let (result, elapsed) = timed { try? ServerConfiguration.parse(xml, file: "stress.config") }
    #expect(elapsed < Self.limit, "\(elapsed)")
    // Whatever the verdict on such a file, it is reached quickly; when read, the values are right.
    if let configuration = result { #expect(configuration.value("ValidAudiences") != nil) }
  }

  @Test func aOneGigabyteLogIsReadUpToItsCapInSeconds() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("s2s-stress-\(UUID().uuidString).log").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let head = String(
      repeating: "2024-05-18 10:00:00 Error Server instance: BC230 IDX10214: Audience validation failed.\n", count: 1000
    )
    FileManager.default.createFile(atPath: path, contents: Data(head.utf8))
    // The rest is sparse: 1 GB on disk costs nothing, and reading it would cost a lot.
    let handle = try #require(FileHandle(forWritingAtPath: path))
    try handle.truncate(atOffset: 1 << 30)
    try handle.close()
    let (report, elapsed) = try timed { try ServerLog.scan(path: path) }
    #expect(elapsed < Self.limit, "\(elapsed)")
    #expect(report.truncated)
    #expect(report.serverInstance == "BC230")
    #expect(report.findings.first?.reason == "onprem.audience-not-valid")
  }
}
