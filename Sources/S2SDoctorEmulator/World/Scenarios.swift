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

    add("input.tenant-invalid", "input.tenant-invalid") { $0.tenant = .literal("<tenant id>") }
    add("input.tenant-not-specific", "input.tenant-not-specific") { $0.tenant = .literal("common") }
    add("input.client-id-invalid", "input.client-id-invalid") { $0.clientLiteral = "my-app" }
    add("input.secret-missing", "input.secret-missing") { $0.credential = .emptySecret }
    add("input.secret-looks-like-id", "input.secret-looks-like-id") { $0.credential = .secretID }
    add("input.secret-has-stray-characters", "input.secret-has-stray-characters") {
      $0.credential = .secretWithNewline
    }
    add("input.environment-invalid", "input.environment-invalid") {
      $0.extraArgs = ["--environment", "prod env!"]
    }
    add("input.redirect-uri-not-oauthlanding", "input.redirect-uri-not-oauthlanding") {
      $0.extraArgs = ["--redirect-uri", "https://businesscentral.dynamics.com/landing.htm"]
    }
    add("input.redirect-uri-online-mismatch", "input.redirect-uri-online-mismatch") {
      $0.extraArgs = ["--redirect-uri", "https://contoso.example/OAuthLanding.htm"]
    }
    add("input.redirect-uri-default-port", "input.redirect-uri-default-port") {
      $0.extraArgs = ["--redirect-uri", "https://businesscentral.dynamics.com:443/OAuthLanding.htm"]
    }
    add("input.redirect-uri-invalid", "input.redirect-uri-invalid") {
      $0.extraArgs = ["--redirect-uri", "http://businesscentral.dynamics.com/OAuthLanding.htm"]
    }

    add("entra.tenant-not-found", "entra.tenant-not-found") { $0.tenant = .unknown }
    add("entra.tenant-in-other-cloud", "entra.tenant-in-other-cloud") { $0.tenant = .gov }
    // The tenant resolves, but the token endpoint does not serve it. Entra's AADSTS90002 text
    // names the case: "this may happen if there are no active subscriptions for the tenant"
    // (unverified: no captured discovery answer for such a tenant).
    add("entra.tenant-not-found-token", "entra.tenant-not-found") {
      $0.tokenEndpoint = .error(.tenantNotFound(World.mainTenantID, discovery: false))
    }
    // The tenant is in this cloud; the app was registered in another one.
    add("entra.tenant-in-other-cloud-app", "entra.tenant-in-other-cloud") {
      $0.tokenEndpoint = .error(.crossCloudClient)
    }
    add("entra.app-not-found", "entra.app-not-found") { $0.registered = false }
    add("entra.secret-invalid", "entra.secret-invalid") { $0.credential = .wrongSecret }
    add("entra.secret-expired", "entra.secret-expired") { $0.secretExpired = true }
    add("entra.credential-missing", "entra.credential-missing") {
      $0.tokenEndpoint = .error(.credentialMissing)
    }
    add("entra.tenant-not-specified", "entra.tenant-not-specified") {
      $0.tokenEndpoint = .error(.tenantNotSpecified)
    }
    add("entra.scope-invalid", "entra.scope-invalid") {
      $0.tokenEndpoint = .error(.scopeInvalid(Facts.bcResource))
    }
    add("entra.resource-not-found", "entra.resource-not-found") {
      $0.tokenEndpoint = .error(.resourceNotFound(Facts.bcResource, tenantName: World.mainTenantDomain))
    }
    add("entra.app-disabled", "entra.app-disabled") {
      $0.tokenEndpoint = .error(
        .appDisabled(World.clientID(forScenario: "entra.app-disabled"), name: "S2S Doctor entra.app-disabled"))
    }
    add("entra.conditional-access", "entra.conditional-access") {
      $0.tokenEndpoint = .error(.conditionalAccess)
    }
    add("entra.certificate-rejected", "entra.certificate-rejected") {
      $0.credential = .rogueCertificate
    }
    add("entra.throttled", "entra.throttled") { $0.tokenEndpoint = .throttled }
    add("entra.unavailable", "entra.unavailable") { $0.tokenEndpoint = .unavailable }
    add("entra.unknown-error", "entra.unknown-error") { $0.tokenEndpoint = .error(.unknown) }

    add("token.audience-not-bc", "token.audience-not-bc") {
      $0.token.audience = "https://graph.microsoft.com"
    }
    // Where Graph shows the registration, registration.permissions names the more specific
    // reason; these three are what the tool says when it cannot read the registration.
    add("token.roles-missing", "token.roles-missing") {
      $0.token.roles = nil
      $0.graph.access = .forbidden
    }
    add("token.api-role-missing", "token.api-role-missing") {
      $0.token.roles = [Facts.automationRole]
      $0.graph.access = .forbidden
    }
    add("token.automation-role-missing", "token.automation-role-missing") {
      $0.token.roles = [Facts.apiRole]
      $0.graph.access = .forbidden
    }
    add("token.tenant-mismatch", "token.tenant-mismatch") { $0.token.issuingTenant = World.homeTenantID }
    add("token.not-app-only", "token.not-app-only") { $0.token.delegated = true }
    add("token.clock-skew", "token.clock-skew") { $0.dateOffset = 600 }

    add("bc.app-not-accepted", "bc.app-not-accepted") { $0.bc = .notRegistered }
    add("bc.permission-missing", "bc.permission-missing") { $0.bc = .permissionMissing }
    add("bc.no-companies-visible", "bc.no-companies-visible") { $0.bc = .noCompanies }
    add("bc.automation-permission-missing", "bc.automation-permission-missing") {
      $0.bc = .automationPermissionMissing
    }
    add("bc.environment-not-found", "bc.environment-not-found") {
      $0.extraArgs = ["--environment", "nosuchenv"]
    }
    add("bc.company-not-found", "bc.company-not-found") {
      $0.extraArgs = ["--company", "No Such Company"]
    }
    add("ok-company", "passed") { $0.extraArgs = ["--company", "CRONUS USA, Inc."] }
    add("bc.endpoint-not-found", "bc.endpoint-not-found") {
      $0.extraArgs = ["--api-path", "/api/contoso/sales/v9.0/companies"]
    }
    add("ok-custom-api", "passed") { $0.extraArgs = ["--api-path", "/api/contoso/sales/v1.0/companies"] }
    add("bc.tenant-unavailable", "bc.tenant-unavailable") {
      $0.extraArgs = ["--environment", "updating"]
    }
    add("bc.throttled", "bc.throttled") { $0.bc = .throttled }
    add("bc.unavailable", "bc.unavailable") { $0.bc = .unavailable }
    add("bc.server-error", "bc.server-error") { $0.bc = .serverError }
    add("bc.request-malformed", "bc.request-malformed") { $0.bc = .badRequest }
    add("admin.app-not-authorized", "admin.app-not-authorized") {
      $0.extraArgs = ["--admin"]
      $0.token.roles = adminRoles
    }

    add("registration.graph-refused", "registration.graph-refused") { $0.graph.access = .forbidden }
    add("registration.graph-refused-token", "registration.graph-refused") { $0.graph.access = .tokenBlocked }
    add("registration.credential-expiring", "registration.credential-expiring") {
      $0.graph.secretDaysLeft = 12
      $0.graph.otherSecrets = [.init(displayName: "old pipeline secret", daysLeft: 20)]
    }
    add("registration.credential-expiring-certificate", "registration.credential-expiring") {
      $0.credential = .certificate
      $0.graph.certificateDaysLeft = 5
    }
    add("registration.permission-not-added", "registration.permission-not-added") {
      $0.token.roles = [Facts.automationRole]
      $0.graph.configuredRoles = [Facts.automationRole]
    }
    add("registration.permission-not-consented", "registration.permission-not-consented") {
      $0.token.roles = [Facts.automationRole]
      $0.graph.configuredRoles = [Facts.apiRole, Facts.automationRole]
    }
    // Just after an administrator disabled the enterprise application: Graph shows it at once,
    // while the token service still issues tokens until the change has replicated to it.
    add("entra.app-disabled-replicating", "entra.app-disabled") { $0.graph.accountEnabled = false }
    add("ok-redirect-uri", "passed") { $0.extraArgs = ["--redirect-uri", Facts.oauthLanding] }
    add("registration.redirect-uri-missing", "registration.redirect-uri-missing") {
      $0.extraArgs = ["--redirect-uri", Facts.oauthLanding]
      $0.graph.redirectURIs = ["https://localhost:8080/"]
    }
    add("registration.single-tenant", "registration.single-tenant") {
      $0.extraArgs = ["--multi-tenant"]
      $0.graph.signInAudience = "AzureADMyOrg"
    }
    add("ok-multi-tenant", "passed") {
      $0.extraArgs = ["--multi-tenant"]
      $0.graph.signInAudience = "AzureADMultipleOrgs"
    }

    add("network.tls-untrusted", "network.tls-untrusted") {
      $0.trustsCA = false
      $0.needsTLS = true
    }
    add("network.connection-refused", "network.connection-refused") { $0.authority = .refusedPort }
    add("network.timeout", "network.timeout") {
      $0.authority = .silentPort
      $0.extraArgs = ["--timeout", "1"]
    }
    add("network.unexpected-response", "network.unexpected-response") {
      $0.tokenEndpoint = .htmlPage(status: 200)
    }
    add("network.proxy-auth-required", "network.proxy-auth-required") {
      $0.tokenEndpoint = .proxyAuthRequired
    }

    add("fault.html-error-page", "network.unexpected-response") {
      $0.tokenEndpoint = .htmlPage(status: 502)
    }
    add("fault.truncated-json", "network.unexpected-response") { $0.tokenEndpoint = .truncatedJSON }
    add("fault.invalid-jwt", "network.unexpected-response") { $0.tokenEndpoint = .invalidJWT }
    add("fault.alg-none", "bc.app-not-accepted") { $0.token.unsigned = true }
    add("fault.expired-token", "bc.app-not-accepted") { $0.token.expired = true }
    add("fault.drip", "network.timeout") {
      $0.tokenEndpoint = .drip
      $0.extraArgs = ["--timeout", "2"]
    }
    add("fault.reset", "network.unexpected-response") { $0.tokenEndpoint = .reset }
    add("fault.huge-body", "network.unexpected-response") { $0.bc = .hugeBody }
    add("fault.wrong-content-type", "bc.app-not-accepted") { $0.bc = .xmlUnauthorized }
    add("fault.redirect-loop", "network.unexpected-response") { $0.bc = .redirectLoop }
    add("fault.redirect-other-host", "network.unexpected-response") { $0.bc = .redirectOtherHost }
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
