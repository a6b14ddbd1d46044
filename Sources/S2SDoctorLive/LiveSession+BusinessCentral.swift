import Foundation
import S2SDoctorCore
import S2SDoctorOnPrem

extension LiveSession {
  // MARK: Business Central

  func tenantSegment() async -> String {
    if case .success(let discovery) = await discovery() { return discovery.tenantID }
    return settings.tenant ?? ""
  }

  func environmentBase() async -> String {
    if settings.deployment == .onprem {
      var base = settings.bcURL ?? ""
      while base.hasSuffix("/") { base.removeLast() }
      return base
    }
    let environment =
      settings.environment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? settings.environment
    return "\(settings.bcAPIHost)/v2.0/\(await tenantSegment())/\(environment)"
  }

  func withTenantParameter(_ url: String) -> String {
    guard settings.deployment == .onprem, let tenant = settings.serverTenant else { return url }
    return url + (url.contains("?") ? "&" : "?") + "tenant="
      + (tenant.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? tenant)
  }

  func bcGET(_ url: String, grant: TokenGrant) async throws -> HTTPResponse {
    let transport = try self.transport()
    do {
      return try await transport.send(
        HTTPRequest(
          url: url, headers: [("Authorization", "Bearer \(grant.accessToken)"), ("Accept", "application/json")]))
    } catch let failure as TransportFailure {
      throw OutcomeError(
        outcome: Classifier.outcome(
          reason: failure.reason, detail: failure.detail, evidence: [.init("request.url", url)]))
    } catch {
      throw OutcomeError(outcome: .couldNotTest(nil, "\(error)"))
    }
  }

  func bcCompanies(_ check: CheckDeclaration) async throws -> Outcome {
    guard case .success(let grant) = await token() else { return .skipped("no token") }
    let endpoint = settings.deployment == .onprem ? "onprem" : "bc-api"
    let url = withTenantParameter(await environmentBase() + "/api/v2.0/companies")
    let response: HTTPResponse
    do { response = try await bcGET(url, grant: grant) } catch { return Self.wrap(error).outcome }
    if let stale = expiredOnArrival(response, grant: grant) { return stale }
    if response.status == 200, let json = response.json, let value = json["value"]?.array {
      companies = value
      var evidence = Classifier.evidence(response, prefix: "companies")
      if value.isEmpty {
        return .failed(
          Reason.bcNoCompaniesVisible,
          "GET companies answered 200 with an empty list: the app's Business Central user has no permission set that reaches a company",
          evidence: evidence)
      }
      let names = value.compactMap { $0["name"]?.string }
      evidence.append(.init("companies.names", names.joined(separator: "; ")))
      return .passed(
        "\(value.count) compan\(value.count == 1 ? "y" : "ies"): \(names.prefix(5).joined(separator: ", "))",
        evidence: evidence)
    }
    let allowed = check.reasons
    let signals = SignalExtractor.extract(SearchableText(response.text))
    let evidence = Classifier.evidence(response, prefix: "companies")
    if endpoint == "onprem", response.status == 401,
      signals.bcErrorCode == "Authentication_InvalidCredentials" || signals.bcErrorCode == nil
    {
      let aud = grant.claims.audiences.first ?? BusinessCentral.resource
      var outcome = OnPremUnauthorized.classify(settings: settings, claims: grant.claims, audience: aud)
      outcome.evidence = evidence + outcome.evidence
      return outcome
    }
    if endpoint == "onprem", response.status == 405 {
      return .failed(
        Reason.onpremApiDisabled,
        "the server answered 405: the API endpoint is switched off (ApiServicesEnabled / ODataServicesEnabled)",
        evidence: evidence)
    }
    if endpoint == "bc-api", response.status == 404, Classifier.isServiceAnswer(response),
      !["BadRequest_NotFound", "BadRequest_ResourceNotFound"].contains(signals.bcErrorCode ?? "")
    {
      return .failed(
        Reason.bcEnvironmentNotFound,
        "HTTP 404 for environment '\(settings.environment)' in tenant \(await tenantSegment()): the name is misspelled or belongs to another tenant",
        evidence: evidence)
    }
    return Classifier.classify(
      response, endpoint: endpoint, allowed: allowed, fallback: Reason.bcUnknownError, prefix: "companies")
  }

  /// The company `--company` names (by name, display name or id) among those `bc.companies` read.
  func company(named wanted: String) -> JSONValue? {
    companies.first { company in
      [company["name"]?.string, company["displayName"]?.string, company["id"]?.string].contains(wanted)
    }
  }

  func bcCompany() -> Outcome {
    guard let wanted = settings.company else { return .passed() }
    if let match = company(named: wanted) { return .passed("company '\(wanted)' (\(match["id"]?.string ?? "?"))") }
    let names = companies.compactMap { $0["name"]?.string }
    return .failed(
      Reason.bcCompanyNotFound,
      "no company named '\(wanted)'; the app sees: \(names.isEmpty ? "none" : names.joined(separator: ", ")) (names are case-sensitive)",
      evidence: [.init("companies.names", names.joined(separator: "; "))])
  }
}
