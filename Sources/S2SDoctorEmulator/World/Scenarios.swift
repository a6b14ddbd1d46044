import S2SDoctorCore

/// The emulated world: fixed tenants, and one client per scenario.
///
/// Scenarios are picked by identity (tenant, client id, environment and the other flags in
/// `args`), so one running emulator serves all of them at once.
enum World {
  /// The healthy tenant that almost every scenario uses.
  static let mainTenantID = StableID.guid("tenant/cronus")
  static let mainTenantDomain = "cronus-ok.onmicrosoft.com"
  /// The app's home tenant, for `token.tenant-mismatch`.
  static let homeTenantID = StableID.guid("tenant/fabrikam-home")
  /// A tenant that lives in the US Government cloud.
  static let govTenantID = StableID.guid("tenant/cronus-gov")
  /// A GUID no tenant has.
  static let unknownTenantID = StableID.guid("tenant/nowhere")
  /// The client that `--scenario NAME` reconfigures; listed as scenario `default`.
  static let defaultClientID = "11111111-1111-1111-1111-111111111111"
  static let defaultScenarioName = "default"

  static func tenants() -> [Tenant] {
    [
      Tenant(
        id: mainTenantID, domain: mainTenantDomain, displayName: "CRONUS Emulated",
        cloudInstanceName: "microsoftonline.com", regionScope: "WW",
        environments: [
          BCEnvironment(
            name: "production", type: "Production", status: "Active", accessible: true,
            companies: [company("CRONUS USA, Inc.", seed: "cronus/production")]),
          BCEnvironment(
            name: "sandbox", type: "Sandbox", status: "Active", accessible: true,
            companies: [company("CRONUS USA, Inc.", seed: "cronus/sandbox")]),
          BCEnvironment(
            name: "updating", type: "Production", status: "Upgrading", accessible: false,
            companies: [company("CRONUS USA, Inc.", seed: "cronus/updating")]),
        ]),
      Tenant(
        id: homeTenantID, domain: "fabrikam-home.onmicrosoft.com", displayName: "Fabrikam Home",
        cloudInstanceName: "microsoftonline.com", regionScope: "WW",
        environments: [
          BCEnvironment(
            name: "production", type: "Production", status: "Active", accessible: true,
            companies: [company("Fabrikam, Inc.", seed: "fabrikam/production")])
        ]),
      Tenant(
        id: govTenantID, domain: "cronus-gov.onmicrosoft.us", displayName: "CRONUS Government",
        cloudInstanceName: "microsoftonline.us", regionScope: "USGov", environments: []),
    ]
  }

  private static func company(_ name: String, seed: String) -> Company {
    Company(id: StableID.guid("company/" + seed), name: name, displayName: name)
  }

  static func clientID(forScenario name: String) -> String { StableID.guid("client/" + name) }

  /// A secret in Entra's 40-character style that holds `+ / % ~ =`, so that a client which does
  /// not form-encode it fails.
  static func secret(forScenario name: String) -> String {
    let a = StableID.alphanumeric("secret/\(name)", count: 32)
    let c = Array(a)
    return String(c[0..<3]) + "8Q~" + String(c[3..<14]) + "+" + String(c[14..<22]) + "/"
      + String(c[22..<28]) + "%3D" + String(c[28..<32]) + "=="
  }
}

/// Where a scenario's `--tenant` points.
enum TenantArgument: Sendable {
  case main
  case mainDomain
  case unknown
  case gov
  case literal(String)

  var value: String {
    switch self {
    case .main: World.mainTenantID
    case .mainDomain: World.mainTenantDomain
    case .unknown: World.unknownTenantID
    case .gov: World.govTenantID
    case .literal(let text): text
    }
  }
}

/// What a scenario hands the tool as its credential.
enum CredentialArgument: Sendable {
  /// The registered secret.
  case secret
  /// A well-formed secret that is not the registered one.
  case wrongSecret
  /// The registered secret with a trailing line break.
  case secretWithNewline
  /// `AZURE_CLIENT_SECRET` set to the empty string.
  case emptySecret
  /// A GUID (what a secret ID looks like).
  case secretID
  /// `--certificate` with the registered certificate and key.
  case certificate
  /// `--certificate` with a certificate that is not registered.
  case rogueCertificate
}

/// Where a scenario's `--authority-host` points.
enum AuthorityArgument: Sendable {
  case emulator
  /// A loopback port that was free and is closed.
  case refusedPort
  /// A loopback port that accepts TCP and never answers.
  case silentPort
}

/// One scenario: who the tool is told to be, and how the services treat that identity.
struct ScenarioSpec: Sendable {
  var name: String
  var expect: String
  var tenant: TenantArgument = .main
  /// A literal `--client-id` (an invalid one); `nil`: the scenario's own client.
  var clientLiteral: String? = nil
  /// `false`: the client exists in no tenant.
  var registered = true
  var credential: CredentialArgument = .secret
  var secretExpired = false
  var tokenEndpoint: TokenEndpointBehaviour = .issue
  var token = TokenShape()
  var dateOffset = 0
  var bc: BCBehaviour = .accept
  var adminAuthorized = false
  var graph = GraphRegistration()
  var extraArgs: [String] = []
  var authority: AuthorityArgument = .emulator
  /// `false`: leave `--ca-file` out (only meaningful over HTTPS).
  var trustsCA = true
  /// Only listed when the emulator serves HTTPS.
  var needsTLS = false

  /// The client this scenario registers (the default client for `default`).
  var ownClientID: String {
    name == World.defaultScenarioName ? World.defaultClientID : World.clientID(forScenario: name)
  }

  /// The `--client-id` the tool is given.
  var clientID: String { clientLiteral ?? ownClientID }

  var credentialIsCertificate: Bool {
    switch credential {
    case .certificate, .rogueCertificate: true
    default: false
    }
  }
}

extension ScenarioSpec {
  /// Every scenario, in the order the catalogue lists reasons.
  static let all: [ScenarioSpec] = {
    var list: [ScenarioSpec] = []
    func add(_ name: String, _ expect: String, _ configure: (inout ScenarioSpec) -> Void = { _ in }) {
      var spec = ScenarioSpec(name: name, expect: expect)
      configure(&spec)
      list.append(spec)
    }
    let adminRoles = Facts.standardRoles + [Facts.adminRole]

    add("ok", "passed")
    add("ok-domain", "passed") { $0.tenant = .mainDomain }
    add("ok-certificate", "passed") { $0.credential = .certificate }
    add("ok-admin", "passed") {
      $0.extraArgs = ["--admin"]
      $0.token.roles = adminRoles
      $0.adminAuthorized = true
    }

    add(Reason.inputTenantInvalid, Reason.inputTenantInvalid) { $0.tenant = .literal("<tenant id>") }
    add(Reason.inputTenantNotSpecific, Reason.inputTenantNotSpecific) { $0.tenant = .literal("common") }
    add(Reason.inputClientIdInvalid, Reason.inputClientIdInvalid) { $0.clientLiteral = "my-app" }
    add(Reason.inputSecretMissing, Reason.inputSecretMissing) { $0.credential = .emptySecret }
    add(Reason.inputSecretLooksLikeId, Reason.inputSecretLooksLikeId) { $0.credential = .secretID }
    add(Reason.inputSecretHasStrayCharacters, Reason.inputSecretHasStrayCharacters) {
      $0.credential = .secretWithNewline
    }
    add(Reason.inputEnvironmentInvalid, Reason.inputEnvironmentInvalid) {
      $0.extraArgs = ["--environment", "prod env!"]
    }
    add(Reason.inputRedirectUriNotOauthlanding, Reason.inputRedirectUriNotOauthlanding) {
      $0.extraArgs = ["--redirect-uri", "https://businesscentral.dynamics.com/landing.htm"]
    }
    add(Reason.inputRedirectUriOnlineMismatch, Reason.inputRedirectUriOnlineMismatch) {
      $0.extraArgs = ["--redirect-uri", "https://contoso.example/OAuthLanding.htm"]
    }
    add(Reason.inputRedirectUriDefaultPort, Reason.inputRedirectUriDefaultPort) {
      $0.extraArgs = ["--redirect-uri", "https://businesscentral.dynamics.com:443/OAuthLanding.htm"]
    }
    add(Reason.inputRedirectUriInvalid, Reason.inputRedirectUriInvalid) {
      $0.extraArgs = ["--redirect-uri", "http://businesscentral.dynamics.com/OAuthLanding.htm"]
    }

    add(Reason.entraTenantNotFound, Reason.entraTenantNotFound) { $0.tenant = .unknown }
    add(Reason.entraTenantInOtherCloud, Reason.entraTenantInOtherCloud) { $0.tenant = .gov }
    // The tenant resolves, but the token endpoint does not serve it. Entra's AADSTS90002 text
    // names the case: "this may happen if there are no active subscriptions for the tenant"
    // (unverified: no captured discovery answer for such a tenant).
    add("entra.tenant-not-found-token", Reason.entraTenantNotFound) {
      $0.tokenEndpoint = .error(.tenantNotFound(World.mainTenantID, discovery: false))
    }
    // The tenant is in this cloud; the app was registered in another one.
    add("entra.tenant-in-other-cloud-app", Reason.entraTenantInOtherCloud) {
      $0.tokenEndpoint = .error(.crossCloudClient)
    }
    add(Reason.entraAppNotFound, Reason.entraAppNotFound) { $0.registered = false }
    add(Reason.entraSecretInvalid, Reason.entraSecretInvalid) { $0.credential = .wrongSecret }
    add(Reason.entraSecretExpired, Reason.entraSecretExpired) { $0.secretExpired = true }
    add(Reason.entraCredentialMissing, Reason.entraCredentialMissing) {
      $0.tokenEndpoint = .error(.credentialMissing)
    }
    add(Reason.entraTenantNotSpecified, Reason.entraTenantNotSpecified) {
      $0.tokenEndpoint = .error(.tenantNotSpecified)
    }
    add(Reason.entraScopeInvalid, Reason.entraScopeInvalid) {
      $0.tokenEndpoint = .error(.scopeInvalid(Facts.bcResource))
    }
    add(Reason.entraResourceNotFound, Reason.entraResourceNotFound) {
      $0.tokenEndpoint = .error(.resourceNotFound(Facts.bcResource, tenantName: World.mainTenantDomain))
    }
    add(Reason.entraAppDisabled, Reason.entraAppDisabled) {
      $0.tokenEndpoint = .error(
        .appDisabled(World.clientID(forScenario: Reason.entraAppDisabled), name: "S2S Doctor entra.app-disabled"))
    }
    add(Reason.entraConditionalAccess, Reason.entraConditionalAccess) {
      $0.tokenEndpoint = .error(.conditionalAccess)
    }
    add(Reason.entraCertificateRejected, Reason.entraCertificateRejected) {
      $0.credential = .rogueCertificate
    }
    add(Reason.entraThrottled, Reason.entraThrottled) { $0.tokenEndpoint = .throttled }
    add(Reason.entraUnavailable, Reason.entraUnavailable) { $0.tokenEndpoint = .unavailable }
    add(Reason.entraUnknownError, Reason.entraUnknownError) { $0.tokenEndpoint = .error(.unknown) }

    add(Reason.tokenAudienceNotBc, Reason.tokenAudienceNotBc) {
      $0.token.audience = "https://graph.microsoft.com"
    }
    // Where Graph shows the registration, registration.permissions names the more specific
    // reason; these three are what the tool says when it cannot read the registration.
    add(Reason.tokenRolesMissing, Reason.tokenRolesMissing) {
      $0.token.roles = nil
      $0.graph.access = .forbidden
    }
    add(Reason.tokenApiRoleMissing, Reason.tokenApiRoleMissing) {
      $0.token.roles = [Facts.automationRole]
      $0.graph.access = .forbidden
    }
    add(Reason.tokenAutomationRoleMissing, Reason.tokenAutomationRoleMissing) {
      $0.token.roles = [Facts.apiRole]
      $0.graph.access = .forbidden
    }
    add(Reason.tokenTenantMismatch, Reason.tokenTenantMismatch) { $0.token.issuingTenant = World.homeTenantID }
    add(Reason.tokenNotAppOnly, Reason.tokenNotAppOnly) { $0.token.delegated = true }
    add(Reason.tokenClockSkew, Reason.tokenClockSkew) { $0.dateOffset = 600 }

    add(Reason.bcAppNotAccepted, Reason.bcAppNotAccepted) { $0.bc = .notRegistered }
    add(Reason.bcPermissionMissing, Reason.bcPermissionMissing) { $0.bc = .permissionMissing }
    add(Reason.bcNoCompaniesVisible, Reason.bcNoCompaniesVisible) { $0.bc = .noCompanies }
    add(Reason.bcAutomationPermissionMissing, Reason.bcAutomationPermissionMissing) {
      $0.bc = .automationPermissionMissing
    }
    add(Reason.bcEnvironmentNotFound, Reason.bcEnvironmentNotFound) {
      $0.extraArgs = ["--environment", "nosuchenv"]
    }
    add(Reason.bcCompanyNotFound, Reason.bcCompanyNotFound) {
      $0.extraArgs = ["--company", "No Such Company"]
    }
    add("ok-company", "passed") { $0.extraArgs = ["--company", "CRONUS USA, Inc."] }
    add(Reason.bcEndpointNotFound, Reason.bcEndpointNotFound) {
      $0.extraArgs = ["--api-path", "/api/contoso/sales/v9.0/companies"]
    }
    add("ok-custom-api", "passed") { $0.extraArgs = ["--api-path", "/api/contoso/sales/v1.0/companies"] }
    add(Reason.bcTenantUnavailable, Reason.bcTenantUnavailable) {
      $0.extraArgs = ["--environment", "updating"]
    }
    add(Reason.bcThrottled, Reason.bcThrottled) { $0.bc = .throttled }
    add(Reason.bcUnavailable, Reason.bcUnavailable) { $0.bc = .unavailable }
    add(Reason.bcServerError, Reason.bcServerError) { $0.bc = .serverError }
    add(Reason.bcRequestMalformed, Reason.bcRequestMalformed) { $0.bc = .badRequest }
    add(Reason.adminAppNotAuthorized, Reason.adminAppNotAuthorized) {
      $0.extraArgs = ["--admin"]
      $0.token.roles = adminRoles
    }

    add(Reason.registrationGraphRefused, Reason.registrationGraphRefused) { $0.graph.access = .forbidden }
    add("registration.graph-refused-token", Reason.registrationGraphRefused) { $0.graph.access = .tokenBlocked }
    add(Reason.registrationCredentialExpiring, Reason.registrationCredentialExpiring) {
      $0.graph.secretDaysLeft = 12
      $0.graph.otherSecrets = [.init(displayName: "old pipeline secret", daysLeft: 20)]
    }
    add("registration.credential-expiring-certificate", Reason.registrationCredentialExpiring) {
      $0.credential = .certificate
      $0.graph.certificateDaysLeft = 5
    }
    add(Reason.registrationPermissionNotAdded, Reason.registrationPermissionNotAdded) {
      $0.token.roles = [Facts.automationRole]
      $0.graph.configuredRoles = [Facts.automationRole]
    }
    add(Reason.registrationPermissionNotConsented, Reason.registrationPermissionNotConsented) {
      $0.token.roles = [Facts.automationRole]
      $0.graph.configuredRoles = [Facts.apiRole, Facts.automationRole]
    }
    // Just after an administrator disabled the enterprise application: Graph shows it at once,
    // while the token service still issues tokens until the change has replicated to it.
    add("entra.app-disabled-replicating", Reason.entraAppDisabled) { $0.graph.accountEnabled = false }
    add("ok-redirect-uri", "passed") { $0.extraArgs = ["--redirect-uri", Facts.oauthLanding] }
    add(Reason.registrationRedirectUriMissing, Reason.registrationRedirectUriMissing) {
      $0.extraArgs = ["--redirect-uri", Facts.oauthLanding]
      $0.graph.redirectURIs = ["https://localhost:8080/"]
    }
    add(Reason.registrationSingleTenant, Reason.registrationSingleTenant) {
      $0.extraArgs = ["--multi-tenant"]
      $0.graph.signInAudience = "AzureADMyOrg"
    }
    add("ok-multi-tenant", "passed") {
      $0.extraArgs = ["--multi-tenant"]
      $0.graph.signInAudience = "AzureADMultipleOrgs"
    }

    add(Reason.networkTlsUntrusted, Reason.networkTlsUntrusted) {
      $0.trustsCA = false
      $0.needsTLS = true
    }
    add(Reason.networkConnectionRefused, Reason.networkConnectionRefused) { $0.authority = .refusedPort }
    add(Reason.networkTimeout, Reason.networkTimeout) {
      $0.authority = .silentPort
      $0.extraArgs = ["--timeout", "1"]
    }
    add(Reason.networkUnexpectedResponse, Reason.networkUnexpectedResponse) {
      $0.tokenEndpoint = .htmlPage(status: 200)
    }
    add(Reason.networkProxyAuthRequired, Reason.networkProxyAuthRequired) {
      $0.tokenEndpoint = .proxyAuthRequired
    }

    add("fault.html-error-page", Reason.networkUnexpectedResponse) {
      $0.tokenEndpoint = .htmlPage(status: 502)
    }
    add("fault.truncated-json", Reason.networkUnexpectedResponse) { $0.tokenEndpoint = .truncatedJSON }
    add("fault.invalid-jwt", Reason.networkUnexpectedResponse) { $0.tokenEndpoint = .invalidJWT }
    add("fault.alg-none", Reason.bcAppNotAccepted) { $0.token.unsigned = true }
    add("fault.expired-token", Reason.tokenExpired) { $0.token.expired = true }
    add("fault.drip", Reason.networkTimeout) {
      $0.tokenEndpoint = .drip
      $0.extraArgs = ["--timeout", "2"]
    }
    add("fault.reset", Reason.networkUnexpectedResponse) { $0.tokenEndpoint = .reset }
    add("fault.huge-body", Reason.networkUnexpectedResponse) { $0.bc = .hugeBody }
    add("fault.wrong-content-type", Reason.bcAppNotAccepted) { $0.bc = .xmlUnauthorized }
    add("fault.redirect-loop", Reason.networkUnexpectedResponse) { $0.bc = .redirectLoop }
    add("fault.redirect-other-host", Reason.networkUnexpectedResponse) { $0.bc = .redirectOtherHost }
    return list
  }()

  static func named(_ name: String) -> ScenarioSpec? { all.first { $0.name == name } }

  /// The scenario `default`: the fixed default client, behaving as `base`.
  static func defaultScenario(behavingAs base: ScenarioSpec) -> ScenarioSpec {
    var spec = base
    spec.name = World.defaultScenarioName
    // Messages that name the client must name the default client.
    if case .error(let error) = base.tokenEndpoint, error.code == 7000112 {
      spec.tokenEndpoint = .error(.appDisabled(World.defaultClientID, name: "S2S Doctor default"))
    }
    return spec
  }

  /// The registration behind this scenario, or `nil` when the client is meant to be unknown.
  func registration(keys: KeyMaterial) -> ClientRegistration? {
    guard registered else { return nil }
    var registration = ClientRegistration(
      clientID: ownClientID,
      tenantID: World.mainTenantID,
      displayName: "S2S Doctor \(name)",
      objectID: StableID.guid("object/" + name),
      secret: credentialIsCertificate ? nil : World.secret(forScenario: name))
    if credentialIsCertificate { registration.certificates = [keys.clientCertificate.verifying] }
    registration.secretExpired = secretExpired
    registration.tokenEndpoint = tokenEndpoint
    registration.token = token
    registration.dateOffset = dateOffset
    registration.bc = bc
    registration.adminAuthorized = adminAuthorized
    registration.graph = graph
    return registration
  }
}

/// What the emulator knows when it writes the scenario list.
struct ScenarioContext: Sendable {
  var baseURL: String
  /// Absolute path of the CA PEM; `nil` over plain HTTP.
  var caFile: String?
  var refusedAuthority: String
  var silentAuthority: String
  var clientCertificateFile: String
  var rogueCertificateFile: String
}

extension ScenarioSpec {
  /// The flags and environment that point `s2s-doctor check` at this scenario.
  func info(in context: ScenarioContext) -> ScenarioInfo {
    var args = ["--tenant", tenant.value, "--client-id", clientID]
    let authorityHost: String
    switch authority {
    case .emulator: authorityHost = context.baseURL
    case .refusedPort: authorityHost = context.refusedAuthority
    case .silentPort: authorityHost = context.silentAuthority
    }
    args += ["--authority-host", authorityHost, "--bc-api-host", context.baseURL]
    if trustsCA, let caFile = context.caFile { args += ["--ca-file", caFile] }
    var env: [String: String] = [:]
    let secret = World.secret(forScenario: name)
    switch credential {
    case .secret: env["AZURE_CLIENT_SECRET"] = secret
    case .wrongSecret: env["AZURE_CLIENT_SECRET"] = World.secret(forScenario: name + "/not-registered")
    case .secretWithNewline: env["AZURE_CLIENT_SECRET"] = secret + "\n"
    case .emptySecret: env["AZURE_CLIENT_SECRET"] = ""
    case .secretID: env["AZURE_CLIENT_SECRET"] = StableID.guid("secret-id/" + name)
    case .certificate: args += ["--certificate", context.clientCertificateFile]
    case .rogueCertificate: args += ["--certificate", context.rogueCertificateFile]
    }
    return ScenarioInfo(expect: expect, args: args + extraArgs, env: env)
  }
}
