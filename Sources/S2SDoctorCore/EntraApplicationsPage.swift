import Foundation

/// Task 2 in Business Central: the *Microsoft Entra Applications* page (9860) of one online
/// environment, and what an administrator does there for the app. Business Central has no API
/// for it, so the tool can only give the link and the checklist.
public struct EntraApplicationsPage: Codable, Sendable, Equatable {
  /// The environment's web client, opened on page 9860.
  public var url: String
  /// The steps on the page, in order, with the client ID filled in.
  public var checklist: [String]

  public init(url: String, checklist: [String]) {
    self.url = url
    self.checklist = checklist
  }

  /// The web client every online tenant and environment is reached through.
  public static let webClient = "https://businesscentral.dynamics.com"

  /// The reasons a Business Central administrator mends on this page.
  public static let reasons: Set<String> = [
    Reason.bcAppNotAccepted, Reason.bcPermissionMissing, Reason.bcAutomationPermissionMissing,
    Reason.bcNoCompaniesVisible,
  ]

  /// The page for `tenant` and `environment`; `nil` when either cannot form a URL path segment.
  public init?(tenant: String, environment: String, clientID: String?) {
    var segment = CharacterSet.alphanumerics
    segment.insert(charactersIn: "-._~")
    guard !tenant.isEmpty, !environment.isEmpty,
      let tenantPart = tenant.addingPercentEncoding(withAllowedCharacters: segment),
      let environmentPart = environment.addingPercentEncoding(withAllowedCharacters: segment)
    else { return nil }
    self.url = "\(Self.webClient)/\(tenantPart)/\(environmentPart)/?page=9860"
    self.checklist = Self.checklist(clientID: clientID)
  }

  /// What to do on the page: the app's card, from New to Grant Consent.
  public static func checklist(clientID: String?) -> [String] {
    [
      "New, then Client ID: \(clientID ?? "the app's Application (client) ID").",
      "Description: name the partner (or owner) and what the integration does; at most 50 characters, it becomes the app's user name.",
      "State: Enabled (needs SUPER or SECURITY); confirm that a user is created for the app.",
      "User Permission Sets: D365 AUTOMATION for the automation API, EXTEN. MGT. - ADMIN if it manages extensions, and the sets its data calls need; never SUPER.",
      "Grant Consent on the card (needs https://businesscentral.dynamics.com/OAuthLanding.htm as a Web redirect URI of the app).",
    ]
  }
}

extension RunReport {
  /// Adds the page and checklist to each failure a Business Central administrator mends on
  /// *Microsoft Entra Applications* (online only: on-premises has no shared web client address).
  public static func withEntraApplicationsPage(_ results: [CheckResult], target: TargetInfo) -> [CheckResult] {
    guard target.deployment == Deployment.online.rawValue, let tenant = target.tenant,
      let environment = target.environment,
      let page = EntraApplicationsPage(tenant: tenant, environment: environment, clientID: target.clientId)
    else { return results }
    return results.map { result in
      guard result.entraApplicationsPage == nil, result.status == .failed || result.status == .warning,
        let reason = result.reason, EntraApplicationsPage.reasons.contains(reason)
      else { return result }
      var result = result
      result.entraApplicationsPage = page
      return result
    }
  }
}
