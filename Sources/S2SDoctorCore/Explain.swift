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
  /// Why this diagnosis was chosen (which signal matched).
  public var matched: String
  var score: Int

  enum CodingKeys: String, CodingKey {
    case reason, summary, why, fix, steps, whoFixes, docs, confidence, matched
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

  public func explain(_ input: String, status: Int? = nil, endpoint: String? = nil)
    -> ExplainResult
  {
    let trimmed = input.trimmedWhitespace
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

    let text = SearchableText(input)
    let signals = SignalExtractor.extract(
      text, status: status, endpoint: endpoint, knownBCCodes: knownBCCodes)

    var scored: [(diagnosis: Diagnosis, position: Int, order: Int)] = []
    for (order, id) in catalogue.reasonOrder.enumerated() {
      guard let reason = catalogue.reason(id) else { continue }
      var best = 0
      var why = ""
      var position = Int.max
      for rule in reason.match {
        guard let (score, matched, at) = evaluate(rule, text: text, signals: signals) else {
          continue
        }
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
    if !unknownCodes.isEmpty, let reason = catalogue.reason("entra.unknown-error") {
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
      let reason = catalogue.reason("bc.unknown-error")
    {
      var d = diagnosis(reason, score: 50, matched: "Business Central error code \(code)")
      d.summary = "Business Central answered \(code), a code this tool has no specific fix for."
      scored.append((d, Int.max - 1, Int.max))
    }

    scored.sort { a, b in
      if a.diagnosis.score != b.diagnosis.score { return a.diagnosis.score > b.diagnosis.score }
      if a.position != b.position { return a.position < b.position }
      return a.order < b.order
    }
    var seen = Set<String>()
    let diagnoses = scored.map(\.diagnosis).filter { seen.insert($0.reason).inserted }
    return ExplainResult(
      input: inputLabel, signals: signals, diagnoses: Array(diagnoses.prefix(5)), check: nil)
  }

  /// Scores one rule: nil when a condition fails. Returns (score, what matched, where).
  func evaluate(_ rule: MatchRule, text: SearchableText, signals: Signals) -> (Int, String, Int)? {
    var score = 0
    var matched: [String] = []
    var position = Int.max
    // A rule for other endpoints does not apply; with no endpoint known it applies without its bonus.
    if !rule.endpoint.isEmpty, let endpoint = signals.endpoint, !rule.endpoint.contains(endpoint) {
      return nil
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
    if !rule.text.isEmpty {
      guard let phrase = rule.text.first(where: text.contains(phrase:)) else { return nil }
      score = max(score, 60)
      matched.append("“\(phrase)”")
      position = min(position, 2000 + (text.position(of: phrase) ?? 0))
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
      matched: matched, score: score)
  }
}
