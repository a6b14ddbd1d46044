import Foundation
import S2SDoctorCore

/// The declarative `http` probe: a check folder describes one read-only request, what its answer
/// must show, the facts it keeps for later checks, and the words of its outcome.
extension LiveSession {
  func httpProbe(_ check: CheckDeclaration) async -> Outcome {
    guard let spec = check.http else { return .couldNotTest(nil, "\(check.id) declares probe http without http:") }
    let grant: TokenGrant?
    if spec.token == "bc" {
      guard case .success(let granted) = await token() else { return .skipped("no token") }
      if let role = spec.role, let roles = granted.claims.roles, !roles.contains(role) {
        return Outcome(.skipped, detail: await words(spec.withoutRole, [:]))
      }
      grant = granted
    } else {
      grant = nil
    }
    let response: HTTPResponse
    switch await answer(check, spec, grant: grant) {
    case .success(let answered): response = answered
    case .failure(let error): return error.outcome
    }
    answers[check.id] = response
    if let grant, let stale = expiredOnArrival(response, grant: grant) { return stale }
    // An on-premises server is classified as one, whatever part of its API the check reads.
    let endpoint = settings.deployment == .onprem && spec.endpoint == "bc-api" ? "onprem" : spec.endpoint
    let prefix = spec.evidence ?? check.id
    var evidence = Classifier.evidence(response, prefix: prefix)
    let present = spec.exists.map { path in response.json.flatMap { Self.value(at: path, in: $0) } != nil } ?? true
    let status = ["status": String(response.status)]
    let fromService = Classifier.isServiceAnswer(response)
    guard spec.status.contains(response.status), fromService, present else {
      // The check's own failure rules read Business Central's answers, not a proxy's HTML page.
      if fromService,
        let outcome = await ownFailure(spec, response, endpoint: endpoint, grant: grant, evidence: evidence)
      {
        return outcome
      }
      return Classifier.classify(
        response, endpoint: endpoint, allowed: check.reasons, fallback: Reason.bcUnknownError, prefix: prefix,
        explainer: explainer)
    }
    if let path = spec.companies, let list = response.json.flatMap({ Self.value(at: path, in: $0) })?.array {
      companies = list
    }
    if let path = spec.nonEmpty, Self.isEmpty(response.json.flatMap { Self.value(at: path, in: $0) }) {
      let reason = spec.emptyReason ?? check.reasons.first ?? Reason.bcUnknownError
      let text = spec.empty.isEmpty ? "the answer has nothing at \(path)" : spec.empty
      return .failed(reason, await words(text, status), evidence: evidence)
    }
    var lists: [String: [String]] = [:]
    for (name, path) in spec.facts.sorted(by: { $0.key < $1.key }) {
      guard let json = response.json, let value = Self.value(at: path, in: json) else { continue }
      let text: String
      if path.split(separator: ".").contains("*") {
        let items = (value.array ?? []).compactMap { $0.string }
        lists[name] = items
        evidence.append(.init("\(prefix).\(name)", items.joined(separator: "; ")))
        text = Self.shortList(items)
      } else {
        text = value.array.map { String($0.count) } ?? value.string ?? ""
        evidence.append(.init("\(prefix).\(name)", text))
      }
      facts[name] = text
    }
    if let rule = spec.includes {
      let wanted = await words(rule.value, status)
      let listed = rule.facts.flatMap { lists[$0] ?? facts[$0].map { [$0] } ?? [] }
      let found = listed.contains { item in
        rule.caseSensitive ? item == wanted : item.caseInsensitiveCompare(wanted) == .orderedSame
      }
      if !found { return .failed(rule.reason, await words(rule.words, status), evidence: evidence) }
    }
    return .passed(await words(spec.passed, status), evidence: evidence)
  }

  /// The answer a check judges: its own request's, or the one an earlier check got (`answerOf`).
  private func answer(_ check: CheckDeclaration, _ spec: HTTPProbeSpec, grant: TokenGrant?) async
    -> Result<HTTPResponse, OutcomeError>
  {
    if let earlier = spec.answerOf {
      guard let response = answers[earlier] else {
        return .failure(OutcomeError(outcome: .skipped("\(earlier) got no answer to read")))
      }
      return .success(response)
    }
    var headers = [("Accept", "application/json")]
    if let grant { headers.append(("Authorization", "Bearer \(grant.accessToken)")) }
    let url: String
    switch await fill(spec.url, encode: true) {
    case .success(let filled): url = withTenantParameter(filled)
    case .failure(let missing):
      return .failure(
        OutcomeError(outcome: .skipped("\(check.id) needs {\(missing.name)}, which no earlier check provided")))
    }
    guard
      url.lowercased().hasPrefix("https://")
        || (settings.allowHTTPBCURL == true && url.hasPrefix(settings.bcURL ?? "\u{0}"))
    else {
      return .failure(
        OutcomeError(
          outcome: .failed(Reason.inputServerUrlInvalid, "\(check.id) builds \(url), which is not an https URL")))
    }
    do {
      return .success(try await self.transport().send(HTTPRequest(method: spec.method, url: url, headers: headers)))
    } catch let failure as TransportFailure {
      return .failure(
        OutcomeError(
          outcome: Classifier.outcome(
            reason: failure.reason, detail: failure.detail, evidence: [.init("request.url", url)])))
    } catch {
      return .failure(Self.wrap(error))
    }
  }

  /// The first of the check's own failure rules that the answer meets, as an outcome.
  private func ownFailure(
    _ spec: HTTPProbeSpec, _ response: HTTPResponse, endpoint: String, grant: TokenGrant?, evidence: [EvidenceItem]
  ) async -> Outcome? {
    let text = SearchableText(response.text)
    let code = SignalExtractor.extract(text).bcErrorCode ?? "none"
    for rule in spec.failures
    where rule.status.contains(response.status)
      && (rule.endpoints.isEmpty || rule.endpoints.contains(endpoint))
      && (rule.codes.isEmpty || rule.codes.contains(code)) && !rule.notCodes.contains(code)
      && (rule.phrases.isEmpty || rule.phrases.contains { text.contains(phrase: $0) })
    {
      if let name = rule.diagnosis, let diagnose = ProbeRegistry.diagnoses[name] {
        var outcome = diagnose(settings, grant?.claims)
        outcome.evidence = evidence + outcome.evidence
        return outcome
      }
      return .failed(rule.reason, await words(rule.words, ["status": String(response.status)]), evidence: evidence)
    }
    return nil
  }

  /// A list in a sentence: the first ten items, then how many more (the evidence keeps them all).
  static func shortList(_ items: [String]) -> String {
    guard !items.isEmpty else { return "none" }
    guard items.count > 10 else { return items.joined(separator: ", ") }
    return items.prefix(10).joined(separator: ", ") + " and \(items.count - 10) more"
  }

  /// A sentence of the check's YAML with its placeholders filled (left as written if one is unknown).
  func words(_ template: String, _ extra: [String: String]) async -> String {
    (try? await fill(template, encode: false, extra: extra).get()) ?? template
  }

  struct MissingFact: Error { var name: String }

  /// Fills `{name}` placeholders from the settings, the companies `bc.companies` read, and facts.
  func fill(_ template: String, encode: Bool, extra: [String: String] = [:]) async -> Result<String, MissingFact> {
    var output = ""
    var rest = Substring(template)
    while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
      output += rest[..<open]
      let name = String(rest[rest.index(after: open)..<close])
      let known: String?
      if let given = extra[name] { known = given } else { known = await placeholder(name) }
      guard let value = known else { return .failure(MissingFact(name: name)) }
      // The roots and the path a user gave are URL parts already; values placed in them are encoded.
      output += encode && !["bcBase", "bcHost", "apiPath"].contains(name) ? Self.encodedSegment(value) : value
      rest = rest[rest.index(after: close)...]
    }
    return .success(output + rest)
  }

  func placeholder(_ name: String) async -> String? {
    // `{count|company|companies}`: the number, then the word that agrees with it.
    let parts = name.split(separator: "|", omittingEmptySubsequences: false)
    if parts.count == 3, let number = await placeholder(String(parts[0])) {
      return "\(number) \(number == "1" ? parts[1] : parts[2])"
    }
    switch name {
    case "company": return settings.company
    case "consentURL": return settings.adminConsentURL ?? "n/a"
    case "tenantId":
      guard case .success(let discovery) = await discovery() else { return nil }
      return discovery.tenantID
    case "bcBase": return await environmentBase()
    case "bcHost": return settings.bcAPIHost
    case "apiPath": return settings.apiPath.map { $0.hasPrefix("/") ? $0 : "/" + $0 }
    case "tenant": return await tenantSegment()
    case "environment": return settings.environment
    case "companyId", "companyName":
      let company = settings.company.flatMap(company(named:)) ?? companies.first
      return company?[name == "companyId" ? "id" : "name"]?.string
    default: return facts[name]
    }
  }

  /// A value placed in a URL path or query: everything but unreserved characters is encoded.
  static func encodedSegment(_ value: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
  }

  /// `value.0.id`: object keys and array indexes, separated by dots; `*` maps the rest of the
  /// path over every item of a list (`value.*.name`).
  static func value(at path: String, in json: JSONValue) -> JSONValue? {
    var current: JSONValue? = json
    let parts = path.split(separator: ".")
    for (position, part) in parts.enumerated() {
      if part == "*" {
        guard let array = current?.array else { return nil }
        let rest = parts[(position + 1)...].joined(separator: ".")
        return .array(rest.isEmpty ? array : array.compactMap { value(at: rest, in: $0) })
      }
      if let index = Int(part), let array = current?.array {
        current = index < array.count ? array[index] : nil
      } else {
        current = current?[String(part)]
      }
    }
    return current
  }

  static func isEmpty(_ value: JSONValue?) -> Bool {
    switch value {
    case nil, .null?: true
    case .array(let items)?: items.isEmpty
    case .string(let text)?: text.isEmpty
    case .object(let members)?: members.isEmpty
    default: false
    }
  }
}
