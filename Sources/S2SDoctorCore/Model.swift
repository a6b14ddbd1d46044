import Foundation

/// The result class of one check in one run. The raw values are the stable JSON vocabulary.
public enum Status: String, Codable, Sendable, CaseIterable {
  case passed
  case warning
  case failed
  case skipped
  case couldNotTest = "could-not-test"

  /// The doctor-style box shown in front of a check on the console.
  public var box: String {
    switch self {
    case .passed: "[✓]"
    case .warning: "[!]"
    case .failed: "[✗]"
    case .skipped: "[-]"
    case .couldNotTest: "[?]"
    }
  }

  /// Severity order used to pick the worst status of a run (higher is worse).
  public var severity: Int {
    switch self {
    case .passed: 0
    case .skipped: 1
    case .warning: 2
    case .couldNotTest: 3
    case .failed: 4
    }
  }
}

/// Who has to act on a fix.
public enum WhoFixes: String, Codable, Sendable, CaseIterable {
  case entraAdmin = "entra-admin"
  case bcAdmin = "bc-admin"
  case serverAdmin = "server-admin"
  case developer = "integration-developer"
  case networkAdmin = "network-admin"
  case microsoft = "microsoft"

  public var label: String {
    switch self {
    case .entraAdmin: "Entra ID administrator"
    case .bcAdmin: "Business Central administrator"
    case .serverAdmin: "Business Central server administrator"
    case .developer: "integration developer"
    case .networkAdmin: "network administrator"
    case .microsoft: "nobody on your side (wait, then retry)"
    }
  }
}

/// One redacted fact observed by a check: an HTTP status, an AADSTS code, a correlation id.
public struct EvidenceItem: Codable, Sendable, Equatable, Hashable {
  public var key: String
  public var value: String

  public init(_ key: String, _ value: String) {
    self.key = key
    self.value = value
  }
}

/// The words of one failure reason, loaded from `Checks/reasons/*.yaml`.
public struct ReasonDefinition: Codable, Sendable, Equatable {
  public var id: String
  public var summary: String
  public var why: String
  public var fix: String
  public var steps: [String]
  public var whoFixes: WhoFixes
  /// Documentation URLs, already resolved from the link aliases.
  public var docs: [String]
  /// Rules used by `explain` to recognise this reason in pasted text.
  public var match: [MatchRule]
  /// The one step that tells this reason apart from the others a symptom could mean.
  public var distinguish: String = ""

  public var area: String { String(id.prefix(while: { $0 != "." })) }
}

/// One recognition rule: every condition given must hold. The strongest condition sets the score.
public struct MatchRule: Codable, Sendable, Equatable {
  public var aadsts: [Int] = []
  public var bc: [String] = []
  public var oauthError: [String] = []
  public var http: [Int] = []
  /// Case-insensitive phrases; any one of them satisfies the condition.
  public var text: [String] = []
  /// The rule only applies to these endpoints (token, bc-api, automation, admin, onprem, consent).
  public var endpoint: [String] = []
  /// Shapes of a URL in the text (`custom-route`, `company-segment`, `tenant-common`, …); any one.
  public var url: [String] = []
  /// Phrases that rule this rule out: when one is in the text the rule does not apply (e.g. a
  /// tool that always requests the Business Central scope rules out a wrong audience).
  public var unless: [String] = []
  /// Extra points, to order reasons that share a signal.
  public var boost: Int = 0

  public init() {}
}

/// A check's declaration, loaded from `Checks/<id>/check.yaml`.
public struct CheckDeclaration: Codable, Sendable, Equatable {
  public var id: String
  public var title: String
  public var rationale: String
  public var requires: [String]
  public var reasons: [String]
  /// When the check applies: one of `CheckDeclaration.scopes`.
  public var scope: String
  /// Names of fixture files under the check's `fixtures/` folder, with their contents.
  public var fixtures: [Fixture]
  /// The probe that observes: one of `Catalogue.probeNames` (registered in `S2SDoctorLive`).
  public var probe: String = ""
  /// The request of an `http` probe.
  public var http: HTTPProbeSpec?
  /// The claim rules of a `claims` probe.
  public var claims: ClaimsProbeSpec?
  /// The folder a check was added from at run time (`--checks`); nil for the built-in checks.
  public var origin: String?

  public var area: String { String(id.prefix(while: { $0 != "." })) }

  /// The scopes a check may declare; the loader rejects any other.
  public static let scopes: [String] = [
    "always", "online", "onprem", "redirect-uri", "company", "automation", "api-path", "admin", "server-config",
    "server-log",
  ]
}

/// A declarative HTTP probe: one request built from the run's settings and earlier checks' facts,
/// what its answer must show, the facts it keeps and the words of its outcome.
public struct HTTPProbeSpec: Codable, Sendable, Equatable {
  public var method: String = "GET"
  /// A template over `{bcBase}` (the environment's API root), `{bcHost}` (the API host, for the
  /// admin center), `{apiPath}`, `{tenant}`, `{environment}`, `{companyId}`, `{companyName}` and facts.
  public var url: String = ""
  /// `bc` (the Business Central token from `entra.token`) or `none`.
  public var token: String = "bc"
  /// Where the request goes, for classifying a failure (`bc-api`, `automation`, `admin`, `onprem`).
  public var endpoint: String = "bc-api"
  /// The statuses that pass (`2xx` in YAML stands for 200 to 299).
  public var status: [Int] = [200]
  /// A JSON path (`value`, `value.0.id`) that must exist and not be empty.
  public var nonEmpty: String?
  /// Facts kept for later checks and the outcome's words: name -> JSON path. A list's fact is
  /// its length; a path through `*` (`value.*.name`) gives the items joined by commas.
  public var facts: [String: String] = [:]
  /// The words of a pass, a template with `{fact}` placeholders.
  public var passed: String = ""
  /// The words of an answer that passed the status but not `nonEmpty`, and the reason it gives.
  public var empty: String = ""
  public var emptyReason: String?
  /// A JSON path that must exist in a passing answer (it may be empty: `value: []` passes).
  public var exists: String?
  /// The prefix of the evidence keys (`automation.status`); the check id when not given.
  public var evidence: String?
  /// An application role the request needs; a token without it skips the check with `withoutRole`.
  public var role: String?
  public var withoutRole: String = ""
  /// Answers that mean one of the check's own reasons, tried before the catalogue's rules.
  public var failures: [HTTPFailureRule] = []
  /// A passing answer must also list a value (`{environment}`) in a fact, compared ignoring case.
  public var includes: HTTPIncludesRule?
  /// A JSON path to the list of companies in a passing answer: later checks' `{companyId}` and
  /// `{companyName}` come from it (the company `--company` names, else the first).
  public var companies: String?
  /// Instead of a request of its own, judge the answer this earlier check (one of `requires`) got.
  public var answerOf: String?

  public init() {}

  public static let methods: Set<String> = ["GET", "HEAD"]
  public static let tokens: Set<String> = ["bc", "none"]
}

/// An answer that means a reason of the check's own: one of `status`, and when `phrases` are
/// given, a body that contains one of them (read tolerantly, as `explain` reads text). `endpoint`,
/// `codes` and `notCodes` narrow it further; `diagnosis` hands the answer to a registered diagnosis
/// instead of naming a reason.
public struct HTTPFailureRule: Codable, Sendable, Equatable {
  public var status: [Int] = []
  public var phrases: [String] = []
  /// Where the request went (`onprem` when the run is on-premises, else the probe's endpoint).
  public var endpoints: [String] = []
  /// Business Central error codes (`Authentication_InvalidCredentials`; `none` for an answer without one).
  public var codes: [String] = []
  public var notCodes: [String] = []
  /// One of `HTTPFailureRule.diagnoses`: Swift that reads the run's files and token to choose the reason.
  public var diagnosis: String?
  public var reason: String = ""
  /// A template: `{status}` and the probe's placeholders.
  public var words: String = ""

  public init() {}

  /// The diagnoses this build registers (`S2SDoctorLive.ProbeRegistry.diagnoses`, kept equal by a test).
  public static let diagnoses: [String] = ["onprem-unauthorized"]
}

/// A fact of a passing answer (a list, `value.*.name`) that must hold a value, else `reason`.
public struct HTTPIncludesRule: Codable, Sendable, Equatable {
  /// One fact or several: the value may be in any of them.
  public var facts: [String] = []
  public var value: String = ""
  /// Compare exactly (Business Central company names are case-sensitive); ignoring case otherwise.
  public var caseSensitive = false
  public var reason: String = ""
  public var words: String = ""

  public init() {}
}

/// A declarative `claims` probe: rules over the claims of the Business Central token
/// `entra.token` got, tried in order; the first that holds is the outcome, else `passed`.
public struct ClaimsProbeSpec: Codable, Sendable, Equatable {
  public var failures: [ClaimRule] = []
  /// The words of a pass; `{aud}`, `{roles}`, `{idtyp}`, … are the token's claims.
  public var passed: String = ""

  public init() {}
}

/// One claim rule: `test` is `missing` (absent or empty), `present`, `without` (none of
/// `values`; absent counts), `other` (present and not one of `values`) or `differs` (present and
/// not the filled template `values[0]`, ignoring case).
public struct ClaimRule: Codable, Sendable, Equatable {
  public var test: String = ""
  public var claim: String = ""
  public var values: [String] = []
  /// A check scope (`automation`) the rule needs; the rule is passed over when it does not apply.
  public var scope: String?
  public var reason: String = ""
  public var words: String = ""

  public init() {}

  public static let tests: [String] = ["missing", "present", "without", "other", "differs"]
}

/// A recorded observation for a check, named after the outcome it must produce.
public struct Fixture: Codable, Sendable, Equatable {
  /// `passed` or a reason id.
  public var expect: String
  public var file: String
  public var contents: String
}

/// What one check concluded in one run.
public struct Outcome: Codable, Sendable, Equatable {
  public var status: Status
  /// A reason id for failed, warning and could-not-test outcomes.
  public var reason: String?
  /// One line in plain words, specific to this run (values filled in).
  public var detail: String?
  public var evidence: [EvidenceItem]

  public init(
    _ status: Status, reason: String? = nil, detail: String? = nil, evidence: [EvidenceItem] = []
  ) {
    self.status = status
    self.reason = reason
    self.detail = detail
    self.evidence = evidence
  }

  public static func passed(_ detail: String? = nil, evidence: [EvidenceItem] = []) -> Outcome {
    Outcome(.passed, detail: detail, evidence: evidence)
  }

  public static func failed(
    _ reason: String, _ detail: String? = nil, evidence: [EvidenceItem] = []
  ) -> Outcome {
    Outcome(.failed, reason: reason, detail: detail, evidence: evidence)
  }

  public static func warning(
    _ reason: String, _ detail: String? = nil, evidence: [EvidenceItem] = []
  ) -> Outcome {
    Outcome(.warning, reason: reason, detail: detail, evidence: evidence)
  }

  public static func couldNotTest(
    _ reason: String?, _ detail: String? = nil, evidence: [EvidenceItem] = []
  ) -> Outcome {
    Outcome(.couldNotTest, reason: reason, detail: detail, evidence: evidence)
  }
}

/// Process exit codes shared by every command.
public enum ExitStatus: Int32, Sendable {
  case ok = 0
  case checkFailed = 1
  case couldNotTest = 2
  case nothingToDiagnose = 3
  case usage = 64
  case interrupted = 130
}
