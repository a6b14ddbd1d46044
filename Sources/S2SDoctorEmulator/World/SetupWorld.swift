import Foundation

/// The tenants `setup --create` starts from: Business Central is there, the app is not.
extension World {
  static let setupTenantID = StableID.guid("tenant/setup-empty")
  static let setupTenantDomain = "setup-empty.onmicrosoft.com"
  /// The same, with Entra ID's replication lag: new objects stay invisible for a few seconds.
  static let setupLagTenantID = StableID.guid("tenant/setup-lag")
  static let setupLagSeconds = 4
  /// A customer's tenant for the multitenant fix scenario: Business Central is there, the app
  /// (registered in the setup tenant) has no service principal yet.
  static let setupCustomerTenantID = StableID.guid("tenant/setup-customer")
  /// The empty setup tenant's app management policy: client secrets live at most a year.
  static let setupMaxSecretDays = 365
  /// The public client s2s-doctor signs administrators in with by default (Microsoft Graph
  /// Command Line Tools, which allows dynamic consent to Graph scopes).
  static let adminClientID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"

  /// Public clients whose device-code sign-in misbehaves on purpose.
  static let deviceBehaviours: [String: GraphStore.DeviceBehaviour] = [
    StableID.guid("public/slow-down"): .slowDown,
    StableID.guid("public/declined"): .declined,
    StableID.guid("public/expired"): .expired,
  ]

  static func setupTenants() -> [Tenant] {
    [
      (setupTenantID, setupTenantDomain, "Setup Empty"), (setupLagTenantID, "setup-lag.onmicrosoft.com", "Setup Lag"),
      (setupCustomerTenantID, "setup-customer.onmicrosoft.com", "Setup Customer"),
    ]
    .map { id, domain, name in
      Tenant(
        id: id, domain: domain, displayName: name, cloudInstanceName: "microsoftonline.com", regionScope: "WW",
        environments: [
          BCEnvironment(
            name: "production", type: "Production", status: "Active", accessible: true,
            companies: [
              Company(
                id: StableID.guid("company/\(domain)"), name: "CRONUS USA, Inc.", displayName: "CRONUS USA, Inc.")
            ])
        ])
    }
  }

  /// `setup.create` and `setup.create-lag`: the flags that make `setup --create` sign in as the
  /// administrator of an empty tenant (the emulator approves the device code by itself).
  static func setupScenarios(baseURL: String, caFile: String?) -> [String: ScenarioInfo] {
    var result: [String: ScenarioInfo] = [:]
    for (name, tenant) in [("setup.create", setupTenantID), ("setup.create-lag", setupLagTenantID)] {
      var args = ["--tenant", tenant, "--authority-host", baseURL, "--bc-api-host", baseURL]
      if let caFile { args += ["--ca-file", caFile] }
      result[name] = ScenarioInfo(expect: "passed", args: args, env: [:])
    }
    return result
  }
}
