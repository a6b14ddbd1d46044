import ArgumentParser
import Foundation
import S2SDoctorCore
import S2SDoctorLive
import S2SDoctorReports

/// `s2s-doctor fix`: the failures Microsoft Graph can mend, offered as a plan and applied as an
/// administrator, then checked again.
struct Fix: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fix",
    abstract: "Run the checks, then mend through Microsoft Graph what an administrator can fix there.",
    discussion: """
      Mends a Business Central permission that is not added or not consented, the Grant Consent \
      redirect URI, an expired or expiring secret (a new one, shown once or written to \
      --secret-out), a single-tenant registration used across tenants (with --multi-tenant) and, \
      with --multi-tenant, a missing service principal in a customer's tenant (the customer's \
      administrator signs in there). \
      The administrator signs in with the device-code flow; the plan is shown first and applied \
      only after confirmation (--yes without a terminal). Then the checks run again.
      Exit codes: 0 checks passed · 1 a check failed · 2 could not test · 64 usage error.
      """)

  @OptionGroup var connection: ConnectionOptions
  @OptionGroup(title: "Changing the registration") var change: ChangeOptions

  /// The reasons a Graph change mends, and whether they need a new secret.
  static let fixable: [String: Bool] = [
    Reason.registrationPermissionNotAdded: false, Reason.registrationPermissionNotConsented: false,
    Reason.tokenRolesMissing: false, Reason.tokenApiRoleMissing: false, Reason.tokenAutomationRoleMissing: false,
    Reason.registrationRedirectUriMissing: false, Reason.registrationSingleTenant: false,
    Reason.registrationCredentialExpiring: true, Reason.entraSecretExpired: true,
    // With --multi-tenant: the app has no service principal in this customer's tenant.
    Reason.entraAppNotFound: false,
  ]

  func run() async throws {
    let (settings, secret) = try connection.resolve()
    guard let tenant = settings.tenant, let clientID = settings.clientID else {
      throw ValidationError("fix needs --tenant and --client-id (or a --profile).")
    }
    let report = await LiveCheckSuite(settings: settings, secret: secret).run()
    let found = report.results.compactMap { result -> String? in
      guard result.status == .failed || result.status == .warning, let reason = result.reason,
        Self.fixable[reason] != nil, reason != Reason.entraAppNotFound || settings.multiTenant == true
      else { return nil }
      return reason
    }
    guard !found.isEmpty else {
      Output.out(ConsoleText.report(report, verbose: false, color: Output.useColor) + "\n")
      Output.err(
        report.exitStatus == .ok
          ? "Nothing to fix.\n" : "Nothing here can be mended through Microsoft Graph; follow the fixes above.\n")
      terminate(report.exitStatus)
    }
    Output.err("Found: \(found.joined(separator: ", ")).\n")
    var roles = [BusinessCentral.apiRole]
    if settings.checkAutomation { roles.append(BusinessCentral.automationRole) }
    if settings.checkAdmin { roles.append(BusinessCentral.adminRole) }
    var request = CreationRequest(
      displayName: "", multiTenant: settings.multiTenant == true, roles: roles, redirectURI: settings.redirectURI,
      secretMonths: change.secretMonths, newSecret: found.contains { Self.fixable[$0] == true })
    request.appID = clientID
    request.keepAudience = settings.multiTenant != true
    // A multitenant app unknown in this tenant: consent here creates its service principal.
    request.consentOnly = found.contains(Reason.entraAppNotFound)
    await SetupCreate.execute(
      command: "fix", settings: settings, tenant: tenant, existingSecret: secret, request: request, change: change)
  }
}
