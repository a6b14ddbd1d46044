import Foundation

/// The single result of one `check` run: what the JSON report, the console and every template read.
public struct RunReport: Codable, Sendable, Equatable {
  public var schemaVersion: Int = 1
  public var tool: ToolInfo
  public var target: TargetInfo
  public var startedAt: String
  public var finishedAt: String
  public var results: [CheckResult]
  public var summary: Summary

  public init(
    tool: ToolInfo, target: TargetInfo, startedAt: Date, finishedAt: Date, results: [CheckResult]
  ) {
    self.tool = tool
    self.target = target
    let format = ISO8601DateFormatter()
    format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    self.startedAt = format.string(from: startedAt)
    self.finishedAt = format.string(from: finishedAt)
    self.results = Self.withEntraApplicationsPage(results, target: target)
    self.summary = Summary(results: results)
  }

  /// The exit code this run maps to: 1 when a check failed, 2 when something could not be tested.
  public var exitStatus: ExitStatus {
    if summary.failed > 0 { return .checkFailed }
    if summary.couldNotTest > 0 { return .couldNotTest }
    return .ok
  }

  /// The first failing (or could-not-test) result: the primary diagnosis of the run.
  public var primary: CheckResult? {
    results.first { $0.status == .failed } ?? results.first { $0.status == .couldNotTest }
      ?? results.first { $0.status == .warning }
  }
}

public struct ToolInfo: Codable, Sendable, Equatable {
  public var name: String
  public var version: String
  public var platform: String

  public init(name: String = "s2s-doctor", version: String, platform: String) {
    self.name = name
    self.version = version
    self.platform = platform
  }
}

/// What was checked: identifiers only, never a credential.
public struct TargetInfo: Codable, Sendable, Equatable {
  public var tenant: String?
  public var clientId: String?
  public var environment: String?
  public var company: String?
  public var deployment: String
  public var authorityHost: String
  public var bcApiHost: String?
  public var bcUrl: String?
  /// `secret`, `certificate` or `none`, and where it came from; never the value.
  public var credential: String

  public init(
    tenant: String?, clientId: String?, environment: String?, company: String?, deployment: String,
    authorityHost: String, bcApiHost: String?, bcUrl: String?, credential: String
  ) {
    self.tenant = tenant
    self.clientId = clientId
    self.environment = environment
    self.company = company
    self.deployment = deployment
    self.authorityHost = authorityHost
    self.bcApiHost = bcApiHost
    self.bcUrl = bcUrl
    self.credential = credential
  }
}

/// One check's line in the report, with the catalogue's words for its reason filled in.
public struct CheckResult: Codable, Sendable, Equatable {
  public var check: String
  public var title: String
  public var status: Status
  public var reason: String?
  public var summary: String?
  public var detail: String?
  public var why: String?
  public var fix: String?
  public var steps: [String]
  public var whoFixes: String?
  public var docs: [String]
  public var evidence: [String: String]
  public var durationMs: Int
  /// For a failure mended in Business Central: the environment's *Microsoft Entra
  /// Applications* page and the checklist for it (absent otherwise).
  public var entraApplicationsPage: EntraApplicationsPage?

  public init(
    declaration: CheckDeclaration, outcome: Outcome, durationMs: Int, catalogue: Catalogue
  ) {
    let reason = outcome.reason.flatMap { catalogue.reason($0) }
    self.check = declaration.id
    self.title = declaration.title
    self.status = outcome.status
    self.reason = outcome.reason
    self.summary = reason?.summary
    self.detail = outcome.detail
    self.why = reason?.why
    self.fix = reason?.fix
    self.steps = reason?.steps ?? []
    self.whoFixes = reason?.whoFixes.rawValue
    self.docs = reason?.docs ?? []
    var evidence: [String: String] = [:]
    for item in outcome.evidence { evidence[item.key] = item.value }
    self.evidence = evidence
    self.durationMs = durationMs
  }

  /// Returns a copy in which every free text has passed through `redactor`.
  public func redacted(_ redactor: Redactor) -> CheckResult {
    var copy = self
    copy.detail = detail.map(redactor.redact)
    copy.evidence = evidence.mapValues(redactor.redact)
    return copy
  }
}

public struct Summary: Codable, Sendable, Equatable {
  public var passed = 0
  public var warning = 0
  public var failed = 0
  public var skipped = 0
  public var couldNotTest = 0

  public init(results: [CheckResult]) {
    for result in results {
      switch result.status {
      case .passed: passed += 1
      case .warning: warning += 1
      case .failed: failed += 1
      case .skipped: skipped += 1
      case .couldNotTest: couldNotTest += 1
      }
    }
  }
}

extension RunReport {
  /// What was not verified, in run order: the parts whose checks could not test, or that the
  /// runner skipped (on request, or because a prerequisite did not pass: its detail starts with
  /// "skipped"). A check skipped as not applicable (an optional input not given) claims nothing.
  public var notVerified: [String] {
    var parts: [String] = []
    for result in results
    where result.status == .couldNotTest
      || (result.status == .skipped && (result.detail ?? "").lowercased().hasPrefix("skipped"))
    {
      let part = Self.part(of: result.check)
      if !parts.contains(part) { parts.append(part) }
    }
    return parts
  }

  /// The closing verdict of a run in which nothing failed. "The registration works" only when
  /// every selected check ran and passed; otherwise it says what was not verified.
  public var passVerdict: String {
    let missing = notVerified
    if !missing.isEmpty {
      return "Nothing failed, but not everything was verified: \(missing.joined(separator: ", ")) not checked."
    }
    return summary.warning > 0 ? "The registration works, with warnings to review." : "The registration works."
  }

  /// The part of the registration a check verifies, in words.
  static func part(of check: String) -> String {
    switch check {
    case CheckID.bcAutomation: return "the automation API"
    case CheckID.bcAdmin: return "the admin center API"
    case CheckID.bcCustomApi: return "the custom API"
    case CheckID.bcCompany: return "the company"
    default: break
    }
    switch check.prefix(while: { $0 != "." }) {
    case "input": return "the inputs"
    case "entra": return "Entra ID sign-in"
    case "token": return "the token"
    case "bc": return "BC access"
    case "onprem": return "the on-premises server"
    default: return check
    }
  }
}
