import Foundation
import Testing

@testable import S2SDoctorCore
@testable import S2SDoctorReports

/// Points 1 and 15 of issue 14: the tool's own colour reaches the terminal; nothing hostile
/// reaches a screen, a sheet or a page.
@Suite struct HostileOutputTests {
  static let hostile = "bad\u{1B}[2J\u{1B}]0;title\u{7} \u{9B}31m\r\u{202E}exe.txt\u{2069} end"

  static func report() -> RunReport {
    Fixtures.run([
      .make(
        check: "bc.companies", title: "Companies are visible", status: .failed, reason: "bc.permission-missing",
        summary: "summary", detail: hostile, fix: "fix",
        docs: ["javascript:alert(1)", "https://learn.microsoft.com/x"],
        evidence: ["companies.message": hostile], durationMs: 5)
    ])
  }

  @Test func consoleColourIsRealAndHostileTextIsEscaped() throws {
    let coloured = try ReportRenderer.render(Self.report(), format: .console, verbose: true, color: true)
    // The tool's own styling arrives whole: ESC [ 31 m before the box, ESC [ 0 m after it.
    #expect(coloured.contains("\u{1B}[31m[✗]\u{1B}[0m"), "\(coloured.debugDescription)")
    // The server's escape sequences and controls arrive as visible text, not as bytes.
    #expect(coloured.contains("bad\\x1B[2J\\x1B]0;title\\x07 \\x9B31m\\r<U+202E>exe.txt<U+2069> end"))
    let allowed = "\u{1B}[31m[✗]\u{1B}[0m".unicodeScalars.first!
    let escapes = coloured.unicodeScalars.filter { $0 == allowed }.count
    #expect(escapes == coloured.components(separatedBy: "\u{1B}[").count - 1, "every ESC starts a tool style")
    #expect(!coloured.unicodeScalars.contains { ("\u{202A}"..."\u{202E}").contains($0) || $0 == "\u{7}" || $0 == "\r" })
    let plain = try ReportRenderer.render(Self.report(), format: .console, verbose: true, color: false)
    #expect(!plain.unicodeScalars.contains("\u{1B}"))
  }

  @Test func everyFormatCarriesTheHostileTextEscaped() throws {
    for format in ReportFormat.allCases {
      let text = try ReportRenderer.render(Self.report(), format: format, verbose: true, color: false)
      #expect(
        !text.unicodeScalars.contains {
          HumanText.needsEscape($0) && $0 != "\r" || ("\u{202A}"..."\u{202E}").contains($0)
        },
        "\(format) carries a raw control or bidi character")
    }
  }

  @Test func htmlLinksOnlyHTTPSAndCarriesACSP() throws {
    let html = try ReportRenderer.render(Self.report(), format: .html)
    #expect(html.contains("http-equiv=\"Content-Security-Policy\""))
    #expect(html.contains("default-src 'none'"))
    #expect(!html.contains("href=\"javascript:"), "a javascript: link is clickable")
    #expect(html.contains("href=\"https://learn.microsoft.com/x\""))
    #expect(html.contains("javascript:alert"), "the non-https link is still shown as text")
  }

  @Test func fleetCSVNeutralisesFormulasAndQuotesCR() {
    let cells = ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tcmd", "a\rb", "plain"]
    let rows = cells.map { cell in
      FleetRow(
        name: cell, tenant: "t", clientId: "c", environment: "production", status: .failed,
        primaryReason: "entra.secret-invalid", detail: nil, line: 2)
    }
    let csv = FleetText.render(FleetReport(rows: rows, problems: [], interrupted: false), format: .csv)
    let lines = csv.split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
    #expect(lines.contains { $0.hasPrefix("\"'=HYPERLINK(\"\"x\"\")\"") }, "\(csv)")
    for prefix in ["'+1,", "'-2,", "'@SUM(A1),", "'\tcmd,", "\"a\rb\",", "plain,"] {
      #expect(lines.contains { $0.hasPrefix(prefix) }, "\(prefix.debugDescription) in \(csv.debugDescription)")
    }
  }
}
