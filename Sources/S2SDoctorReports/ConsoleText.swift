import Foundation
import S2SDoctorCore

/// Doctor-style console text for `check`, `explain` and `checks`.
///
/// One line per check with a status box, reason and fix under a problem, evidence with
/// `verbose`, one closing summary line. Colour is optional and never carries meaning alone.
public enum ConsoleText {
  public static let nothingToDiagnose = """
    Nothing to diagnose: no AADSTS code, Business Central error code, HTTP status or known error \
    message was found in the input.
    Paste the whole error (response body, exception text or log line), or give a hint with \
    --status N and --endpoint token|bc-api|automation|admin|onprem|consent.

    """

  struct Paint {
    let on: Bool
    func callAsFunction(_ text: String, _ code: String) -> String {
      on ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
  }

  static func colorCode(_ status: Status) -> String {
    switch status {
    case .passed: "32"
    case .warning: "33"
    case .failed: "31"
    case .skipped: "2"
    case .couldNotTest: "35"
    }
  }

  /// Wraps `text` at `width`: `indent` starts the first line, continuation lines hang under it.
  public static func wrap(_ text: String, indent: String, width: Int = 100) -> String {
    let hanging = String(repeating: " ", count: indent.count)
    var lines: [String] = []
    var prefix = indent
    for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
      var line = prefix
      for word in paragraph.split(separator: " ") {
        if line.count > prefix.count && line.count + word.count + 1 > width {
          lines.append(line)
          prefix = hanging
          line = prefix
        }
        line += (line.count > prefix.count ? " " : "") + word
      }
      lines.append(line)
      prefix = hanging
    }
    return lines.joined(separator: "\n")
  }

  // MARK: check

  public static func report(_ report: RunReport, verbose: Bool, color: Bool) -> String {
    let paint = Paint(on: color)
    var out = ""
    let t = report.target
    let who = [
      t.tenant.map { "tenant \($0)" }, t.clientId.map { "client \($0)" },
      t.environment.map { "environment \($0)" }, t.bcUrl.map { "server \($0)" },
    ]
    .compactMap { $0 }.joined(separator: ", ")
    out += "S2S Doctor \(report.tool.version) — \(t.deployment) registration: \(who)\n\n"
    for result in report.results {
      let box = paint(result.status.box, colorCode(result.status))
      var line = "\(box) \(result.title)"
      if let reason = result.reason, result.status != .passed { line += " — \(reason)" }
      out += line + "\n"
      switch result.status {
      case .passed:
        if verbose, let detail = result.detail { out += wrap(detail, indent: "    ") + "\n" }
      case .skipped:
        if let detail = result.detail { out += wrap(detail, indent: "    ") + "\n" }
      case .failed, .warning, .couldNotTest:
        if let summary = result.summary { out += wrap(summary, indent: "    ✗ ") + "\n" }
        if let detail = result.detail { out += wrap(detail, indent: "      ") + "\n" }
        if let fix = result.fix { out += wrap("Fix: " + fix, indent: "    → ") + "\n" }
        if verbose {
          for (i, step) in result.steps.enumerated() {
            out += wrap(step, indent: "      \(i + 1). ") + "\n"
          }
        }
        if let who = result.whoFixes.flatMap(WhoFixes.init(rawValue:)) {
          out += "    → Who fixes it: \(who.label)\n"
        }
        if let doc = result.docs.first { out += "    → Docs: \(doc)\n" }
      }
      if verbose && !result.evidence.isEmpty {
        for key in result.evidence.keys.sorted() {
          out += "      · \(key): \(result.evidence[key] ?? "")\n"
        }
      }
    }
    out += "\n" + summaryLine(report, paint: paint) + "\n"
    return Redactor.shared.redact(out)
  }

  static func summaryLine(_ report: RunReport, paint: Paint) -> String {
    let s = report.summary
    var parts = ["\(s.passed) passed"]
    if s.warning > 0 { parts.append("\(s.warning) warning\(s.warning == 1 ? "" : "s")") }
    if s.failed > 0 { parts.append("\(s.failed) failed") }
    if s.couldNotTest > 0 { parts.append("\(s.couldNotTest) could not be tested") }
    if s.skipped > 0 { parts.append("\(s.skipped) skipped") }
    let counts = parts.joined(separator: ", ")
    if let primary = report.primary, primary.status != .warning, let reason = primary.reason {
      return paint("✗ \(counts).", "1") + " Start with \(reason): s2s-doctor explain \(reason)"
    }
    if s.warning > 0 { return paint("! \(counts).", "1") }
    return paint("✓ \(counts). The registration works.", "1")
  }

  // MARK: explain

  public static func explain(_ result: ExplainResult, color: Bool) -> String {
    let paint = Paint(on: color)
    var out = ""
    if let check = result.check {
      out += "\(check.id) — \(check.title)\n"
      out += wrap(check.rationale, indent: "  ") + "\n"
      if !check.requires.isEmpty { out += "  Needs: \(check.requires.joined(separator: ", "))\n" }
      out += "  Can report:\n"
      for d in result.diagnoses { out += "    - \(d.reason): \(d.summary)\n" }
      return out
    }
    for (index, d) in result.diagnoses.enumerated() {
      if index == 0 {
        out +=
          paint("\(d.reason)", "1;31") + " (\(d.confidence) confidence; matched \(HumanText.neutralize(d.matched)))\n"
        out += wrap(d.summary, indent: "  ") + "\n\n"
        out += wrap("Why: " + d.why, indent: "  ") + "\n\n"
        out += wrap("Fix: " + d.fix, indent: "  ") + "\n"
        for (i, step) in d.steps.enumerated() { out += wrap(step, indent: "    \(i + 1). ") + "\n" }
        if let who = WhoFixes(rawValue: d.whoFixes) { out += "\n  Who fixes it: \(who.label)\n" }
        for doc in d.docs { out += "  Docs: \(doc)\n" }
      } else {
        if index == 1 { out += "\nOther possible causes:\n" }
        out += "  - \(d.reason) (\(d.confidence)): \(d.summary)\n"
      }
    }
    let s = result.signals
    var facts: [String] = []
    if !s.aadsts.isEmpty { facts.append(s.aadsts.map { "AADSTS\($0)" }.joined(separator: ", ")) }
    if let status = s.httpStatus { facts.append("HTTP \(status)") }
    if let code = s.bcErrorCode { facts.append("code \(code)") }
    if let error = s.oauthError { facts.append("error \(error)") }
    if let endpoint = s.endpoint { facts.append("endpoint \(endpoint)") }
    if let id = s.correlationId { facts.append("correlation id \(id)") }
    if let id = s.traceId { facts.append("trace id \(id)") }
    if let time = s.timestamp { facts.append("time \(time)") }
    if !facts.isEmpty { out += "\nSignals: " + HumanText.neutralize(facts.joined(separator: " · ")) + "\n" }
    return out
  }

  // MARK: checks

  public static func checkList(_ catalogue: Catalogue) -> String {
    var out = ""
    for check in catalogue.checks {
      out += "\(check.id)  \(check.title)\n"
      if !check.requires.isEmpty { out += "    needs: \(check.requires.joined(separator: ", "))\n" }
      if check.scope != "always" { out += "    applies: \(check.scope)\n" }
      if !check.reasons.isEmpty { out += "    reasons: \(check.reasons.joined(separator: ", "))\n" }
    }
    out +=
      "\n\(catalogue.checks.count) checks, \(catalogue.reasons.count) reasons. Details: s2s-doctor explain <check or reason id>\n"
    return out
  }
}
