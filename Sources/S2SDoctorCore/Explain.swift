import Foundation

/// One ranked diagnosis of a pasted error.
public struct Diagnosis: Sendable, Equatable, Encodable {
  public var reason: String
  public var summary: String
  public var why: String
  public var fix: String
  public var steps: [String]
  public var whoFixes: String
  public var docs: [String]
  public var confidence: String
  /// The one step that tells this candidate apart from the others.
  public var distinguish: String
  /// Why this diagnosis was chosen (which signal matched).
  public var matched: String
  var score: Int

  enum CodingKeys: String, CodingKey {
    case reason, summary, why, fix, steps, whoFixes, docs, confidence, distinguish, matched
  }
}

/// The answer of `explain`.
public struct ExplainResult: Sendable, Encodable {
  public var schemaVersion = 1
  public var input: String
  public var signals: Signals
  public var diagnoses: [Diagnosis]
  /// Set when the input named a check: its declaration, for `explain <check-id>`.
  public var check: CheckSummary?
  /// The claims of a token found in the input (never the token itself).
  public var claims: PastedToken.Shown?

  public struct CheckSummary: Sendable, Encodable {
    public var id: String
    public var title: String
    public var rationale: String
    public var requires: [String]
    public var reasons: [String]
  }

  /// Exit 0 when something was diagnosed (or a check was described), 3 otherwise.
  public var exitStatus: ExitStatus {
    diagnoses.isEmpty && check == nil ? .nothingToDiagnose : .ok
  }
}

/// Turns pasted text into ranked diagnoses using the catalogue's recognition rules.
public struct Explainer: Sendable {
  public let catalogue: Catalogue
  let knownBCCodes: Set<String>
  let knownAADSTS: Set<Int>

  public static let endpoints = ["token", "bc-api", "automation", "admin", "onprem", "consent"]

  public init(catalogue: Catalogue = .builtIn) {
    self.catalogue = catalogue
    var bc = Set<String>()
    var aadsts = Set<Int>()
    for reason in catalogue.reasons.values {
      for rule in reason.match {
        bc.formUnion(rule.bc)
        aadsts.formUnion(rule.aadsts)
      }
    }
    knownBCCodes = bc
    knownAADSTS = aadsts
  }

  public func explain(
    _ input: String, status: Int? = nil, endpoint: String? = nil, now: Date = Date()
  ) -> ExplainResult {
    // Secrets and tokens a person pasted along with the error never come back out.
    let token = PastedToken.find(in: input)
    let masked = PastedSecrets.masked(input)
    let trimmed = masked.trimmedWhitespace
    let inputLabel = trimmed.count > 200 ? String(trimmed.prefix(200)) + "…" : trimmed

    // A reason id or a check id is answered from the catalogue directly.
    if trimmed.count < 100 {
      if let reason = catalogue.reason(trimmed) {
        return ExplainResult(
          input: inputLabel, signals: Signals(),
          diagnoses: [diagnosis(reason, score: 200, matched: "reason id")], check: nil)
      }
      if let check = catalogue.check(trimmed) {
        return ExplainResult(
          input: inputLabel, signals: Signals(),
          diagnoses: check.reasons.compactMap { catalogue.reason($0) }.map {
            diagnosis($0, score: 0, matched: "a reason this check can report", confidence: "low")
          },
          check: .init(
            id: check.id, title: check.title, rationale: check.rationale, requires: check.requires,
            reasons: check.reasons))
      }
    }

    let text = SearchableText(masked)
    let urls = URLFacts.read(text)
    var signals = SignalExtractor.extract(
      text, status: status, endpoint: endpoint, knownBCCodes: knownBCCodes, knownAADSTS: knownAADSTS,
      urlEndpoint: urls.endpoint)
    signals.bcMessage = signals.bcMessage.map(PastedSecrets.masked)
    let context = Context(text: text, signals: signals, urls: urls)

    var scored: [(diagnosis: Diagnosis, position: Int, order: Int)] = []
    for (order, id) in catalogue.reasonOrder.enumerated() {
      guard let reason = catalogue.reason(id) else { continue }
      var best = 0
      var why = ""
      var position = Int.max
      for rule in reason.match {
        guard let (score, matched, at) = evaluate(rule, context) else { continue }
        if score > best || (score == best && at < position) {
          best = score
          why = matched
          position = at
        }
      }
      if best > 0 {
        scored.append((diagnosis(reason, score: best, matched: why), position, order))
      }
    }

    // Codes that no rule knows still get a diagnosis, never a silent nothing.
    let unknownCodes = signals.aadsts.filter { !knownAADSTS.contains($0) }
    if !unknownCodes.isEmpty, let reason = catalogue.reason(Reason.entraUnknownError) {
      var d = diagnosis(
        reason, score: 95,
        matched: "AADSTS\(unknownCodes.map(String.init).joined(separator: ", AADSTS")) is not in the catalogue")
      d.docs =
        unknownCodes.map { "https://login.microsoftonline.com/error?code=\($0)" } + reason.docs
      d.summary = "Entra ID answered AADSTS\(unknownCodes[0]), a code this tool has no specific fix for."
      let position = signals.aadsts.firstIndex(of: unknownCodes[0]) ?? 0
      scored.append((d, position, Int.max - 1))
    }
    let matchedBC = Set(
      scored.flatMap { s in
        catalogue.reason(s.diagnosis.reason)?.match.flatMap(\.bc) ?? []
      })
    let unknownBC = signals.bcErrorCodes.filter { code in
      !knownBCCodes.contains(code) || !matchedBC.contains(code)
    }
    if scored.allSatisfy({ $0.diagnosis.score < 60 }), let code = unknownBC.first,
      let reason = catalogue.reason(Reason.bcUnknownError)
    {
      var d = diagnosis(reason, score: 50, matched: "Business Central error code \(code)")
      d.summary = "Business Central answered \(code), a code this tool has no specific fix for."
      scored.append((d, Int.max - 1, Int.max))
    }

    // A token in the text is evidence of its own: its claims decide token-level causes.
    var shownClaims: PastedToken.Shown?
    if let token {
      let named =
        urls.tokenTenant.flatMap { UUID(uuidString: $0) != nil ? $0 : nil }
        ?? urls.bcTenant.flatMap { UUID(uuidString: $0) != nil ? $0 : nil }
      let reference = signals.timestamp.flatMap(Self.parseTimestamp)
      let findings = token.findings(
        endpoint: signals.endpoint, tenantNamed: named, reference: reference, now: now)
      for finding in findings {
        guard let reason = catalogue.reason(finding.reason) else { continue }
        scored.removeAll { $0.diagnosis.reason == finding.reason && $0.diagnosis.score <= finding.score }
        scored.append((diagnosis(reason, score: finding.score, matched: "token: " + finding.because), -1, 0))
      }
      // What the claims show to be right is not a cause, whatever else the text suggests.
      let ruledOut = token.ruledOut(endpoint: signals.endpoint)
      scored.removeAll { ruledOut.contains($0.diagnosis.reason) && $0.position != -1 }
      if findings.allSatisfy({ $0.score < 100 }) && token.isGoodForBC(endpoint: signals.endpoint) {
        // A good token rules out the token-level causes; what is left is the service's side.
        let tokenLevel: Set<String> = [
          Reason.tokenAudienceNotBc, Reason.tokenRolesMissing, Reason.tokenApiRoleMissing, Reason.tokenNotAppOnly,
          Reason.tokenAutomationRoleMissing, Reason.tokenTenantMismatch,
        ]
        for index in scored.indices {
          let reason = scored[index].diagnosis.reason
          if tokenLevel.contains(reason) {
            scored[index].diagnosis.score -= 80
          } else if [Reason.bcAppNotAccepted, Reason.onpremAudienceNotValid, Reason.adminAppNotAuthorized].contains(
            reason)
          {
            scored[index].diagnosis.score += 30
            scored[index].diagnosis.matched += " + the token's aud, roles and type are right"
          }
        }
        scored.removeAll { $0.diagnosis.score <= 0 }
      }
      shownClaims = token.shown(decided: findings.flatMap(\.claims))
    }

    // When the evidence does not decide, a support engineer names the likely causes, not one.
    if scored.allSatisfy({ $0.diagnosis.score < 80 }), signals.httpStatus != nil {
      pad(&scored, context)
    }

    scored.sort { a, b in
      if a.diagnosis.score != b.diagnosis.score { return a.diagnosis.score > b.diagnosis.score }
      if a.position != b.position { return a.position < b.position }
      return a.order < b.order
    }
    var seen = Set<String>()
    var diagnoses = scored.map(\.diagnosis).filter { seen.insert($0.reason).inserted }
    diagnoses = Array(diagnoses.prefix(5))
    // Confidence: a decisive signal with a clear lead is high; a close race is not.
    for index in diagnoses.indices {
      let score = diagnoses[index].score
      let next = index + 1 < diagnoses.count ? diagnoses[index + 1].score : 0
      let previous = index > 0 ? diagnoses[index - 1].score : Int.max
      if score >= 80 && score - next >= 15 && previous - score >= 15 {
        diagnoses[index].confidence = "high"
      } else if score >= 80 || (score >= 50 && index == 0) {
        diagnoses[index].confidence = "medium"
      } else {
        diagnoses[index].confidence = "low"
      }
    }
    return ExplainResult(
      input: inputLabel, signals: signals, diagnoses: diagnoses, check: nil, claims: shownClaims)
  }

  /// Scores one line of an on-premises server's log against `rule`, as `explain` would read that
  /// line pasted alone with the on-prem endpoint known: the score and what matched, or `nil`.
  public func scoreServerLogLine(_ line: SearchableText, against rule: MatchRule) -> (score: Int, matched: String)? {
    var signals = Signals()
    signals.endpoint = "onprem"
    guard let (score, matched, _) = evaluate(rule, Context(text: line, signals: signals, urls: URLFacts())) else {
      return nil
    }
    return (score, matched)
  }

  /// The facts one evaluation of the rules reads.
  struct Context {
    var text: SearchableText
    var signals: Signals
    var urls: URLFacts
  }

  /// Adds the candidates of a status at this endpoint (or, with none known, at any) until there
  /// are three: rules whose only condition is the HTTP status, at a lower score.
  func pad(_ scored: inout [(diagnosis: Diagnosis, position: Int, order: Int)], _ context: Context) {
    guard let status = context.signals.httpStatus else { return }
    var present = Set(scored.map(\.diagnosis.reason))
    for relaxEndpoint in [false, true] where present.count < 3 {
      for (order, id) in catalogue.reasonOrder.enumerated() where !present.contains(id) {
        guard let reason = catalogue.reason(id) else { continue }
        let rules = reason.match.filter {
          $0.http.contains(status) && $0.aadsts.isEmpty && $0.bc.isEmpty && $0.text.isEmpty
            && $0.oauthError.isEmpty && $0.url.isEmpty && !ruledOut($0, context)
        }
        guard
          let rule = rules.first(where: { rule in
            rule.endpoint.isEmpty || context.signals.endpoint.map(rule.endpoint.contains) == true
              || relaxEndpoint
          })
        else { continue }
        let score = max(5, 20 + rule.boost - (relaxEndpoint ? 10 : 0))
        scored.append(
          (diagnosis(reason, score: score, matched: "HTTP \(status), a possible cause"), Int.max, order))
        present.insert(id)
      }
    }
  }

  static func parseTimestamp(_ value: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    let trimmed = value.replacingOccurrences(of: " ", with: "T")
    if let date = formatter.date(from: trimmed) { return date }
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let date = formatter.date(from: trimmed) { return date }
    // "2024-05-03 10:11:12Z" and HTTP dates.
    let http = DateFormatter()
    http.locale = Locale(identifier: "en_US_POSIX")
    http.timeZone = TimeZone(identifier: "UTC")
    for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ssZ"] {
      http.dateFormat = format
      if let date = http.date(from: value) ?? http.date(from: trimmed) { return date }
    }
    return nil
  }

  /// Whether the text holds one of the rule's `unless` phrases.
  func ruledOut(_ rule: MatchRule, _ context: Context) -> Bool {
    rule.unless.contains { context.text.position(of: $0) != nil }
  }

  /// Scores one rule: nil when a condition fails. Returns (score, what matched, where).
  func evaluate(_ rule: MatchRule, _ context: Context) -> (Int, String, Int)? {
    let signals = context.signals
    let text = context.text
    if ruledOut(rule, context) { return nil }
    var score = 0
    var matched: [String] = []
    var position = Int.max
    // A rule for some endpoints applies only when the evidence points to one of them.
    if !rule.endpoint.isEmpty {
      guard let endpoint = signals.endpoint, rule.endpoint.contains(endpoint) else { return nil }
    }
    if !rule.aadsts.isEmpty {
      guard let index = signals.aadsts.firstIndex(where: rule.aadsts.contains) else { return nil }
      score = max(score, 100)
      matched.append("AADSTS\(signals.aadsts[index])")
      position = min(position, index)
    }
    if !rule.bc.isEmpty {
      guard let index = signals.bcErrorCodes.firstIndex(where: rule.bc.contains) else { return nil }
      score = max(score, rule.text.isEmpty ? 80 : 90)
      matched.append(signals.bcErrorCodes[index])
      position = min(position, 1000 + index)
    }
    if !rule.oauthError.isEmpty {
      guard let error = signals.oauthError, rule.oauthError.contains(error) else { return nil }
      score = max(score, 40)
      matched.append("error \(error)")
    }
    if !rule.http.isEmpty {
      guard let status = signals.httpStatus, rule.http.contains(status) else { return nil }
      score = max(score, 30)
      matched.append("HTTP \(status)")
    }
    if !rule.url.isEmpty {
      guard let tag = rule.url.first(where: context.urls.tags.contains) else { return nil }
      score = max(score, 35)
      matched.append("URL shape \(tag)")
    }
    if !rule.text.isEmpty {
      var found: (phrase: String, at: Int)?
      for phrase in rule.text {
        if let at = text.position(of: phrase) {
          found = (phrase, at)
          break
        }
      }
      guard let found else { return nil }
      score = max(score, 60)
      matched.append("“\(found.phrase)”")
      position = min(position, 2000 + found.at)
    }
    guard score > 0 else { return nil }
    if !rule.endpoint.isEmpty, let endpoint = signals.endpoint {
      score += 25
      matched.append("endpoint \(endpoint)")
    }
    return (score + rule.boost, matched.joined(separator: " + "), position)
  }

  func diagnosis(
    _ reason: ReasonDefinition, score: Int, matched: String, confidence: String? = nil
  ) -> Diagnosis {
    Diagnosis(
      reason: reason.id, summary: reason.summary, why: reason.why, fix: reason.fix,
      steps: reason.steps, whoFixes: reason.whoFixes.rawValue, docs: reason.docs,
      confidence: confidence ?? (score >= 80 ? "high" : score >= 50 ? "medium" : "low"),
      distinguish: reason.distinguish, matched: matched, score: score)
  }
}
