import Foundation
import Testing

@testable import S2SDoctorCore
@testable import S2SDoctorReports

/// Issue 14, points 3 (output width) and 6 (honest verdicts).
@Suite struct VerdictAndWidthTests {
  static func partial() -> RunReport {
    Fixtures.run([
      Fixtures.passed("input.tenant", "The tenant is valid", "ok", ms: 1),
      Fixtures.passed("input.client-id", "The client id is valid", "ok", ms: 1),
      Fixtures.passed("entra.tenant", "The tenant exists", "ok", ms: 1),
      Fixtures.passed("entra.token", "A token is issued", "ok", ms: 1),
      Fixtures.skipped("bc.companies", "Companies are visible", "skipped on request (--skip)"),
    ])
  }

  @Test func aPartialRunNeverSaysTheRegistrationWorks() throws {
    let report = Self.partial()
    for format in ReportFormat.allCases {
      let text = try ReportRenderer.render(report, format: format)
      #expect(!text.contains("registration works"), "\(format) claims more than was verified")
    }
    let console = try ReportRenderer.render(report, format: .console).replacingOccurrences(of: "\n", with: " ")
    #expect(
      console.contains("4 passed, 1 skipped. Nothing failed, but not everything was verified: BC access not checked."))
    #expect(ReportContext(report: report, redactIDs: false).verdict.contains("BC access not checked"))
    // A complete healthy run still says so.
    let full = Fixtures.run([Fixtures.passed("input.tenant", "The tenant is valid", "ok", ms: 1)])
    #expect(try ReportRenderer.render(full, format: .console).contains("The registration works."))
  }

  @Test(arguments: [60, 80, 120])
  func consoleLinesFitTheWidth(width: Int) throws {
    let long =
      "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'https://contoso.example/a-very-long-identifier-without-any-spaces-that-goes-on-and-on-and-on'."
    let report = Fixtures.run([
      .make(
        check: "entra.token", title: "A token is issued for Business Central", status: .failed,
        reason: "entra.secret-invalid", summary: long, detail: long, fix: long, steps: [long],
        docs: ["https://learn.microsoft.com/x"], evidence: ["token.message": long], durationMs: 3)
    ])
    let text = try ReportRenderer.render(report, format: .console, verbose: true, color: true, width: width)
    let plain = text.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
    for line in plain.split(separator: "\n") {
      #expect(line.count <= width, "\(line.count) > \(width): \(line)")
    }
    // The evidence line is cut with a mark, the long word is broken with one.
    #expect(plain.contains("· token.message: AADSTS7000215"))
    #expect(plain.split(separator: "\n").contains { $0.contains("· token.message") && $0.hasSuffix("…") })
    #expect(plain.contains("a-very-long-identifier"))
  }

  /// A URL is never cut: it stays whole, alone on its line when it does not fit (screen test:
  /// Tests/screen/screen_tests.py).
  @Test(arguments: [60, 80])
  func aLongURLStaysWholeOnItsOwnLine(width: Int) {
    let url = "https://learn.microsoft.com/dynamics365/business-central/dev-itpro/administration/automation-apis"
    let text = ConsoleText.wrap("Docs: \(url) and more words after it", indent: "    → ", width: width)
    let lines = text.split(separator: "\n").map(String.init)
    #expect(lines.contains(url), "\(lines)")
    #expect(lines.first == "    → Docs:")
    for line in lines where line != url { #expect(line.count <= width, "\(line)") }
    #expect(!text.contains("…"))
    // Colour sequences take no room.
    let painted = ConsoleText.wrap(
      "\u{1B}[1mbold\u{1B}[0m " + String(repeating: "word ", count: 20), indent: "", width: width)
    for line in painted.split(separator: "\n") { #expect(TextLayout.visibleCount(line) <= width) }
    #expect(painted.split(separator: "\n").first.map { TextLayout.visibleCount($0) > width - 6 } == true)
  }
}
