import S2SDoctorCore

extension ConnectionOptions {
  /// The registration checks' options (`--graph-host`, `--expiry-warning`, `--multi-tenant`).
  func applyRegistrationOptions(to settings: inout ConnectionSettings) {
    if var host = graphHost {
      if !host.hasPrefix("https://") && !host.hasPrefix("http://") { host = "https://" + host }
      while host.hasSuffix("/") { host.removeLast() }
      settings.graphHost = host
      settings.sources["graphHost"] = .flag
    }
    if let expiryWarning {
      settings.expiryWarningDays = expiryWarning
      settings.sources["expiryWarningDays"] = .flag
    }
    if multiTenant {
      settings.multiTenant = true
      settings.sources["multiTenant"] = .flag
    }
  }
}
