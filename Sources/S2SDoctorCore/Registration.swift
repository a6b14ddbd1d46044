import Foundation

/// Microsoft Graph constants for reading an app registration.
public enum MicrosoftGraph {
  public static let scope = "https://graph.microsoft.com/.default"
  public static let publicBase = "https://graph.microsoft.com"
  /// Graph hosts of the named clouds, by authority host.
  public static let hostsByAuthority: [String: String] = [
    "https://login.microsoftonline.com": "https://graph.microsoft.com",
    "https://login.microsoftonline.us": "https://graph.microsoft.us",
    "https://login.partner.microsoftonline.cn": "https://microsoftgraph.chinacloudapi.cn",
    "https://login.chinacloudapi.cn": "https://microsoftgraph.chinacloudapi.cn",
  ]
  /// signInAudience values that allow use outside the home tenant.
  public static let multiTenantAudiences: Set<String> = [
    "AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount",
  ]
  /// Business Central application role ids as published for reading `requiredResourceAccess`.
  /// Only used to name ids the registration lists; nothing is written with them.
  /// AdminCenter.ReadWrite.All has two published ids (sources disagree); both are read.
  public static let knownBCRoleIDs: [String: String] = [
    "a42b0b75-311e-488d-b67e-8fe84f924341": BusinessCentral.apiRole,
    "d365bc00-a990-0000-00bc-160000000001": BusinessCentral.automationRole,
    "a20fe46f-4f63-4666-8e0e-9b882d90b837": BusinessCentral.adminRole,
    "2e3cf0a5-be71-42b6-8b82-6f50da52005d": BusinessCentral.adminRole,
    "3983b928-ed40-4111-bbad-e7910cf234bd": "app_access",
  ]
}

extension ConnectionSettings {
  /// Microsoft Graph's base URL for this authority: the named clouds map to their Graph host;
  /// any other authority host (an emulator, a test double) is taken to serve Graph as well.
  public var graphBase: String {
    if let graphHost { return graphHost }
    return MicrosoftGraph.hostsByAuthority[authorityHost.lowercased()] ?? authorityHost
  }

  /// The expiry warning window in days (default 30).
  public var expiryWarningWindow: Int { expiryWarningDays ?? 30 }
}
