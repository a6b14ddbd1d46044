import S2SDoctorCore

/// A step only a person in a portal can do, with the checks that prove it was done.
public struct PortalStep: Sendable {
  public var id: String
  public var title: String
  /// Checks to run again after "Press Enter when done".
  public var checkIDs: [String]
  /// Whether this run's results say the step is still to do.
  public var isNeeded: @Sendable (RunReport) -> Bool
  /// Numbered instructions, with this registration's values filled in.
  public var instructions: @Sendable (WizardState) -> [String]

  /// Whether this run's results show the step's checks passed.
  public func isProved(_ report: RunReport) -> Bool {
    let results = report.results.filter { checkIDs.contains($0.check) }
    return !results.isEmpty && results.allSatisfy { $0.status == .passed }
  }

  /// Renders the instructions as a numbered list.
  public func text(_ state: WizardState) -> String {
    var out = "\(title)\n"
    for (index, line) in instructions(state).enumerated() {
      out += "  \(index + 1). \(line)\n"
    }
    return out
  }
}

public enum PortalSteps {
  public static let all: [PortalStep] = [permissionsAndConsent, businessCentralRegistration]

  static func result(_ report: RunReport, _ check: String) -> CheckResult? {
    report.results.last { $0.check == check }
  }

  /// Add the application permissions and grant admin consent (proved by `token.roles`).
  public static let permissionsAndConsent = PortalStep(
    id: "permissions", title: "Add the Business Central permissions and grant admin consent",
    checkIDs: [CheckID.tokenRoles],
    isNeeded: { report in
      guard let result = result(report, CheckID.tokenRoles) else { return false }
      return result.status == .failed || result.status == .warning
    },
    instructions: { state in
      let wanted =
        state.settings.checkAutomation
        ? "\(BusinessCentral.apiRole) and \(BusinessCentral.automationRole)"
        : BusinessCentral.apiRole
      var lines = [
        "Sign in to the \(Questions.portal) as a Privileged Role Administrator, Cloud Application Administrator or Application Administrator of tenant \(state.tenantText).",
        "Go to \(Questions.appRegistrations) > All applications and open the app with Application (client) ID \(state.clientText).",
        "API permissions > Add a permission > Microsoft APIs > Dynamics 365 Business Central > Application permissions: tick \(wanted), then Add permissions.",
        "On the same page choose \"Grant admin consent for \(state.tenantText)\" and confirm with Yes; the Status column must show Granted.",
      ]
      if let url = state.settings.adminConsentURL {
        lines.append(
          "Alternatively, the administrator opens this admin consent URL and accepts: \(url)")
      }
      lines.append("Consent shows up in new tokens only; the checks ask for a new one.")
      return lines
    })

  /// Register the app on the Business Central *Microsoft Entra Applications* page (proved by `bc.companies`).
  public static let businessCentralRegistration = PortalStep(
    id: "bc-registration",
    title: "Register the app in Business Central (Microsoft Entra Applications)",
    checkIDs: [CheckID.bcCompanies],
    isNeeded: { report in
      guard let result = result(report, CheckID.bcCompanies), result.status == .failed else {
        return false
      }
      return [
        Reason.bcAppNotAccepted, Reason.bcPermissionMissing, Reason.bcNoCompaniesVisible,
      ].contains(result.reason ?? "")
    },
    instructions: { state in
      let whereToSignIn =
        state.isOnline
        ? "Sign in to Business Central at https://businesscentral.dynamics.com/\(state.tenantText)/\(state.value(.environment) ?? state.base.environment) with a user who has the SUPER or SECURITY permission set."
        : "Sign in to the Business Central web client\(state.value(.redirectUri).map { " (" + webClient(fromRedirect: $0) + ")" } ?? "") with a user who has the SUPER or SECURITY permission set."
      var lines = [
        whereToSignIn,
        "Search (Alt+Q) for Microsoft Entra Applications and choose New.",
        "Client ID: \(state.clientText). Description: name the partner or integration that uses it, e.g. \"Fabrikam (partner) order sync\" (it becomes the app's user name, so an admin knows whose app it is).",
        "Set State to Enabled and confirm that a user is created for the app.",
        "Under User Permission Sets add only what the integration needs, for example D365 AUTOMATION and EXTEN. MGT. - ADMIN; never SUPER (it cannot be assigned to an app, and no integration needs it).",
      ]
      if let redirect = state.value(.redirectUri) {
        lines.append(
          "Grant Consent on the same card, unless consent was already granted in Entra (uses the redirect URI \(redirect), which must be registered on the app)."
        )
      } else {
        lines.append(
          "Grant Consent on the same card, unless consent was already granted in Entra (needs a redirect URI registered on the app, e.g. \(BusinessCentral.onlineRedirectURI))."
        )
      }
      return lines
    })

  static func webClient(fromRedirect redirect: String) -> String {
    redirect.hasSuffix("/OAuthLanding.htm")
      ? String(redirect.dropLast("/OAuthLanding.htm".count)) : redirect
  }
}
