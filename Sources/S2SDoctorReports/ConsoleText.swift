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

  /// The width used when the caller knows none (not a terminal, no COLUMNS).
  public static let defaultWidth = TextLayout.defaultWidth

  /// Wraps `text` at `width` (see `TextLayout.wrap`).
  public static func wrap(_ text: String, indent: String, width: Int = defaultWidth) -> String {
    TextLayout.wrap(text, indent: indent, width: width)
  }

  /// `text` on one line of at most `width` characters, cut with `…` when longer.
  public static func cut(_ text: String, width: Int) -> String {
    text.count <= width ? text : String(text.prefix(max(1, width - 1))) + "…"
  }

  // MARK: check

  public static func report(_ report: RunReport, verbose: Bool, color: Bool, width: Int = defaultWidth) -> String {
    let paint = Paint(on: color)
    var out = ""
    let t = report.target
    let who = [
      t.tenant.map { "tenant \($0)" }, t.clientId.map { "client \($0)" },
      t.environment.map { "environment \($0)" }, t.bcUrl.map { "server \($0)" },
    ]
    .compactMap { $0 }.joined(separator: ", ")
    out += wrap("S2S Doctor \(report.tool.version) — \(t.deployment) registration: \(who)", indent: "", width: width)
    out += "\n\n"
    for result in report.results {
      let box = paint(result.status.box, colorCode(result.status))
      var line = result.title
      if let reason = result.reason, result.status != .passed { line += " — \(reason)" }
      // The box is painted after wrapping: escape sequences take no room on the screen.
      let wrapped = wrap(line, indent: result.status.box + " ", width: width)
      out += box + wrapped.dropFirst(result.status.box.count) + "\n"
      switch result.status {
      case .passed:
        if verbose, let detail = result.detail { out += wrap(detail, indent: "    ", width: width) + "\n" }
      case .skipped:
        if let detail = result.detail { out += wrap(detail, indent: "    ", width: width) + "\n" }
      case .failed, .warning, .couldNotTest:
        if let summary = result.summary { out += wrap(summary, indent: "    ✗ ", width: width) + "\n" }
        if let detail = result.detail { out += wrap(detail, indent: "      ", width: width) + "\n" }
        if let fix = result.fix { out += wrap("Fix: " + fix, indent: "    → ", width: width) + "\n" }
        if verbose {
          for (i, step) in result.steps.enumerated() {
            out += wrap(step, indent: "      \(i + 1). ", width: width) + "\n"
          }
        }
        if let who = result.whoFixes.flatMap(WhoFixes.init(rawValue:)) {
          out += "    → Who fixes it: \(who.label)\n"
        }
        if let doc = result.docs.first { out += wrap("Docs: \(doc)", indent: "    → ", width: width) + "\n" }
        if let page = result.entraApplicationsPage { out += entraApplicationsPage(page, width: width) }
      }
      if verbose && !result.evidence.isEmpty {
        for key in result.evidence.keys.sorted() {
          out += cut("      · \(key): \(result.evidence[key] ?? "")", width: width) + "\n"
        }
      }
    }
    out += "\n" + summaryLine(report, paint: paint, width: width) + "\n"
    return Redactor.shared.redact(out)
  }

  /// The link to *Microsoft Entra Applications* and the checklist for it, under a failure.
  public static func entraApplicationsPage(
    _ page: EntraApplicationsPage, indent: String = "    ", width: Int = defaultWidth
  ) -> String {
    var out = wrap("In Business Central: \(page.url)", indent: indent + "→ ", width: width) + "\n"
    for item in page.checklist { out += wrap(item, indent: indent + "  ☐ ", width: width) + "\n" }
    return out
  }

  /// The end of `setup` for an online registration: Task 2, the link to the environment's
  /// *Microsoft Entra Applications* page and the checklist; `nil` on-premises or without a tenant.
  public static func taskTwo(_ settings: ConnectionSettings, width: Int = defaultWidth) -> String? {
    guard settings.deployment == .online, let tenant = settings.tenant,
      let page = EntraApplicationsPage(tenant: tenant, environment: settings.environment, clientID: settings.clientID)
    else { return nil }
    return "Next, in Business Central (Task 2): register the app on Microsoft Entra Applications.\n"
      + entraApplicationsPage(page, indent: "  ", width: width)
  }

  static func summaryLine(_ report: RunReport, paint: Paint, width: Int = defaultWidth) -> String {
    let s = report.summary
    var parts = ["\(s.passed) passed"]
    if s.warning > 0 { parts.append("\(s.warning) warning\(s.warning == 1 ? "" : "s")") }
    if s.failed > 0 { parts.append("\(s.failed) failed") }
    if s.couldNotTest > 0 { parts.append("\(s.couldNotTest) could not be tested") }
    if s.skipped > 0 { parts.append("\(s.skipped) skipped") }
    let counts = parts.joined(separator: ", ")
    if let primary = report.primary, primary.status != .warning, let reason = primary.reason {
      let head = "✗ \(counts)."
      let text = wrap(head + " Start with \(reason): s2s-doctor explain \(reason)", indent: "", width: width)
      return paint(head, "1") + text.dropFirst(head.count)
    }
    if s.warning > 0 && report.notVerified.isEmpty { return paint("! \(counts).", "1") }
    return paint(wrap("\(s.warning > 0 ? "!" : "✓") \(counts). \(report.passVerdict)", indent: "", width: width), "1")
  }

  // MARK: explain

  public static func explain(_ result: ExplainResult, color: Bool, width: Int = defaultWidth) -> String {
    let paint = Paint(on: color)
    var out = ""
    if let check = result.check {
      out += "\(check.id) — \(check.title)\n"
      out += wrap(check.rationale, indent: "  ", width: width) + "\n"
      if !check.requires.isEmpty { out += "  Needs: \(check.requires.joined(separator: ", "))\n" }
      out += "  Can report:\n"
      for d in result.diagnoses { out += "    - \(d.reason): \(d.summary)\n" }
      return out
    }
    for (index, d) in result.diagnoses.enumerated() {
      if index == 0 {
        let heading = wrap(
          "\(d.reason) (\(d.confidence) confidence; matched \(HumanText.neutralize(d.matched)))", indent: "",
          width: width)
        out += paint(d.reason, "1;31") + heading.dropFirst(d.reason.count) + "\n"
        out += wrap(d.summary, indent: "  ", width: width) + "\n\n"
        out += wrap("Why: " + d.why, indent: "  ", width: width) + "\n\n"
        out += wrap("Fix: " + d.fix, indent: "  ", width: width) + "\n"
        for (i, step) in d.steps.enumerated() { out += wrap(step, indent: "    \(i + 1). ", width: width) + "\n" }
        if let who = WhoFixes(rawValue: d.whoFixes) { out += "\n  Who fixes it: \(who.label)\n" }
        for doc in d.docs { out += wrap("Docs: \(doc)", indent: "  ", width: width) + "\n" }
        if result.diagnoses.count > 1 && !d.distinguish.isEmpty {
          out += "\n" + wrap("To confirm: " + d.distinguish, indent: "  ", width: width) + "\n"
        }
      } else {
        if index == 1 { out += "\nOther possible causes:\n" }
        // A hanging indent: the bullet's text lines up under its first word.
        let bullet = wrap("\(d.reason) (\(d.confidence)): \(d.summary)", indent: "    ", width: width)
        out += "  - " + bullet.dropFirst(4) + "\n"
        if !d.distinguish.isEmpty {
          out += wrap("To confirm: " + d.distinguish, indent: "      ", width: width) + "\n"
        }
      }
    }
    if let claims = result.claims {
      var shown: [String] = []
      if !claims.aud.isEmpty { shown.append("aud \(claims.aud.joined(separator: ", "))") }
      shown.append("roles " + (claims.roles.map { $0.isEmpty ? "(empty)" : $0.joined(separator: ", ") } ?? "(none)"))
      if let scp = claims.scp { shown.append("scp \(scp)") }
      if let idtyp = claims.idtyp { shown.append("idtyp \(idtyp)") }
      if let tid = claims.tid { shown.append("tid \(tid)") }
      if let appid = claims.appid { shown.append("appid \(appid)") }
      if let iss = claims.iss { shown.append("iss \(iss)") }
      if let exp = claims.exp { shown.append("exp \(exp)") }
      out +=
        "\n"
        + wrap(
          "Token claims (the token itself is not shown): " + shown.joined(separator: " · "), indent: "  ", width: width)
        + "\n"
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

  public static func checkList(_ catalogue: Catalogue, width: Int = defaultWidth) -> String {
    var out = ""
    for check in catalogue.checks {
      out += wrap("\(check.id)  \(check.title)", indent: "", width: width) + "\n"
      if !check.requires.isEmpty {
        out += wrap("needs: \(check.requires.joined(separator: ", "))", indent: "    ", width: width) + "\n"
      }
      if check.scope != "always" { out += wrap("applies: \(check.scope)", indent: "    ", width: width) + "\n" }
      if !check.reasons.isEmpty {
        out += wrap("reasons: \(check.reasons.joined(separator: ", "))", indent: "    ", width: width) + "\n"
      }
      if let origin = check.origin { out += wrap("from: \(origin)", indent: "    ", width: width) + "\n" }
    }
    out +=
      "\n"
      + wrap(
        "\(catalogue.checks.count) checks, \(catalogue.reasons.count) reasons. Details: s2s-doctor explain <check or reason id>",
        indent: "", width: width)
    return out + "\n"
  }
}
