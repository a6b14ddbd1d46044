import Foundation
import S2SDoctorCore

/// Output formats of `fleet`.
public enum FleetFormat: String, CaseIterable, Sendable {
  case table, json, junit, markdown, csv
}

/// Renders a fleet run: which customers are broken, and why.
public enum FleetText {
  public static func render(_ report: FleetReport, format: FleetFormat) -> String {
    let text: String
    switch format {
    case .table: text = table(report)
    case .json:
      text = json(report)
    case .csv: text = csv(report)
    case .markdown: text = markdown(report)
    case .junit: text = junit(report)
    }
    return Redactor.shared.redact(text)
  }

  /// The same bytes as encoding the whole report with `JSONEncoder.stable`, written row by row:
  /// the encoder's tree for 10,000 rows took more memory than the whole run.
  static func json(_ report: FleetReport) -> String {
    let encoder = JSONEncoder.stable
    func encoded<T: Encodable>(_ value: T, indent: Int) -> [UInt8] {
      let data = (try? encoder.encode(value)) ?? Data("null".utf8)
      let pad = [UInt8](repeating: UInt8(ascii: " "), count: indent)
      var out = [UInt8]()
      out.reserveCapacity(data.count + 16 * pad.count)
      // Pretty-printed JSON has raw newlines only between tokens (those in strings are escaped);
      // the encoder leaves the blank line inside an empty array or object unindented.
      var lineStart = false
      for byte in data {
        if lineStart && byte != UInt8(ascii: "\n") { out.append(contentsOf: pad) }
        out.append(byte)
        lineStart = byte == UInt8(ascii: "\n")
      }
      return out
    }
    guard !report.rows.isEmpty else { return String(decoding: encoded(report, indent: 0), as: UTF8.self) + "\n" }
    // Built straight into the String (no byte buffer to copy at the end): one copy of the report.
    var out = ""
    out.reserveCapacity(report.rows.count * 400)
    func add(_ bytes: [UInt8]) { out += String(decoding: bytes, as: UTF8.self) }
    out += "{\n  \"interrupted\" : \(report.interrupted),\n  \"rows\" : [\n"
    for (index, row) in report.rows.enumerated() {
      out += "    "
      add(encoded(row, indent: 4))
      out += index == report.rows.count - 1 ? "\n" : ",\n"
    }
    out += "  ],\n  \"schemaVersion\" : \(report.schemaVersion),\n  \"skippedRows\" : "
    add(encoded(report.skippedRows, indent: 2))
    out += ",\n  \"summary\" : "
    add(encoded(report.summary, indent: 2))
    out += "\n}\n"
    return out
  }

  static func summaryLine(_ report: FleetReport) -> String {
    let s = report.summary
    var parts = ["\(s.registrations) registrations", "\(s.passed) passed"]
    if s.warning > 0 { parts.append("\(s.warning) with warnings") }
    if s.failed > 0 { parts.append("\(s.failed) failed") }
    if s.couldNotTest > 0 { parts.append("\(s.couldNotTest) could not be tested") }
    if s.malformedRows > 0 { parts.append("\(s.malformedRows) malformed rows skipped") }
    var line = parts.joined(separator: ", ") + "."
    if report.interrupted { line += " Interrupted: only finished registrations are listed." }
    return line
  }

  static func table(_ report: FleetReport) -> String {
    let header = ["NAME", "TENANT", "ENVIRONMENT", "STATUS", "PRIMARY REASON"]
    let rows = report.rows.map { [$0.name, $0.tenant, $0.environment, $0.status.rawValue, $0.primaryReason ?? "-"] }
    var widths = header.map(\.count)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = min(max(widths[i], cell.count), 48) } }
    func format(_ cells: [String]) -> String {
      cells.enumerated().map { i, cell in
        let clipped = cell.count > widths[i] ? String(cell.prefix(widths[i] - 1)) + "…" : cell
        return clipped.padding(toLength: widths[i], withPad: " ", startingAt: 0)
      }.joined(separator: "  ").trimmedSpaces
    }
    var out = format(header) + "\n"
    for row in rows { out += format(row) + "\n" }
    for skipped in report.skippedRows { out += "skipped line \(skipped.line): \(skipped.message)\n" }
    let fixes = report.rows.filter { $0.status != .passed && $0.primaryReason != nil }
    if !fixes.isEmpty { out += "\nWhat to fix, per customer:\n" }
    for row in fixes {
      out += "\(row.name) / \(row.environment): \(row.primaryReason ?? "")\n"
      if let fix = row.fix { out += "  Fix: \(fix)\n" }
      if let who = row.whoFixes { out += "  Who fixes it: \(WhoFixes(rawValue: who)?.label ?? who)\n" }
      if let page = row.bcPage { out += "  In Business Central: \(page)\n" }
      if let consent = row.consentUrl { out += "  Admin consent: \(consent)\n" }
    }
    out += "\n" + summaryLine(report) + "\n"
    let reasons = report.summary.byReason.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
    if !reasons.isEmpty {
      out += "By reason: " + reasons.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ") + "\n"
      out += "Details and fixes: s2s-doctor explain <reason>\n"
    }
    return out
  }

  static func csvField(_ value: String) -> String {
    // A cell that starts with = + - @, a tab or a CR is a formula to a spreadsheet: make it text.
    var v = value
    if let first = v.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { v = "'" + v }
    if v.contains(",") || v.contains("\"") || v.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" }) {
      return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    return v
  }

  static func csv(_ report: FleetReport) -> String {
    // New columns go on the right, so readers of the first seven keep working.
    var out = "name,tenant,clientId,environment,status,primaryReason,detail,fix,whoFixes,consentUrl,bcPage\n"
    for row in report.rows {
      out +=
        [
          row.name, row.tenant, row.clientId, row.environment, row.status.rawValue, row.primaryReason ?? "",
          row.detail ?? "", row.fix ?? "", row.whoFixes ?? "", row.consentUrl ?? "", row.bcPage ?? "",
        ]
        .map(csvField).joined(separator: ",") + "\n"
    }
    return out
  }

  static func markdownCell(_ value: String) -> String {
    value.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
  }

  static func markdown(_ report: FleetReport) -> String {
    var out = "# S2S Doctor fleet report\n\n\(summaryLine(report))\n\n"
    out +=
      "| Name | Tenant | Environment | Status | Primary reason | Who fixes it | Fix |\n|---|---|---|---|---|---|---|\n"
    for row in report.rows {
      let reason = row.primaryReason.map { "`\($0)`" } ?? "—"
      let who = row.whoFixes.map { WhoFixes(rawValue: $0)?.label ?? $0 } ?? ""
      var fix = row.fix.map(markdownCell) ?? ""
      if let page = row.bcPage { fix += " [Microsoft Entra Applications](\(page))" }
      if row.status != .passed, let consent = row.consentUrl { fix += " [Admin consent](\(consent))" }
      out +=
        "| \(markdownCell(row.name)) | \(markdownCell(row.tenant)) | \(markdownCell(row.environment)) | \(row.status.box) \(row.status.rawValue) | \(reason) | \(markdownCell(who)) | \(fix.trimmedSpaces) |\n"
    }
    if !report.skippedRows.isEmpty {
      out += "\n## Skipped rows\n\n"
      for skipped in report.skippedRows { out += "- line \(skipped.line): \(markdownCell(skipped.message))\n" }
    }
    return out
  }

  /// The same escaping as the JUnit template of a single run.
  static func xml(_ value: String) -> String { XMLContentType().escapeText(value) }

  static func junit(_ report: FleetReport) -> String {
    let s = report.summary
    var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    out +=
      "<testsuites name=\"s2s-doctor fleet\" tests=\"\(s.registrations)\" failures=\"\(s.failed)\" errors=\"\(s.couldNotTest)\" skipped=\"\(s.skipped)\">\n"
    out +=
      "  <testsuite name=\"fleet\" tests=\"\(s.registrations)\" failures=\"\(s.failed)\" errors=\"\(s.couldNotTest)\" skipped=\"\(s.skipped)\">\n"
    for row in report.rows {
      out += "    <testcase classname=\"\(xml(row.tenant))\" name=\"\(xml(row.name)) / \(xml(row.environment))\">\n"
      let reason = row.primaryReason ?? ""
      let detail = xml(row.detail ?? "")
      switch row.status {
      case .failed: out += "      <failure type=\"\(xml(reason))\" message=\"\(xml(reason))\">\(detail)</failure>\n"
      case .couldNotTest: out += "      <error type=\"\(xml(reason))\" message=\"\(xml(reason))\">\(detail)</error>\n"
      case .skipped: out += "      <skipped message=\"\(xml(reason))\"/>\n"
      case .passed, .warning: break
      }
      out += "    </testcase>\n"
    }
    out += "  </testsuite>\n</testsuites>\n"
    return out
  }
}
