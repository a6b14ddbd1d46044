import _CryptoExtras

/// Facts about the real services that the emulator reproduces. Kept apart from the tool's own
/// constants on purpose: the emulator must not share the assumptions it is there to test.
enum Facts {
  static let bcResource = "https://api.businesscentral.dynamics.com"
  static let bcResourceAppID = "996def3d-b36c-4153-8607-a6fd3c01b89f"
  /// The `aud` values Business Central accepts in a v1 token.
  static let bcAudiences: Set<String> = [bcResource, bcResource + "/", bcResourceAppID]
  static let apiRole = "API.ReadWrite.All"
  static let automationRole = "Automation.ReadWrite.All"
  static let adminRole = "AdminCenter.ReadWrite.All"
  static let standardRoles = [automationRole, "app_access", apiRole]
  static let assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
  static let systemVersion = "24.0.16410.18056"
  /// Clock skew Business Central tolerates on `nbf`/`exp`.
  static let allowedSkew = 300
}

/// A Microsoft Entra tenant (directory) with its Business Central environments.
struct Tenant: Sendable {
  let id: String
  /// The verified domain that works as an alias of `id`.
  let domain: String
  let displayName: String
  /// `cloud_instance_name` of its discovery document.
  let cloudInstanceName: String
  /// `tenant_region_scope` of its discovery document.
  let regionScope: String
  let environments: [BCEnvironment]

  func environment(named name: String) -> BCEnvironment? {
    environments.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
  }

  /// Whether tokens for this tenant can be had from the global cloud the emulator plays.
  var isGlobalCloud: Bool { cloudInstanceName == "microsoftonline.com" }
}

struct BCEnvironment: Sendable {
  let name: String
  /// `Production` or `Sandbox`.
  let type: String
  /// Admin center status (`Active`, `Upgrading`, …).
  let status: String
  /// `false`: the data APIs answer `Internal_TenantUnavailable`.
  let accessible: Bool
  let companies: [Company]
}

struct Company: Sendable {
  let id: String
  let name: String
  let displayName: String
}

/// How the token endpoint treats a client before it looks at the credential.
enum TokenEndpointBehaviour: Sendable {
  /// Check the credential and issue a token.
  case issue
  /// Answer this Entra error whatever the request carries.
  case error(EntraError)
  /// 429 with `Retry-After` and an Entra-shaped body.
  case throttled
  /// 503 with `Retry-After` and an Entra-shaped body.
  case unavailable
  /// An HTML page (a captive portal or proxy page) with this status.
  case htmlPage(status: Int)
  /// 407 as if a proxy wanted credentials.
  case proxyAuthRequired
  /// 200 with JSON cut off in the middle.
  case truncatedJSON
  /// 200 with `access_token` that is not a JWT.
  case invalidJWT
  /// The whole response one byte per second.
  case drip
  /// Head and half the body, then the connection is closed.
  case reset
}

/// The shape of the access token issued to a client.
struct TokenShape: Sendable {
  /// `nil`: the requested resource.
  var audience: String? = nil
  /// `nil`: no `roles` claim at all.
  var roles: [String]? = Facts.standardRoles
  /// Issue the token as if from this tenant (`tid`/`iss`), not the one asked.
  var issuingTenant: String? = nil
  /// A delegated (user) token: `scp`, `idtyp` user.
  var delegated = false
  /// `alg: none` and no signature.
  var unsigned = false
  /// `exp` an hour in the past.
  var expired = false
}

/// How Business Central treats a client whose token it accepted.
enum BCBehaviour: Sendable, Equatable {
  case accept
  /// Not on the *Microsoft Entra Applications* page: 401.
  case notRegistered
  /// Registered without permission on the companies page: 400 `Internal_ServerError`.
  case permissionMissing
  /// Registered, but sees no company.
  case noCompanies
  /// Data APIs work; the automation API refuses.
  case automationPermissionMissing
  case throttled
  case unavailable
  /// 500 `Internal_ServerError` (SQL connection).
  case serverError
  /// 400 `BadRequest`: BC could not read the request (a query it cannot parse).
  case badRequest
  /// A 50 MB companies body.
  case hugeBody
  /// A 401 OData XML error with `application/xml`.
  case xmlUnauthorized
  /// 302 to the same URL.
  case redirectLoop
  /// 302 to another host name.
  case redirectOtherHost
}

/// One app registration (with its service principal) and how the emulated services treat it.
struct ClientRegistration: Sendable {
  var clientID: String
  /// The tenant the service principal lives in.
  var tenantID: String
  var displayName: String
  /// The service principal's object id (`oid`/`sub`).
  var objectID: String
  var secret: String?
  var secretExpired = false
  /// Registered certificate credentials.
  var certificates: [VerifyingCertificate] = []
  var tokenEndpoint: TokenEndpointBehaviour = .issue
  var token = TokenShape()
  /// Seconds added to the `Date` header of every response to this client.
  var dateOffset = 0
  var bc: BCBehaviour = .accept
  /// Listed on the admin center's *Authorized Microsoft Entra apps* page.
  var adminAuthorized = false
  /// What Microsoft Graph shows of the registration.
  var graph = GraphRegistration()
}

/// Every tenant and registration of one emulator run. Immutable once built.
struct Directory: Sendable {
  let tenants: [Tenant]
  private let tenantsByKey: [String: Tenant]
  private let clients: [String: ClientRegistration]

  init(tenants: [Tenant], registrations: [ClientRegistration]) {
    self.tenants = tenants
    var byKey: [String: Tenant] = [:]
    for tenant in tenants {
      byKey[tenant.id.lowercased()] = tenant
      byKey[tenant.domain.lowercased()] = tenant
    }
    self.tenantsByKey = byKey
    var clients: [String: ClientRegistration] = [:]
    for registration in registrations { clients[registration.clientID.lowercased()] = registration }
    self.clients = clients
  }

  /// The tenant a URL segment names: its GUID or its verified domain, any case.
  func tenant(_ segment: some StringProtocol) -> Tenant? { tenantsByKey[segment.lowercased()] }

  func tenant(id: String) -> Tenant? { tenantsByKey[id.lowercased()] }

  func client(_ clientID: some StringProtocol) -> ClientRegistration? {
    clients[clientID.lowercased()]
  }
}
