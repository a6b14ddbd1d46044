import Foundation
import NIOConcurrencyHelpers

/// What administrators create through Graph while the emulator runs: applications, service
/// principals, app role assignments, client secrets, and the device codes of their sign-ins.
///
/// Objects created in a tenant with a replication lag stay invisible to reads (and to the token
/// endpoint) for that many seconds, as Entra ID's eventual consistency makes them.
final class GraphStore: Sendable {
  struct Password: Sendable {
    var keyID: String
    var displayName: String
    var secret: String
    var start: Int
    var end: Int
  }

  /// A certificate uploaded as a `keyCredentials` entry.
  struct Key: Sendable {
    var keyID: String
    var displayName: String
    var certificate: VerifyingCertificate
    var start: Int
    var end: Int
  }

  struct Application: Sendable {
    var objectID: String
    var appID: String
    var tenantID: String
    var displayName: String
    var signInAudience: String
    /// Business Central role ids in `requiredResourceAccess`.
    var roleIDs: [String]
    var redirectURIs: [String]
    var passwords: [Password] = []
    var keys: [Key] = []
    var createdAt: Int
  }

  struct ServicePrincipal: Sendable {
    var objectID: String
    var appID: String
    var tenantID: String
    var accountEnabled = true
    var createdAt: Int
  }

  struct Assignment: Sendable {
    var id: String
    var principalID: String
    var resourceID: String
    var appRoleID: String
    var createdAt: Int
  }

  enum DeviceBehaviour: Sendable {
    /// Pending on the first poll, approved on the next (the emulator signs in by itself).
    case approve
    /// `slow_down` on the first poll, then as `approve`.
    case slowDown
    case declined
    case expired
  }

  struct DeviceCode: Sendable {
    var deviceCode: String
    var userCode: String
    var clientID: String
    var tenantID: String
    var scope: String
    var issuedAt: Int
    var polls = 0
    var behaviour: DeviceBehaviour
  }

  struct State: Sendable {
    var applications: [String: Application] = [:]
    var servicePrincipals: [String: ServicePrincipal] = [:]
    var assignments: [Assignment] = []
    var deviceCodes: [String: DeviceCode] = [:]
    var authorizationCodes: [String: AuthorizationCode] = [:]
    /// The admin center's *Authorized Microsoft Entra apps*: app ids per tenant id (lowercased).
    var authorizedApps: [String: Set<String>] = [:]
  }

  /// A code `/authorize` handed to a loopback redirect, waiting to be redeemed with its verifier.
  struct AuthorizationCode: Sendable {
    var clientID: String
    var tenantID: String
    var redirectURI: String
    var scope: String
    var challenge: String
    var issuedAt: Int
  }

  let state = NIOLockedValueBox(State())
  /// Seconds new objects stay invisible, per tenant id.
  let lag: [String: Int]
  /// An app management policy's longest client secret lifetime in days, per tenant id.
  let maxSecretDays: [String: Int]

  /// Every token and secret handed out, when the emulator was asked to keep them (leak tests).
  let ledger: CredentialLedger?

  init(lag: [String: Int] = [:], maxSecretDays: [String: Int] = [:], ledger: CredentialLedger? = nil) {
    self.lag = lag
    self.maxSecretDays = maxSecretDays
    self.ledger = ledger
  }

  func lag(_ tenantID: String) -> Int { lag[tenantID.lowercased()] ?? 0 }

  func visible(createdAt: Int, tenantID: String, now: Int) -> Bool { now >= createdAt + lag(tenantID) }

  func withState<T>(_ body: (inout State) -> T) -> T { state.withLockedValue(body) }

  /// The Business Central service principal's object id in a tenant.
  static func bcServicePrincipalID(_ tenantID: String) -> String { StableID.guid("bc-sp/" + tenantID.lowercased()) }

  /// The key of an app's service principal in a tenant: a multitenant app has one per tenant
  /// that consented to it (its home tenant's first).
  static func spKey(_ appID: some StringProtocol, tenant: some StringProtocol) -> String {
    tenant.lowercased() + "/" + appID.lowercased()
  }

  /// A created app as the token endpoint and Business Central see it in `tenantID` (default:
  /// its home tenant), once replicated. In another tenant only a multitenant app with a service
  /// principal there is found; its roles are what that tenant granted.
  func client(
    _ clientID: some StringProtocol, presenting secret: String?, now: Int, tenantID: String? = nil
  ) -> ClientRegistration? {
    state.withLockedValue { state -> ClientRegistration? in
      let key = clientID.lowercased()
      guard let app = state.applications[key], visible(createdAt: app.createdAt, tenantID: app.tenantID, now: now)
      else { return nil }
      let tenant = (tenantID ?? app.tenantID).lowercased()
      guard tenant == app.tenantID.lowercased() || app.signInAudience != "AzureADMyOrg",
        let sp = state.servicePrincipals[Self.spKey(key, tenant: tenant)],
        visible(createdAt: sp.createdAt, tenantID: sp.tenantID, now: now)
      else { return nil }
      let live = app.passwords.filter { $0.end > now }
      let matching = live.first { $0.secret == secret } ?? live.first
      var registration = ClientRegistration(
        clientID: app.appID, tenantID: sp.tenantID, displayName: app.displayName, objectID: sp.objectID,
        secret: matching?.secret)
      if matching == nil, let expired = app.passwords.first(where: { $0.secret == secret }) {
        registration.secret = expired.secret
        registration.secretExpired = true
      }
      let bc = Self.bcServicePrincipalID(sp.tenantID)
      let roles = state.assignments.filter {
        $0.principalID == sp.objectID && $0.resourceID == bc
          && visible(createdAt: $0.createdAt, tenantID: sp.tenantID, now: now)
      }.compactMap { assignment in Facts.bcAppRoles.first { $0.id == assignment.appRoleID }?.value }
      registration.token.roles = roles.isEmpty ? nil : roles
      registration.certificates = app.keys.filter { $0.end > now }.map(\.certificate)
      registration.graph.signInAudience = app.signInAudience
      registration.graph.redirectURIs = app.redirectURIs
      registration.graph.accountEnabled = sp.accountEnabled
      registration.adminAuthorized = state.authorizedApps[tenant]?.contains(key) == true
      return registration
    }
  }

  /// A multitenant app from another tenant that has no service principal in `tenantID` yet.
  func lacksServicePrincipal(_ clientID: some StringProtocol, tenantID: String, now: Int) -> Bool {
    state.withLockedValue { state in
      guard let app = state.applications[clientID.lowercased()], app.signInAudience != "AzureADMyOrg",
        app.tenantID.lowercased() != tenantID.lowercased(),
        visible(createdAt: app.createdAt, tenantID: app.tenantID, now: now)
      else { return false }
      return state.servicePrincipals[Self.spKey(clientID, tenant: tenantID)] == nil
    }
  }
}

/// The credentials the emulator handed out, kept only when `EmulatorOptions.recordCredentials`
/// asks for it: a leak test then searches a command's output and files for each of them.
public final class CredentialLedger: Sendable {
  public enum Kind: String, Sendable {
    /// A delegated token of a setup tenant's administrator (device code).
    case adminToken
    /// An app-only token from the token endpoint (Business Central or Graph).
    case appToken
    /// A client secret created through Graph (`addPassword`).
    case secret
  }

  public struct Entry: Sendable, Equatable {
    public var kind: Kind
    public var value: String
  }

  private let entries = NIOLockedValueBox<[Entry]>([])

  public init() {}

  func record(_ kind: Kind, _ value: String) { entries.withLockedValue { $0.append(Entry(kind: kind, value: value)) } }

  /// Everything recorded so far, oldest first.
  public var all: [Entry] { entries.withLockedValue { $0 } }
}
