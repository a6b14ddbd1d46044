import Foundation
import S2SDoctorCore
import Testing

@testable import S2SDoctorReports

/// Golden files for every format on two fixed runs.
@Suite struct SnapshotTests {
  static let runs: [(name: String, report: RunReport)] = [
    ("healthy", Fixtures.healthy), ("every-status", Fixtures.everyStatus),
  ]

  static func fileName(_ run: String, _ format: ReportFormat) -> String {
    switch format {
    case .console: "\(run).console.txt"
    case .text: "\(run).text.txt"
    case .json: "\(run).json"
    case .markdown: "\(run).md"
    case .html: "\(run).html"
    case .junit: "\(run).junit.xml"
    }
  }

  @Test(arguments: ReportFormat.allCases)
  func healthy(format: ReportFormat) throws {
    let text = try ReportRenderer.render(Fixtures.healthy, format: format)
    Snapshot.assertMatches(text, named: Self.fileName("healthy", format))
  }

  @Test(arguments: ReportFormat.allCases)
  func everyStatus(format: ReportFormat) throws {
    let text = try ReportRenderer.render(Fixtures.everyStatus, format: format, verbose: true)
    Snapshot.assertMatches(text, named: Self.fileName("every-status", format))
  }

  @Test(arguments: [ReportFormat.markdown, .json])
  func everyStatusWithRedactedIDs(format: ReportFormat) throws {
    let text = try ReportRenderer.render(Fixtures.everyStatus, format: format, redactIDs: true)
    let name = Self.fileName("every-status", format).replacingOccurrences(
      of: "every-status.", with: "every-status.redact-ids.")
    Snapshot.assertMatches(text, named: name)
  }

  /// The context templates read, so that a change to it is seen in review.
  @Test func context() throws {
    Snapshot.assertMatches(
      try ReportRenderer.contextJSON(Fixtures.everyStatus, redactIDs: false),
      named: "every-status.context.json")
  }
}
