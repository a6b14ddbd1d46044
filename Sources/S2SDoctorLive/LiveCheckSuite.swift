import Foundation
import S2SDoctorCore
import S2SDoctorOnPrem

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
  public func applies(_ check: CheckDeclaration) -> Bool { Self.applies(scope: check.scope, settings: settings) }

  static func applies(scope: String, settings: ConnectionSettings) -> Bool {
    switch scope {
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
  /// Reads failed answers with this run's catalogue.
  let explainer: Explainer
  var transportResult: Result<any HTTPSending, TransportFailure>?
  var discoveryTask: Task<Result<TenantDiscovery, OutcomeError>, Never>?
  var tokenTask: Task<Result<TokenGrant, OutcomeError>, Never>?
  /// The companies `bc.companies` listed (an `http` probe's `companies:` path).
  var companies: [JSONValue] = []
  /// The answer each `http` check got, for a later check's `answerOf`.
  var answers: [String: HTTPResponse] = [:]
  /// Facts `http` probes extracted, for later checks' URLs and words.
  var facts: [String: String] = [:]
  /// The registration as Graph shows it, read once for all `registration.*` checks.
  var registrationTask: Task<Result<RegistrationSnapshot, OutcomeError>, Never>?
  let ownsTransport: Bool
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
    self.explainer = Explainer(catalogue: catalogue)
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

  func onPremServerLog() -> Outcome { OnPremProbes.serverLog(settings: settings, catalogue: catalogue) }

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
}

extension Outcome {
  static func skipped(_ detail: String) -> Outcome { Outcome(.skipped, detail: detail) }
}
