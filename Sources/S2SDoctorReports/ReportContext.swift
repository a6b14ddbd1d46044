import Foundation
import S2SDoctorCore

/// The flat, documented values every report template reads (see `Templates/README.md`).
///
/// Built from a `RunReport` by `ReportContext(report:redactIDs:)`; every string has already been
/// through `ReportSanitizer` (secrets, tokens and credential patterns masked, ids shortened on
/// request). Empty texts are `nil`, so `{{#detail}}…{{/detail}}` only renders when there is one.
/// Templates never see internal types: this struct is the contract, and its field names are stable.
public struct ReportContext: Codable, Sendable, Equatable {
  // Tool and run
  public var toolName: String
  public var toolVersion: String
  public var platform: String
  /// When the run finished (ISO 8601, UTC). A re-rendered saved run keeps its own time.
  public var generatedAt: String
  public var startedAt: String
  public var finishedAt: String
  /// Wall time of the run in milliseconds, from `startedAt` to `finishedAt`.
  public var durationMs: Int
  public var durationSeconds: String
  public var schemaVersion: Int

  // Target
  public var deployment: String
  public var tenant: String?
  public var clientId: String?
  public var environment: String?
  public var company: String?
  public var authorityHost: String
  public var bcApiHost: String?
  public var bcUrl: String?
  public var credential: String
  /// "tenant …, client …, environment production": one line naming the registration.
  public var targetLine: String
  /// The target as label/value rows, only the fields that are set, in a fixed order.
  public var targetRows: [Row]
  /// True when `--redact-ids` shortened the tenant and client ids.
  public var redactedIDs: Bool

  // Overall outcome
  /// The run's outcome word: failed, could-not-test, warning or passed (skipped never decides it).
  public var status: String
  public var statusLabel: String
  public var glyph: String
  public var isPassed: Bool
  public var isWarning: Bool
  public var isFailed: Bool
  public var isCouldNotTest: Bool
  /// "3 passed, 1 failed, 2 skipped": the counts that are not zero, passed always first.
  public var headline: String
  /// One sentence saying what to do next.
  public var verdict: String
  public var counts: Counts

  // Results
  public var results: [Result]
  /// Results that need attention: failed, then could-not-test, then warning; run order within each.
  public var failures: [Result]
  public var hasFailures: Bool
  /// The first failed result, else the first could-not-test, else the first warning.
  public var primary: Result?
  /// `failures` without `primary`.
  public var otherFailures: [Result]
  public var hasOtherFailures: Bool
  public var skippedResults: [Result]
  public var hasSkipped: Bool

  public struct Counts: Codable, Sendable, Equatable {
    public var total: Int
    public var passed: Int
    public var warning: Int
    public var failed: Int
    public var skipped: Int
    public var couldNotTest: Int
  }

  public struct Row: Codable, Sendable, Equatable {
    public var key: String
    public var label: String
    public var value: String
  }

  public struct Item: Codable, Sendable, Equatable {
    public var number: Int
    public var text: String
  }

  public struct Link: Codable, Sendable, Equatable {
    /// Safe to print unescaped in every format: characters outside URL syntax are percent-encoded.
    public var url: String
    /// The same URL when it is `https:` (the only links a page makes clickable), else nil.
    public var href: String?

    public init(url: String) {
      self.url = url
      href = url.lowercased().hasPrefix("https://") ? url : nil
    }
  }

  public struct Evidence: Codable, Sendable, Equatable {
    public var key: String
    public var value: String
  }

  public struct Result: Codable, Sendable, Equatable {
    /// 1-based position in the run.
    public var index: Int
    public var id: String
    /// The part of the id before the first dot: input, entra, token, bc, onprem, …
    public var area: String
    public var title: String
    public var status: String
    public var statusLabel: String
    public var glyph: String
    /// The console box, e.g. `[✗]`.
    public var box: String
    public var isPassed: Bool
    public var isWarning: Bool
    public var isFailed: Bool
    public var isSkipped: Bool
    public var isCouldNotTest: Bool
    /// Failed, warning or could-not-test.
    public var isProblem: Bool
    public var reason: String?
    public var summary: String?
    public var detail: String?
    public var why: String?
    public var fix: String?
    public var steps: [Item]
    public var hasSteps: Bool
    /// Who acts on the fix, in words ("Entra ID administrator").
    public var whoFixes: String?
    /// The raw role id (`entra-admin`, …).
    public var whoFixesId: String?
    public var docs: [Link]
    public var hasDocs: Bool
    /// Evidence, sorted by key.
    public var evidence: [Evidence]
    public var hasEvidence: Bool
    public var evidenceCount: Int
    public var durationMs: Int
    /// `durationMs` in seconds with three decimals, as JUnit's `time` wants.
    public var durationSeconds: String
    /// The command that explains this result's reason, when it has one.
    public var explainCommand: String?
    /// For a failure mended in Business Central: its *Microsoft Entra Applications* page.
    public var bcPage: Link?
    /// The checklist for that page, numbered.
    public var bcChecklist: [Item]
  }
}

extension ReportContext {
  public init(report: RunReport, redactIDs: Bool = false) {
    let sanitizer = ReportSanitizer(redactIDs: redactIDs, target: report.target)
    let report = report.sanitized(sanitizer)
    let t = report.target

    toolName = report.tool.name
    toolVersion = report.tool.version
    platform = report.tool.platform
    generatedAt = report.finishedAt
    startedAt = report.startedAt
    finishedAt = report.finishedAt
    durationMs = Self.millisecondsBetween(report.startedAt, report.finishedAt)
    durationSeconds = Self.seconds(durationMs)
    schemaVersion = report.schemaVersion

    deployment = t.deployment
    tenant = Self.nonEmpty(t.tenant)
    clientId = Self.nonEmpty(t.clientId)
    environment = Self.nonEmpty(t.environment)
    company = Self.nonEmpty(t.company)
    authorityHost = t.authorityHost
    bcApiHost = Self.nonEmpty(t.bcApiHost)
    bcUrl = Self.nonEmpty(t.bcUrl)
    credential = t.credential
    redactedIDs = redactIDs
    targetLine = [
      tenant.map { "tenant \($0)" }, clientId.map { "client \($0)" },
      environment.map { "environment \($0)" }, company.map { "company \($0)" },
      bcUrl.map { "server \($0)" },
    ].compactMap { $0 }.joined(separator: ", ")
    let rows: [(String, String, String?)] = [
      ("deployment", "Deployment", deployment),
      ("tenant", "Tenant", tenant),
      ("clientId", "Client ID", clientId),
      ("environment", "Environment", environment),
      ("company", "Company", company),
      ("bcUrl", "Server instance", bcUrl),
      ("authorityHost", "Authority host", authorityHost),
      ("bcApiHost", "BC API host", bcApiHost),
      ("credential", "Credential", credential),
    ]
    targetRows = rows.compactMap { key, label, value in
      Self.nonEmpty(value).map { Row(key: key, label: label, value: $0) }
    }

    let s = report.summary
    counts = Counts(
      total: report.results.count, passed: s.passed, warning: s.warning, failed: s.failed,
      skipped: s.skipped, couldNotTest: s.couldNotTest)
    let overall: Status =
      s.failed > 0
      ? .failed : s.couldNotTest > 0 ? .couldNotTest : s.warning > 0 ? .warning : .passed
    status = overall.rawValue
    statusLabel = Self.label(overall)
    glyph = Self.glyph(overall)
    isPassed = overall == .passed
    isWarning = overall == .warning
    isFailed = overall == .failed
    isCouldNotTest = overall == .couldNotTest
    headline = Self.headline(s)

    let built = report.results.enumerated().map { Self.result($1, index: $0 + 1) }
    results = built
    // Worst first (failed, could-not-test, warning), then in run order: the primary comes first.
    let problems = zip(report.results, built).filter { $1.isProblem }
      .sorted { a, b in
        a.0.status.severity != b.0.status.severity
          ? a.0.status.severity > b.0.status.severity : a.1.index < b.1.index
      }
      .map(\.1)
    failures = problems
    hasFailures = !problems.isEmpty
    let primaryIndex = report.primary.flatMap { p in report.results.firstIndex { $0 == p } }
    let first = primaryIndex.map { built[$0] }
    primary = first
    otherFailures = problems.filter { $0.index != first?.index }
    hasOtherFailures = !otherFailures.isEmpty
    skippedResults = built.filter(\.isSkipped)
    hasSkipped = !skippedResults.isEmpty

    if let primary = first, primary.isFailed || primary.isCouldNotTest {
      if let command = primary.explainCommand {
        verdict = "Start with \(primary.title) (\(primary.reason ?? primary.id)): \(command)"
      } else {
        verdict = "Start with \(primary.title)."
      }
    } else if built.isEmpty {
      verdict = "No check ran."
    } else {
      verdict = report.passVerdict
    }
  }

  static func result(_ r: CheckResult, index: Int) -> Result {
    let steps = r.steps.filter { !$0.isEmpty }.enumerated().map { Item(number: $0 + 1, text: $1) }
    let docs = r.docs.filter { !$0.isEmpty }.map { Link(url: safeURL($0)) }
    let evidence = r.evidence.keys.sorted().map { Evidence(key: $0, value: r.evidence[$0] ?? "") }
    let reason = nonEmpty(r.reason)
    return Result(
      index: index, id: r.check, area: String(r.check.prefix { $0 != "." }), title: r.title,
      status: r.status.rawValue, statusLabel: label(r.status), glyph: glyph(r.status),
      box: r.status.box, isPassed: r.status == .passed, isWarning: r.status == .warning,
      isFailed: r.status == .failed, isSkipped: r.status == .skipped,
      isCouldNotTest: r.status == .couldNotTest,
      isProblem: [.failed, .warning, .couldNotTest].contains(r.status),
      reason: r.status == .passed ? nil : reason, summary: nonEmpty(r.summary),
      detail: nonEmpty(r.detail), why: nonEmpty(r.why), fix: nonEmpty(r.fix), steps: steps,
      hasSteps: !steps.isEmpty,
      whoFixes: nonEmpty(r.whoFixes).map { WhoFixes(rawValue: $0)?.label ?? $0 },
      whoFixesId: nonEmpty(r.whoFixes), docs: docs, hasDocs: !docs.isEmpty, evidence: evidence,
      hasEvidence: !evidence.isEmpty, evidenceCount: evidence.count, durationMs: r.durationMs,
      durationSeconds: seconds(r.durationMs),
      explainCommand: r.status == .passed ? nil : reason.map { "s2s-doctor explain \($0)" },
      bcPage: r.entraApplicationsPage.map { Link(url: safeURL($0.url)) },
      bcChecklist: (r.entraApplicationsPage?.checklist ?? []).enumerated().map { Item(number: $0 + 1, text: $1) })
  }

  // MARK: words

  public static func label(_ status: Status) -> String {
    switch status {
    case .passed: "PASSED"
    case .warning: "WARNING"
    case .failed: "FAILED"
    case .skipped: "SKIPPED"
    case .couldNotTest: "COULD NOT TEST"
    }
  }

  public static func glyph(_ status: Status) -> String {
    switch status {
    case .passed: "✓"
    case .warning: "!"
    case .failed: "✗"
    case .skipped: "-"
    case .couldNotTest: "?"
    }
  }

  /// The same counts, in the same order, as the console's closing line.
  public static func headline(_ s: Summary) -> String {
    var parts = ["\(s.passed) passed"]
    if s.warning > 0 { parts.append("\(s.warning) warning\(s.warning == 1 ? "" : "s")") }
    if s.failed > 0 { parts.append("\(s.failed) failed") }
    if s.couldNotTest > 0 { parts.append("\(s.couldNotTest) could not be tested") }
    if s.skipped > 0 { parts.append("\(s.skipped) skipped") }
    return parts.joined(separator: ", ")
  }

  static func nonEmpty(_ text: String?) -> String? {
    guard let text, !text.trimmedWhitespace.isEmpty else {
      return nil
    }
    return text
  }

  static func seconds(_ ms: Int) -> String {
    let ms = max(ms, 0)
    let fraction = String(ms % 1000)
    return "\(ms / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
  }

  static func millisecondsBetween(_ start: String, _ end: String) -> Int {
    func parse(_ text: String) -> Date? {
      let format = ISO8601DateFormatter()
      format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
      if let date = format.date(from: text) { return date }
      format.formatOptions = [.withInternetDateTime]
      return format.date(from: text)
    }
    guard let a = parse(start), let b = parse(end) else { return 0 }
    return max(0, Int((b.timeIntervalSince(a) * 1000).rounded()))
  }

  /// Percent-encodes every character that is not part of URL syntax, and the few that are but
  /// would end a Markdown link or an HTML attribute (`<>"'` ` ``|\()[]{}` and spaces).
  static func safeURL(_ text: String) -> String {
    var allowed = CharacterSet()
    allowed.insert(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    allowed.insert(charactersIn: "-._~:/?#@!$&*+,;=%")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
  }
}
