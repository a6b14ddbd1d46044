import Foundation
import S2SDoctorCore
import S2SDoctorOnPrem

extension LiveSession {
  // MARK: Business Central

  func tenantSegment() async -> String {
    if case .success(let discovery) = await discovery() { return discovery.tenantID }
    return settings.tenant ?? ""
  }

  func environmentBase() async -> String {
    if settings.deployment == .onprem {
      var base = settings.bcURL ?? ""
      while base.hasSuffix("/") { base.removeLast() }
      return base
    }
    let environment =
      settings.environment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? settings.environment
    return "\(settings.bcAPIHost)/v2.0/\(await tenantSegment())/\(environment)"
  }

  func withTenantParameter(_ url: String) -> String {
    guard settings.deployment == .onprem, let tenant = settings.serverTenant else { return url }
    return url + (url.contains("?") ? "&" : "?") + "tenant="
      + (tenant.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? tenant)
  }

  /// The company `--company` names (by name, display name or id) among those `bc.companies` read.
  func company(named wanted: String) -> JSONValue? {
    companies.first { company in
      [company["name"]?.string, company["displayName"]?.string, company["id"]?.string].contains(wanted)
    }
  }
}
