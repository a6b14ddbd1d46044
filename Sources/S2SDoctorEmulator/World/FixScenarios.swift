import Foundation
import S2SDoctorCore

/// Registrations in the empty setup tenant that `fix` can mend through Graph: each starts broken
/// in one way, and `check` yields the scenario's reason until an administrator fixes it.
extension World {
  struct FixScenario: Sendable {
    var name: String
    var expect: String
    var configured: [String]
    var granted: [String]
    var redirectURIs: [String] = []
    var audience = "AzureADMyOrg"
    var secretDaysLeft = 300
    var extraArgs: [String] = []
    /// Checked in the customer tenant, where the (multitenant) app has no service principal.
    var inCustomerTenant = false
  }

  static let fixScenarios: [FixScenario] = [
    FixScenario(
      name: "fix.permission-not-added", expect: Reason.registrationPermissionNotAdded,
      configured: [Facts.automationRole], granted: [Facts.automationRole]),
    FixScenario(
      name: "fix.permission-not-consented", expect: Reason.registrationPermissionNotConsented,
      configured: [Facts.apiRole, Facts.automationRole], granted: [Facts.automationRole]),
    FixScenario(
      name: "fix.redirect-uri-missing", expect: Reason.registrationRedirectUriMissing,
      configured: [Facts.apiRole, Facts.automationRole], granted: [Facts.apiRole, Facts.automationRole],
      extraArgs: ["--redirect-uri", Facts.oauthLanding]),
    FixScenario(
      name: "fix.credential-expiring", expect: Reason.registrationCredentialExpiring,
      configured: [Facts.apiRole, Facts.automationRole], granted: [Facts.apiRole, Facts.automationRole],
      secretDaysLeft: 10),
    FixScenario(
      name: "fix.single-tenant", expect: Reason.registrationSingleTenant,
      configured: [Facts.apiRole, Facts.automationRole], granted: [Facts.apiRole, Facts.automationRole],
      extraArgs: ["--multi-tenant"]),
    FixScenario(
      name: "fix.service-principal-missing", expect: Reason.entraAppNotFound,
      configured: [Facts.apiRole, Facts.automationRole], granted: [Facts.apiRole, Facts.automationRole],
      audience: "AzureADMultipleOrgs", extraArgs: ["--multi-tenant"], inCustomerTenant: true),
  ]

  /// Puts the fix scenarios' apps into `store` and returns their scenario lines.
  static func seedFixScenarios(_ store: GraphStore, baseURL: String, caFile: String?, now: Int) -> [String:
    ScenarioInfo]
  {
    var result: [String: ScenarioInfo] = [:]
    let tenant = setupTenantID
    let bc = GraphStore.bcServicePrincipalID(tenant)
    for scenario in fixScenarios {
      let appID = StableID.guid("fix-app/" + scenario.name)
      let secret = secret(forScenario: scenario.name)
      let created = now - 30 * 86_400
      let app = GraphStore.Application(
        objectID: StableID.guid("fix-object/" + scenario.name), appID: appID, tenantID: tenant,
        displayName: "S2S Doctor \(scenario.name)", signInAudience: scenario.audience,
        roleIDs: scenario.configured.compactMap(Facts.bcRoleID), redirectURIs: scenario.redirectURIs,
        passwords: [
          .init(
            keyID: StableID.guid("fix-key/" + scenario.name), displayName: "integration", secret: secret,
            start: created, end: now + scenario.secretDaysLeft * 86_400)
        ], createdAt: created)
      let sp = GraphStore.ServicePrincipal(
        objectID: StableID.guid("fix-sp/" + scenario.name), appID: appID, tenantID: tenant, createdAt: created)
      store.withState { state in
        state.applications[appID.lowercased()] = app
        state.servicePrincipals[GraphStore.spKey(appID, tenant: tenant)] = sp
        for role in scenario.granted {
          state.assignments.append(
            .init(
              id: StableID.opaque(count: 43), principalID: sp.objectID, resourceID: bc,
              appRoleID: Facts.bcRoleID(role) ?? "", createdAt: created))
        }
      }
      var args = [
        "--tenant", scenario.inCustomerTenant ? setupCustomerTenantID : tenant, "--client-id", appID,
        "--authority-host", baseURL, "--bc-api-host", baseURL,
      ]
      if let caFile { args += ["--ca-file", caFile] }
      result[scenario.name] = ScenarioInfo(
        expect: scenario.expect, args: args + scenario.extraArgs, env: ["AZURE_CLIENT_SECRET": secret])
    }
    return result
  }
}
