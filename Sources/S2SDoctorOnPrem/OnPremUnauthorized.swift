import Foundation
import S2SDoctorCore

/// What an on-premises 401 to a token whose aud and roles are right means, given what the
/// server's own files say (`--server-config`, `--server-log`).
///
/// Without a configuration the 401 alone points at ValidAudiences. With one, the advice
/// follows the file: a problem it shows (credential type, metadata tenant, tenant parameter)
/// leads; when ValidAudiences already holds the token's aud, that is never the advice. Fix
/// commands name the instance the configuration or the log names, not a guess.
public enum OnPremUnauthorized {
  public static func classify(settings: ConnectionSettings, claims: TokenClaims?, audience: String) -> Outcome {
    let configuration = settings.serverConfig.flatMap { try? ServerConfiguration.load(path: $0) }
    let instance = instanceName(settings: settings, configuration: configuration)
    let evidence = [EvidenceItem("onprem.instance", instance)]
    guard let configuration else {
      return .failed(
        Reason.onpremAudienceNotValid,
        "the server rejected a token whose aud (\(audience)) and roles are right; its ValidAudiences most likely lacks '\(audience)'. Add it: Set-NAVServerConfiguration -ServerInstance \(PowerShell.argument(instance)) -KeyName ValidAudiences -KeyValue \"<existing>;\(audience)\", then \(PowerShell.restart(instance))",
        evidence: evidence)
    }
    let file = configuration.diagnose(settings: settings, claims: claims)
    if file.status == .failed, let reason = file.reason, causes.contains(reason),
      reason != Reason.onpremAudienceNotValid || !holds(configuration, audience)
    {
      return .failed(
        reason,
        "the server answered 401, and its configuration (\(configuration.file)) shows why: \(file.detail ?? reason)",
        evidence: evidence + file.evidence)
    }
    guard holds(configuration, audience) else {
      return .failed(
        Reason.onpremAudienceNotValid,
        "the server rejected a token whose aud (\(audience)) and roles are right, and ValidAudiences in \(configuration.file) lacks '\(audience)'. Add it with Set-NAVServerConfiguration -ServerInstance \(PowerShell.argument(instance)) -KeyName ValidAudiences, then \(PowerShell.restart(instance))",
        evidence: evidence)
    }
    // The file holds the aud and shows nothing else wrong: the running server is not what the
    // file says, or the app is not set up in Business Central.
    let tenantAdvice =
      settings.serverTenant == nil
      ? "on a multitenant server, pass the tenant (--server-tenant, ?tenant=); " : ""
    return .failed(
      Reason.bcAppNotAccepted,
      "the server rejected the token although ValidAudiences in \(configuration.file) already holds '\(audience)' (so that is not the cause). Check in this order: the instance runs with this file (\(PowerShell.restart(instance)) after any change; ClientServicesCredentialType AccessControlService on the server and the web server instance); \(tenantAdvice)the metadata location names the token's tenant; the app is on the Microsoft Entra Applications page with State Enabled. The server's event log names the exact cause (--server-log)",
      evidence: evidence)
  }

  /// What in a configuration can make the server answer 401 to a token it should take.
  static let causes: Set<String> = [
    Reason.onpremNotEntraAuth, Reason.onpremMetadataTenantMismatch, Reason.onpremTenantParameterMissing,
    Reason.onpremVersionUnsupported, Reason.onpremAudienceNotValid,
  ]

  /// Whether ValidAudiences (in full, not cut off by a table view) holds `audience` exactly.
  static func holds(_ configuration: ServerConfiguration, _ audience: String) -> Bool {
    guard let setting = configuration.setting("ValidAudiences"), !setting.truncated else { return false }
    return setting.value.split(separator: ";").contains { $0.trimmedSpaces == audience }
  }

  /// The configuration's instance, else the one the server log names, else the `--bc-url` path.
  static func instanceName(settings: ConnectionSettings, configuration: ServerConfiguration?) -> String {
    if let name = configuration?.serverInstance { return name }
    if let log = settings.serverLog, let name = try? ServerLog.scan(path: log).serverInstance { return name }
    return ServerConfiguration.fallbackInstance(settings: settings)
  }
}
