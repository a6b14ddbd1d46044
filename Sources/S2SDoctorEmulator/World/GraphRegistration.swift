import Foundation

/// Microsoft Graph facts the emulator reproduces (see docs/graph-treatment notes in the README).
extension Facts {
  static let graphResource = "https://graph.microsoft.com"
  static let graphResourceAppID = "00000003-0000-0000-c000-000000000000"
  static let graphAudiences: Set<String> = [graphResource, graphResource + "/", graphResourceAppID]
  static let oauthLanding = "https://businesscentral.dynamics.com/OAuthLanding.htm"

  /// Business Central's application roles as its service principal lists them (value, id).
  static let bcAppRoles: [(value: String, id: String)] = [
    (apiRole, "a42b0b75-311e-488d-b67e-8fe84f924341"),
    (automationRole, "d365bc00-a990-0000-00bc-160000000001"),
    (adminRole, "a20fe46f-4f63-4666-8e0e-9b882d90b837"),
    ("app_access", "3983b928-ed40-4111-bbad-e7910cf234bd"),
  ]

  static func bcRoleID(_ value: String) -> String? { bcAppRoles.first { $0.value == value }?.id }
}

/// How a registration's application object and service principal look through Graph, and how
/// Graph treats the app when it reads itself.
struct GraphRegistration: Sendable {
  enum Access: Sendable, Equatable {
    /// The app may read its own application object and service principal (the default).
    case allowed
    /// Graph answers 403 `Authorization_RequestDenied` (a tenant policy).
    case forbidden
    /// The token endpoint refuses a Graph token (AADSTS53003, Conditional Access for workload identities).
    case tokenBlocked
  }

  /// Another client secret on the same application (not the one the scenario uses).
  struct OtherSecret: Sendable {
    var displayName: String
    var daysLeft: Int
  }

  var access: Access = .allowed
  /// Days until the secret in use expires (negative: already expired).
  var secretDaysLeft = 400
  /// Days until the registered certificate expires.
  var certificateDaysLeft = 300
  var otherSecrets: [OtherSecret] = []
  /// The Business Central application permissions in `requiredResourceAccess`; `nil`: exactly
  /// the roles the token carries.
  var configuredRoles: [String]? = nil
  var redirectURIs: [String] = [Facts.oauthLanding]
  var signInAudience = "AzureADMyOrg"
  var accountEnabled = true
}
