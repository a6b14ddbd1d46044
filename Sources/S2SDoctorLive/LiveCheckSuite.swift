import Foundation
import S2SDoctorCore

/// Runs the catalogue's checks against one registration, live.
public struct LiveCheckSuite: Sendable {
  public static let toolVersion = "0.1.0"

  public let settings: ConnectionSettings
  public let secret: Secret?
  public let catalogue: Catalogue
  let transport: (any HTTPSending)?
  let broker: TokenBroker?

  /// - Parameters:
  ///   - transport: a transport shared by many runs (fleet); by default each run has its own.
  ///   - broker: shares discovery and tokens per authority, tenant and client (fleet).
  public init(
    settings: ConnectionSettings, secret: Secret?, catalogue: Catalogue = .builtIn,
    transport: (any HTTPSending)? = nil, broker: TokenBroker? = nil
  ) {
    self.settings = settings
    self.secret = secret
    self.catalogue = catalogue
    self.transport = transport
    self.broker = broker
  }

  public static var platform: String {
    #if os(Linux)
      let os = "linux"
    #else
      let os = "darwin"
    #endif
    #if arch(x86_64)
      return "\(os)-x86_64"
    #else
      return "\(os)-arm64"
    #endif
  }

  /// Whether a check's scope applies to these settings.
  public func applies(_ check: CheckDeclaration) -> Bool {
    switch check.scope {
    case "always": true
    case "online": settings.deployment == .online
    case "onprem": settings.deployment == .onprem
    case "redirect-uri": settings.redirectURI != nil
    case "company": settings.company != nil
    case "automation": settings.checkAutomation
    case "api-path": settings.apiPath != nil
    case "admin": settings.checkAdmin && settings.deployment == .online
    case "server-config": settings.serverConfig != nil
    case "server-log": settings.serverLog != nil
    default: false
    }
  }

  /// Runs the selected checks. Never throws: every problem is an outcome in the report.
  public func run(only: [String] = [], skip: [String] = []) async -> RunReport {
    let started = Date()
    let runner = CheckRunner(
      catalogue: catalogue, timeLimit: .milliseconds(Int64((settings.timeoutSeconds + 5) * 1000)))
    let (checks, skipped) = runner.select(only: only, skip: skip, applies: applies)
    let session = LiveSession(
      settings: settings, secret: secret, catalogue: catalogue, transport: transport, broker: broker)
    let results = await runner.run(checks, skipped: skipped) { check in
      try await session.probe(check)
    }
    await session.close()
    return RunReport(
      tool: ToolInfo(version: Self.toolVersion, platform: Self.platform),
      target: settings.targetInfo(hasSecret: secret != nil), startedAt: started, finishedAt: Date(),
      results: results.map { $0.redacted(.shared) })
  }

  /// Live tenant discovery for the wizard: the tenant GUID and cloud, or nil when unreachable.
  public static func discoverTenant(_ tenant: String, authorityHost: String, caFile: String?, timeout: Double) async
    -> TenantDiscovery?
  {
    guard let transport = try? HTTPTransport(caFile: caFile, timeout: timeout) else { return nil }
    defer { Task { await transport.shutdown() } }
    let client = EntraClient(transport: transport, authorityHost: authorityHost)
    return try? await client.discover(tenant).1
  }
}

/// The state one run shares between checks: discovery and the token are fetched once.
actor LiveSession {
  let settings: ConnectionSettings
  let secret: Secret?
  let catalogue: Catalogue
  private var transportResult: Result<any HTTPSending, TransportFailure>?
  private var discoveryTask: Task<Result<TenantDiscovery, OutcomeError>, Never>?
  private var tokenTask: Task<Result<TokenGrant, OutcomeError>, Never>?
  var companies: [JSONValue] = []
  /// Facts `http` probes extracted, for later checks' URLs and words.
  var facts: [String: String] = [:]
  /// The registration as Graph shows it, read once for all `registration.*` checks.
  var registrationTask: Task<Result<RegistrationSnapshot, OutcomeError>, Never>?
  private let ownsTransport: Bool
  let broker: TokenBroker?

  struct OutcomeError: Error { var outcome: Outcome }

  static func wrap(_ error: any Error) -> OutcomeError {
    (error as? OutcomeError) ?? OutcomeError(outcome: .couldNotTest(nil, "\(error)"))
  }

  init(
    settings: ConnectionSettings, secret: Secret?, catalogue: Catalogue = .builtIn,
    transport: (any HTTPSending)? = nil,
    broker: TokenBroker? = nil
  ) {
    self.settings = settings
    self.secret = secret
    self.catalogue = catalogue
    self.ownsTransport = transport == nil
    self.broker = broker
    if let transport { transportResult = .success(transport) }
  }

  func close() async {
    if ownsTransport, case .success(let transport)? = transportResult { await transport.shutdown() }
  }

  /// The key that shares discovery and tokens: authority, tenant, client and credential.
  var sharingKey: String {
    let credential = settings.certificatePath ?? (secret.map { String($0.value.hashValue) } ?? "none")
    return [
      settings.authorityHost, (settings.tenant ?? "").lowercased(), (settings.clientID ?? "").lowercased(), credential,
    ]
    .joined(separator: "|")
  }

  func transport() throws -> any HTTPSending {
    if transportResult == nil {
      do {
        transportResult = .success(
          try HTTPTransport(
            caFile: settings.caFile, timeout: settings.timeoutSeconds,
            cleartextOrigin: settings.allowHTTPBCURL == true ? settings.bcURL : nil))
      } catch let failure as TransportFailure {
        transportResult = .failure(failure)
      } catch {
        transportResult = .failure(TransportFailure(Reason.networkUnexpectedResponse, "\(error)"))
      }
    }
    switch transportResult! {
    case .success(let t): return t
    case .failure(let f):
      throw OutcomeError(outcome: Classifier.outcome(reason: f.reason, detail: f.detail, evidence: []))
    }
  }

  /// Runs the probe a check names (`probe:` in its check.yaml), from the registry.
  func probe(_ check: CheckDeclaration) async throws -> Outcome {
    guard let probe = ProbeRegistry.probes[check.probe] else {
      return .couldNotTest(nil, "this build has no probe '\(check.probe)' for \(check.id)")
    }
    return try await probe(self, check)
  }

  func inputTenant() -> Outcome {
    input(InputValidation.tenant(settings.tenant ?? ""), passed: "tenant \(settings.tenant ?? "")")
  }

  func inputClientID() -> Outcome {
    input(InputValidation.clientID(settings.clientID ?? ""), passed: "client \(settings.clientID ?? "")")
  }

  func inputRedirectURI() -> Outcome {
    input(
      InputValidation.redirectURI(settings.redirectURI ?? "", online: settings.deployment == .online),
      passed: "redirect URI \(settings.redirectURI ?? "")")
  }

  func entraTenant() async -> Outcome {
    await unwrap(await discovery()) { d in
      .passed(
        "tenant \(settings.tenant ?? "") is \(d.tenantID) in \(d.cloudInstance ?? "this cloud")",
        evidence: [.init("tenant.id", d.tenantID), .init("tenant.cloud", d.cloudInstance ?? "?")])
    }
  }

  func entraToken() async -> Outcome {
    await unwrap(await token()) { grant in
      var evidence = grant.claims.displayEvidence
      evidence.append(.init("token.clientRequestId", grant.clientRequestID))
      if let id = grant.requestID { evidence.append(.init("token.requestId", id)) }
      if let expires = grant.expiresIn { evidence.append(.init("token.expiresIn", "\(expires) s")) }
      return .passed(
        "token issued (\(grant.claims.roles?.joined(separator: ", ") ?? "no roles"))", evidence: evidence)
    }
  }

  func onPremServerConfig() async -> Outcome {
    var claims: TokenClaims?
    if case .success(let grant) = await token() { claims = grant.claims }
    return OnPremProbes.serverConfig(settings: settings, claims: claims)
  }

  func onPremServerLog() -> Outcome { OnPremProbes.serverLog(settings: settings) }

  func tokenAppOnlyProbe() async -> Outcome { await withToken(tokenAppOnly) }
  func tokenAudienceProbe() async -> Outcome { await withToken(tokenAudience) }
  func tokenTenantProbe() async -> Outcome { await withToken(tokenTenant) }
  func tokenRolesProbe() async -> Outcome { await withToken(tokenRoles) }
  func tokenClockProbe() async -> Outcome { await withToken(tokenClock) }

  // MARK: input

  func input(_ problem: InputProblem?, passed: String) -> Outcome {
    if let problem { return .failed(problem.reason, problem.detail) }
    return .passed(passed)
  }

  func credentialCheck() -> Outcome {
    if let path = settings.certificatePath {
      do {
        let certificate = try CertificateCredential(pemFile: path)
        let days = Int(certificate.notAfter.timeIntervalSinceNow / 86_400)
        return .passed(
          "certificate \(certificate.thumbprintSHA1Hex) (expires in \(days) days)",
          evidence: [
            .init("certificate.sha1", certificate.thumbprintSHA1Hex),
            .init("certificate.x5tS256", certificate.thumbprintS256),
          ])
      } catch {
        return .failed(error.reason, error.detail)
      }
    }
    if let problem = InputValidation.secret(secret?.value, hasCertificate: false) {
      return .failed(problem.reason, problem.detail)
    }
    return .passed("client secret from \(settings.sources["secret"]?.rawValue ?? "environment") (value hidden)")
  }

  func targetCheck() -> Outcome {
    if settings.deployment == .onprem {
      switch InputValidation.serverURL(settings.bcURL ?? "", allowHTTP: settings.allowHTTPBCURL == true) {
      case .success(let url) where url.lowercased().hasPrefix("http://"):
        return .warning(
          Reason.networkCleartextHttp,
          "server \(url) is plain http (allowed with --allow-http-bc-url): the access token travels to it in cleartext")
      case .success(let url): return .passed("server \(url)")
      case .failure(let problem): return .failed(problem.reason, problem.detail)
      }
    }
    return input(InputValidation.environment(settings.environment), passed: "environment \(settings.environment)")
  }

  // MARK: Entra

  func credential() throws -> Credential {
    if let path = settings.certificatePath {
      do {
        return .certificate(try CertificateCredential(pemFile: path))
      } catch {
        throw OutcomeError(outcome: .failed(error.reason, error.detail))
      }
    }
    if let secret { return .secret(secret) }
    return .none
  }

  func discovery() async -> Result<TenantDiscovery, OutcomeError> {
    if let discoveryTask { return await discoveryTask.cancellableValue }
    let settings = self.settings
    let transport: any HTTPSending
    do { transport = try self.transport() } catch { return .failure(Self.wrap(error)) }
    let make: @Sendable () async -> Result<TenantDiscovery, OutcomeError> = {
      let client = EntraClient(transport: transport, authorityHost: settings.authorityHost)
      let tenant = settings.tenant ?? ""
      do {
        let (response, discovery) = try await client.discover(tenant)
        guard let discovery else {
          return .failure(
            OutcomeError(
              outcome: Classifier.classify(
                response, endpoint: "token",
                allowed: [
                  Reason.entraTenantNotFound, Reason.entraTenantInOtherCloud, Reason.entraThrottled,
                  Reason.entraUnavailable,
                ],
                fallback: response.status == 200 ? Reason.networkUnexpectedResponse : Reason.entraTenantNotFound,
                prefix: "discovery")))
        }
        let region = discovery.regionScope?.uppercased() ?? ""
        let otherCloud =
          (discovery.cloudInstance.map { $0 != client.expectedCloudInstance } ?? false)
          || (client.expectedCloudInstance == "microsoftonline.com"
            && ["USGOV", "USG", "DOD", "USGOVCLOUD"].contains(region))
        if otherCloud {
          return .failure(
            OutcomeError(
              outcome: .failed(
                Reason.entraTenantInOtherCloud,
                "tenant \(tenant) belongs to the \(discovery.cloudInstance ?? "?") cloud (region scope \(discovery.regionScope ?? "?")), not to \(settings.authorityHost); use that cloud's authority host (--cloud usgov|china or --authority-host)",
                evidence: [
                  .init("tenant.id", discovery.tenantID), .init("tenant.cloud", discovery.cloudInstance ?? "?"),
                  .init("tenant.regionScope", discovery.regionScope ?? "?"),
                ])))
        }
        return .success(discovery)
      } catch let failure as TransportFailure {
        return .failure(
          OutcomeError(
            outcome: Classifier.outcome(
              reason: failure.reason, detail: failure.detail,
              evidence: [.init("discovery.url", client.discoveryURL(tenant))])))
      } catch {
        return .failure(OutcomeError(outcome: .couldNotTest(nil, "\(error)")))
      }
    }
    let key = sharingKey
    let task = Task<Result<TenantDiscovery, OutcomeError>, Never> { [broker] in
      if let broker { return await broker.discovery(key: key, make: make) }
      return await make()
    }
    discoveryTask = task
    return await task.cancellableValue
  }

  func token() async -> Result<TokenGrant, OutcomeError> {
    if let tokenTask { return await tokenTask.cancellableValue }
    let settings = self.settings
    let transport: any HTTPSending
    let credential: Credential
    do {
      transport = try self.transport()
      credential = try self.credential()
    } catch { return .failure(Self.wrap(error)) }
    let tokenReasons = catalogue.check(CheckID.entraToken)?.reasons ?? []
    let make: @Sendable () async -> Result<TokenGrant, OutcomeError> = {
      let client = EntraClient(transport: transport, authorityHost: settings.authorityHost)
      do {
        let (response, grant, requestID) = try await client.requestToken(
          tenant: settings.tenant ?? "", clientID: settings.clientID ?? "", credential: credential)
        if let grant { return .success(grant) }
        var outcome = Classifier.classify(
          response, endpoint: "token", allowed: tokenReasons,
          fallback: Reason.entraUnknownError, prefix: "token")
        outcome.evidence.append(.init("token.clientRequestId", requestID))
        // AADSTS700016 in a customer's tenant: the app was never consented to there. The
        // consent URL for exactly this tenant and client is the fix a partner can send.
        if outcome.reason == Reason.entraAppNotFound, let url = settings.adminConsentURL {
          outcome.detail =
            (outcome.detail ?? "")
            + ". If the app is multitenant and this is a customer's tenant, an administrator of that tenant grants consent here: \(url)"
        }
        return .failure(OutcomeError(outcome: outcome))
      } catch let failure as TransportFailure {
        return .failure(
          OutcomeError(
            outcome: Classifier.outcome(
              reason: failure.reason, detail: failure.detail,
              evidence: [.init("token.url", client.tokenURL(settings.tenant ?? ""))])))
      } catch {
        return .failure(OutcomeError(outcome: .couldNotTest(nil, "\(error)")))
      }
    }
    let key = sharingKey
    let task = Task<Result<TokenGrant, OutcomeError>, Never> { [broker] in
      if let broker { return await broker.token(key: key, make: make) }
      return await make()
    }
    tokenTask = task
    return await task.cancellableValue
  }

  func unwrap<T>(_ result: Result<T, OutcomeError>, _ body: (T) -> Outcome) async -> Outcome {
    switch result {
    case .success(let value): body(value)
    case .failure(let error): error.outcome
    }
  }

  func withToken(_ body: (TokenGrant) async -> Outcome) async -> Outcome {
    switch await token() {
    case .success(let grant): await body(grant)
    case .failure(let error): error.outcome
    }
  }

  // MARK: token

  func tokenAppOnly(_ grant: TokenGrant) -> Outcome {
    let claims = grant.claims
    if let scp = claims.scopes {
      return .failed(
        Reason.tokenNotAppOnly,
        "the token carries delegated scopes (scp: \(scp)): it was issued to a user, not to the app",
        evidence: claims.displayEvidence)
    }
    if let type = claims.identityType, type != "app" {
      return .failed(
        Reason.tokenNotAppOnly, "the token's idtyp is '\(type)', not 'app'", evidence: claims.displayEvidence)
    }
    return .passed("app-only token (idtyp \(claims.identityType ?? "not set"), no scp)")
  }

  func tokenAudience(_ grant: TokenGrant) -> Outcome {
    let audiences = grant.claims.audiences
    if audiences.contains(where: BusinessCentral.audiences.contains) {
      return .passed("aud \(audiences.joined(separator: ", "))")
    }
    return .failed(
      Reason.tokenAudienceNotBc,
      "the token's aud is \(audiences.isEmpty ? "missing" : audiences.joined(separator: ", ")), not \(BusinessCentral.resource); request the scope \(BusinessCentral.scope)",
      evidence: grant.claims.displayEvidence)
  }

  func tokenTenant(_ grant: TokenGrant) async -> Outcome {
    guard case .success(let discovery) = await discovery() else { return .skipped("tenant discovery failed") }
    guard let tid = grant.claims.tenantID?.lowercased() else {
      return .failed(Reason.tokenTenantMismatch, "the token has no tid claim", evidence: grant.claims.displayEvidence)
    }
    if tid == discovery.tenantID.lowercased() { return .passed("tid \(tid) is the checked tenant") }
    return .failed(
      Reason.tokenTenantMismatch,
      "the token was issued by tenant \(tid), but the checked tenant is \(discovery.tenantID); request the token at https://…/\(discovery.tenantID)/oauth2/v2.0/token",
      evidence: grant.claims.displayEvidence)
  }

  func tokenRoles(_ grant: TokenGrant) -> Outcome {
    guard let roles = grant.claims.roles, !roles.isEmpty else {
      return .failed(
        Reason.tokenRolesMissing,
        "the token has no roles claim: admin consent was not granted for any Business Central application permission (consent URL: \(settings.adminConsentURL ?? "n/a"))",
        evidence: grant.claims.displayEvidence)
    }
    if !roles.contains(BusinessCentral.apiRole) {
      return .failed(
        Reason.tokenApiRoleMissing, "roles are \(roles.joined(separator: ", ")); \(BusinessCentral.apiRole) is missing",
        evidence: grant.claims.displayEvidence)
    }
    if settings.checkAutomation && !roles.contains(BusinessCentral.automationRole) {
      return .failed(
        Reason.tokenAutomationRoleMissing,
        "roles are \(roles.joined(separator: ", ")); \(BusinessCentral.automationRole) is missing (the automation API is in scope; pass --no-automation if it is not needed)",
        evidence: grant.claims.displayEvidence)
    }
    return .passed("roles: \(roles.joined(separator: ", "))")
  }

  func tokenClock(_ grant: TokenGrant) -> Outcome {
    if let server = grant.serverDate,
      let outcome = Self.expired(grant, at: server, by: "the token endpoint's Date", what: "Entra returned")
    {
      return outcome
    }
    guard let server = grant.serverDate else {
      return .passed("the token endpoint sent no Date header; skew not measured")
    }
    let skew = grant.receivedAt.timeIntervalSince(server)
    let minutes = Int((abs(skew) / 60).rounded())
    if abs(skew) > 300 {
      return .failed(
        Reason.tokenClockSkew,
        "this machine's clock is \(minutes) minutes \(skew > 0 ? "ahead of" : "behind") Entra ID's (server Date \(grant.serverDate.map { ISO8601DateFormatter().string(from: $0) } ?? "?")); fix the time sync (NTP)",
        evidence: [.init("clock.skewSeconds", String(Int(skew)))])
    }
    return .passed("clock within \(Int(abs(skew))) s of Entra ID")
  }

  /// `token.expired` when the token's `exp` is not after `moment` (a server's `Date`, or now):
  /// the token sent was stale, whatever the registration is like.
  static func expired(_ grant: TokenGrant, at moment: Date, by clock: String, what: String = "sent") -> Outcome? {
    guard let exp = grant.claims.expires, exp <= moment else { return nil }
    let format = ISO8601DateFormatter()
    let minutes = Int((moment.timeIntervalSince(exp) / 60).rounded())
    return .failed(
      Reason.tokenExpired,
      "the token \(what) had expired: exp \(format.string(from: exp)) is \(minutes) minutes before \(clock) (\(format.string(from: moment))); a stale token is refused whatever the registration is like, so request a new one",
      evidence: grant.claims.displayEvidence)
  }

  /// A 401 for a token that had expired when the service answered is the token's staleness, not
  /// the app's standing in Business Central.
  func expiredOnArrival(_ response: HTTPResponse, grant: TokenGrant) -> Outcome? {
    guard response.status == 401 else { return nil }
    guard var outcome = Self.expired(grant, at: response.serverDate ?? Date(), by: "the service's Date") else {
      return nil
    }
    outcome.evidence = Classifier.evidence(response, prefix: "response") + outcome.evidence
    return outcome
  }

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

  func bcAutomation(_ check: CheckDeclaration) async throws -> Outcome {
    guard case .success(let grant) = await token() else { return .skipped("no token") }
    if let roles = grant.claims.roles, !roles.contains(BusinessCentral.automationRole) {
      return Outcome(
        .skipped, detail: "skipped: needs \(BusinessCentral.automationRole), which the token lacks (see token.roles)")
    }
    let url = withTenantParameter(await environmentBase() + "/api/microsoft/automation/v2.0/companies")
    let response: HTTPResponse
    do { response = try await bcGET(url, grant: grant) } catch { return Self.wrap(error).outcome }
    if let stale = expiredOnArrival(response, grant: grant) { return stale }
    if response.status == 200, response.json?["value"] != nil {
      return .passed(
        "automation API answered \(response.json?["value"]?.array?.count ?? 0) companies",
        evidence: Classifier.evidence(response, prefix: "automation"))
    }
    let text = SearchableText(response.text)
    let permissionText = ["do not have the following permissions", "current permissions prevented"].contains {
      text.contains(phrase: $0)
    }
    if [401, 403].contains(response.status) || (response.status == 400 && permissionText) {
      return .failed(
        Reason.bcAutomationPermissionMissing,
        "the data API works but the automation API answered HTTP \(response.status): assign D365 AUTOMATION (and EXTEN. MGT. - ADMIN for extensions) to the app on its Microsoft Entra Application Card",
        evidence: Classifier.evidence(response, prefix: "automation"))
    }
    return Classifier.classify(
      response, endpoint: "automation", allowed: check.reasons,
      fallback: Reason.bcUnknownError, prefix: "automation")
  }

  func bcCustomAPI(_ check: CheckDeclaration) async throws -> Outcome {
    guard case .success(let grant) = await token(), var path = settings.apiPath else { return .skipped("no token") }
    if !path.hasPrefix("/") { path = "/" + path }
    let url = withTenantParameter(await environmentBase() + path)
    let response: HTTPResponse
    do { response = try await bcGET(url, grant: grant) } catch { return Self.wrap(error).outcome }
    if let stale = expiredOnArrival(response, grant: grant) { return stale }
    if (200..<300).contains(response.status), Classifier.isServiceAnswer(response) {
      return .passed(
        "\(path) answered HTTP \(response.status)", evidence: Classifier.evidence(response, prefix: "customApi"))
    }
    if response.status == 404, Classifier.isServiceAnswer(response) {
      return .failed(
        Reason.bcEndpointNotFound,
        "\(path) answered HTTP 404: wrong route or API version, or the API's extension is not installed",
        evidence: Classifier.evidence(response, prefix: "customApi"))
    }
    return Classifier.classify(
      response, endpoint: "bc-api", allowed: check.reasons,
      fallback: Reason.bcUnknownError, prefix: "customApi")
  }

  func bcAdmin(_ check: CheckDeclaration) async throws -> Outcome {
    guard case .success(let grant) = await token() else { return .skipped("no token") }
    let url = "\(settings.bcAPIHost)/admin/v2.24/applications/BusinessCentral/environments"
    let response: HTTPResponse
    do { response = try await bcGET(url, grant: grant) } catch { return Self.wrap(error).outcome }
    if let stale = expiredOnArrival(response, grant: grant) { return stale }
    let evidence = Classifier.evidence(response, prefix: "admin")
    if response.status == 200, let list = response.json?["value"]?.array {
      let names = list.compactMap { $0["name"]?.string }
      if names.contains(where: { $0.caseInsensitiveCompare(settings.environment) == .orderedSame }) {
        return .passed(
          "admin center lists \(names.count) environments, including \(settings.environment)", evidence: evidence)
      }
      return .failed(
        Reason.bcEnvironmentNotFound,
        "the admin center lists \(names.isEmpty ? "no environments" : names.joined(separator: ", ")) but not '\(settings.environment)'",
        evidence: evidence)
    }
    if [401, 403].contains(response.status) {
      return .failed(
        Reason.adminAppNotAuthorized,
        "the admin center API answered HTTP \(response.status): add the app on the admin center's Authorized Microsoft Entra apps page and grant AdminCenter.ReadWrite.All",
        evidence: evidence)
    }
    return Classifier.classify(
      response, endpoint: "admin", allowed: check.reasons,
      fallback: Reason.bcUnknownError, prefix: "admin")
  }
}

extension Outcome {
  static func skipped(_ detail: String) -> Outcome { Outcome(.skipped, detail: detail) }
}
