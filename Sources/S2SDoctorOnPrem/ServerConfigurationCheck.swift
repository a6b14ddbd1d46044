import Foundation
import S2SDoctorCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// MARK: - the checks

extension ServerConfiguration {
  /// The `onprem.server-config` check: loads `settings.serverConfig` and checks it against the
  /// token's claims (`nil` when no token could be had). A file that cannot be parsed is
  /// `could-not-test` here; the CLI rejects it earlier with exit 64 via `load(path:)`.
  public static func diagnose(settings: ConnectionSettings, claims: TokenClaims?) -> Outcome {
    guard let path = settings.serverConfig, !path.isEmpty else {
      return .couldNotTest(nil, "no server configuration was given (--server-config)")
    }
    do {
      return try load(path: path).diagnose(settings: settings, claims: claims)
    } catch {
      return .couldNotTest(nil, "\(error.description)", evidence: [.init("config.file", path)])
    }
  }

  /// Checks, in this order: ValidAudiences, ClientServicesCredentialType, the metadata location,
  /// ApiServicesEnabled/ODataServicesEnabled, PublicWebBaseUrl against the redirect URI, the
  /// version and Multitenant. The first problem is the outcome; every key read is evidence.
  public func diagnose(settings: ConnectionSettings, claims: TokenClaims?) -> Outcome {
    var check = ConfigurationCheck(configuration: self, settings: settings, claims: claims)
    return check.run()
  }

  /// The instance name for fix commands: the configuration's, the one in `--bc-url`, or `BC`.
  func instanceName(settings: ConnectionSettings) -> String {
    serverInstance ?? Self.fallbackInstance(settings: settings)
  }
}

/// PowerShell text for fix commands.
enum PowerShell {
  /// A double-quoted PowerShell string: `` ` ``, `"` and `$` escaped with a backtick.
  static func quote(_ value: String) -> String {
    var out = "\""
    for c in value {
      if c == "`" || c == "\"" || c == "$" { out.append("`") }
      out.append(c)
    }
    return out + "\""
  }

  /// A bare argument when it is a simple word, else quoted.
  static func argument(_ value: String) -> String {
    let simple =
      !value.isEmpty
      && value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }
    return simple ? value : quote(value)
  }

  static func set(_ instance: String, _ key: String, _ value: String) -> String {
    "Set-NAVServerConfiguration -ServerInstance \(argument(instance)) -KeyName \(key) -KeyValue \(quote(value))"
  }

  static func restart(_ instance: String) -> String {
    "Restart-NAVServerInstance -ServerInstance \(argument(instance))"
  }
}

/// One run of the configuration checks.
struct ConfigurationCheck {
  let configuration: ServerConfiguration
  let settings: ConnectionSettings
  let claims: TokenClaims?
  let instance: String
  var evidence: [EvidenceItem] = []
  var problems: [Outcome] = []
  var verified: [String] = []
  var notes: [String] = []
  private var read = Set<String>()

  init(configuration: ServerConfiguration, settings: ConnectionSettings, claims: TokenClaims?) {
    self.configuration = configuration
    self.settings = settings
    self.claims = claims
    self.instance = configuration.instanceName(settings: settings)
  }

  /// Reads a key and records it as evidence (once).
  mutating func value(_ key: String) -> String? {
    let setting = configuration.setting(key)
    if read.insert(key.lowercased()).inserted {
      var shown = setting.map { $0.value.isEmpty ? "(empty)" : $0.value } ?? "(not set)"
      if setting?.truncated == true { shown += " (cut off by the table view)" }
      evidence.append(.init("config.\(setting?.key ?? key)", String(shown.prefix(500))))
    }
    guard let value = setting?.value.trimmedWhitespace, !value.isEmpty else {
      return nil
    }
    return value
  }

  func isTruncated(_ key: String) -> Bool { configuration.setting(key)?.truncated == true }

  var restart: String { PowerShell.restart(instance) }

  /// The token's tenant, else the `--tenant` GUID.
  var tenantID: String? {
    if let tid = claims?.tenantID, InputValidation.isGUID(tid) { return tid.lowercased() }
    if let tenant = settings.tenant, InputValidation.isGUID(tenant) { return tenant.lowercased() }
    return nil
  }

  var version: ServerConfiguration.ProductVersion? { configuration.version }

  /// A configuration value as quoted in a detail: at most 300 characters.
  static func clip(_ value: String) -> String {
    value.count <= 300 ? value : String(value.prefix(300)) + "…"
  }

  mutating func run() -> Outcome {
    evidence.append(.init("config.file", configuration.file))
    evidence.append(.init("config.format", configuration.format.rawValue))
    evidence.append(.init("config.serverInstance", instance))
    if let version {
      evidence.append(.init("config.version", "\(version.text) (from \(version.source))"))
    }
    audience()
    credentialType()
    metadata()
    services()
    redirect()
    webClientClientID()
    versionGate()
    multitenant()

    if var first = problems.first {
      let others = problems.dropFirst().compactMap(\.reason)
      if !others.isEmpty {
        first.detail = (first.detail ?? "") + " (Also found: \(others.joined(separator: ", ")).)"
        evidence.append(.init("config.otherProblems", others.joined(separator: ", ")))
      }
      first.evidence = evidence + first.evidence
      return first
    }
    var detail = verified.joined(separator: "; ")
    if !notes.isEmpty { detail += ". Note: " + notes.joined(separator: " ") }
    return .passed(detail, evidence: evidence)
  }

  // MARK: ValidAudiences

  mutating func audience() {
    let key = "ValidAudiences"
    let raw = value(key) ?? ""
    let entries = raw.split(separator: ";").map { $0.trimmedSpaces }.filter { !$0.isEmpty }
    let tokenAudiences = claims?.audiences ?? []
    var required: [String]
    var why = ""
    if tokenAudiences.isEmpty {
      required = [BusinessCentral.resource]
      why = claims == nil ? " (no token could be had, so the standard audience is required)" : " (the token has no aud)"
    } else {
      required = tokenAudiences.filter(BusinessCentral.audiences.contains)
      if required.isEmpty {
        required = [BusinessCentral.resource]
        why =
          " (the token's aud \(tokenAudiences.joined(separator: ", ")) is not Business Central's; token.audience reports that)"
      }
    }
    evidence.append(.init("token.aud", tokenAudiences.isEmpty ? "(no token)" : tokenAudiences.joined(separator: ", ")))
    if let match = required.first(where: entries.contains) {
      verified.append("ValidAudiences contains \(match)")
      return
    }
    let wanted = required[0]
    func normalized(_ s: String) -> String {
      var s = s.lowercased()
      while s.hasSuffix("/") { s.removeLast() }
      return BusinessCentral.audiences.contains(s) || s == BusinessCentral.resourceAppID ? "bc" : s
    }
    let variants = entries.filter { normalized($0) == normalized(wanted) }
    var newValue = (entries + [wanted]).joined(separator: ";")
    if newValue.count > 2000 { newValue = "<existing entries>;\(wanted)" }
    let shownValue = Self.clip(raw)
    let fix = "Add it: \(PowerShell.set(instance, key, newValue)), then \(restart)"
    if isTruncated(key) {
      problems.append(
        .couldNotTest(
          Reason.onpremAudienceNotValid,
          "ValidAudiences is cut off in \(configuration.file) (the table view shortens long values), so it cannot be checked for \(wanted). Save the full value with Get-NAVServerConfiguration -ServerInstance \(PowerShell.argument(instance)) | ConvertTo-Json > config.json and run again."
        ))
      return
    }
    var detail: String
    if raw.isEmpty {
      detail =
        "ValidAudiences is \(configuration.setting(key) == nil ? "not set" : "empty"), so the server accepts no S2S token; it needs the token's exact aud '\(wanted)'\(why)."
    } else if !variants.isEmpty {
      detail =
        "ValidAudiences (\"\(shownValue)\") lacks the token's exact aud '\(wanted)'\(why); it has only the variant '\(variants.joined(separator: "', '"))', and the server compares the exact string."
    } else {
      detail = "ValidAudiences (\"\(shownValue)\") lacks the token's exact aud '\(wanted)'\(why)."
    }
    detail += " " + fix + "."
    problems.append(.failed(Reason.onpremAudienceNotValid, detail))
  }

  // MARK: ClientServicesCredentialType

  mutating func credentialType() {
    let key = "ClientServicesCredentialType"
    let current = value(key)
    if current?.caseInsensitiveCompare("AccessControlService") == .orderedSame {
      verified.append("ClientServicesCredentialType is AccessControlService")
      return
    }
    let shown = current.map { "'\(Self.clip($0))'" } ?? "not set (the default is Windows)"
    problems.append(
      .failed(
        Reason.onpremNotEntraAuth,
        "ClientServicesCredentialType is \(shown), so the server does not accept Microsoft Entra tokens. Run \(PowerShell.set(instance, key, "AccessControlService")), set the same key on the web server instance (Set-NAVWebServerInstanceConfiguration -WebServerInstance \(PowerShell.argument(instance)) -KeyName \(key) -KeyValue \"AccessControlService\"), complete the Entra setup (ValidAudiences, metadata location), then \(restart)."
      ))
  }

  // MARK: metadata location

  mutating func metadata() {
    let openID = "ADOpenIdMetadataLocation"
    let federation = "ClientServicesFederationMetadataLocation"
    let major = version.map(\.major)
    // v22+ uses only OpenID Connect; before v20 only WS-Federation exists; v20-21 have both.
    let openIDValue = (major ?? 99) >= 20 ? value(openID) : nil
    let federationValue = (major ?? 0) <= 21 ? value(federation) : nil
    let preferred = (major ?? 99) >= 20 ? openID : federation
    let key: String
    let location: String?
    if let openIDValue {
      (key, location) = (openID, openIDValue)
    } else if let federationValue {
      (key, location) = (federation, federationValue)
    } else {
      (key, location) = (preferred, nil)
      if (major ?? 0) >= 22, let stale = configuration.value(federation), !stale.isEmpty {
        notes.append(
          "Version \(major!) ignores ClientServicesFederationMetadataLocation (WS-Federation was removed in 22).")
        _ = value(federation)
      }
    }
    let tenant = tenantID
    evidence.append(.init("token.tid", claims?.tenantID ?? "(no token)"))
    func url(for tenant: String) -> String {
      if let location, let replaced = Self.replacingTenant(in: location, with: tenant) { return replaced }
      let host =
        settings.authorityHost.hasSuffix("/") ? String(settings.authorityHost.dropLast()) : settings.authorityHost
      return key == openID
        ? "\(host)/\(tenant)/.well-known/openid-configuration"
        : "\(host)/\(tenant)/FederationMetadata/2007-06/FederationMetadata.xml"
    }
    let target = tenant ?? "<tenant id>"
    let fix = "\(PowerShell.set(instance, key, url(for: target))), then \(restart)"
    guard let location else {
      problems.append(
        .failed(
          Reason.onpremMetadataTenantMismatch,
          "Neither ADOpenIdMetadataLocation nor ClientServicesFederationMetadataLocation is set, so the server trusts no Entra tenant. Run \(fix)."
        ))
      return
    }
    if isTruncated(key), location.dropFirst("https://".count).filter({ $0 == "/" }).count < 2 {
      problems.append(
        .couldNotTest(
          Reason.onpremMetadataTenantMismatch,
          "\(key) is cut off in \(configuration.file) before its tenant ('\(Self.clip(location))'). Save the full value with Get-NAVServerConfiguration -ServerInstance \(PowerShell.argument(instance)) | ConvertTo-Json > config.json and run again."
        ))
      return
    }
    guard let segment = Self.tenantSegment(of: location) else {
      problems.append(
        .failed(
          Reason.onpremMetadataTenantMismatch,
          "\(key) ('\(Self.clip(location))') is not a https://login.microsoftonline.com/<tenant>/… address. Run \(fix)."
        ))
      return
    }
    let lower = segment.lowercased()
    if lower == "common" {
      verified.append("\(key) uses common (any tenant)")
    } else if lower == "{aadtenantid}" {
      verified.append("\(key) uses the {AADTENANTID} placeholder")
      notes.append(
        "{AADTENANTID} is replaced by the -AadTenantId a tenant was mounted with; mount it with Mount-NAVTenant … -AadTenantId \(tenant ?? "<tenant id>")."
      )
    } else if tenant == nil {
      verified.append("\(key) names tenant \(segment)")
      notes.append("No token, so it was not compared with the token's tenant.")
    } else if InputValidation.isGUID(segment) {
      if lower == tenant {
        verified.append("\(key) names the token's tenant \(segment)")
      } else {
        problems.append(
          .failed(
            Reason.onpremMetadataTenantMismatch,
            "\(key) names tenant \(segment), but the token was issued by tenant \(tenant!), so the server rejects it (issuer validation). Run \(fix)."
          ))
      }
    } else if let configured = settings.tenant, configured.caseInsensitiveCompare(segment) == .orderedSame {
      verified.append("\(key) names \(segment), the tenant given with --tenant")
    } else {
      verified.append("\(key) names \(segment)")
      notes.append("\(segment) is a domain name; it could not be confirmed offline that it is tenant \(tenant!).")
    }
  }

  /// The first path segment of `https://host/<tenant>/…`; works with `{AADTENANTID}` too.
  static func tenantSegment(of location: String) -> String? {
    guard let scheme = location.range(of: "://") else { return nil }
    let afterHost = location[scheme.upperBound...].drop { $0 != "/" }.dropFirst()
    let segment = afterHost.prefix { $0 != "/" && $0 != "?" }.prefix(300)
    return segment.isEmpty ? nil : String(segment)
  }

  static func replacingTenant(in location: String, with tenant: String) -> String? {
    guard let scheme = location.range(of: "://") else { return nil }
    let rest = location[scheme.upperBound...]
    guard let slash = rest.firstIndex(of: "/") else { return nil }
    let afterSlash = location.index(after: slash)
    let end = location[afterSlash...].firstIndex { $0 == "/" || $0 == "?" } ?? location.endIndex
    guard end > afterSlash else { return nil }
    return String(location[..<afterSlash]) + tenant + String(location[end...])
  }

  // MARK: ApiServicesEnabled / ODataServicesEnabled

  mutating func services() {
    var off: [String] = []
    for key in ["ApiServicesEnabled", "ODataServicesEnabled"] {
      if value(key)?.lowercased() != "true" { off.append(key) }
    }
    if off.isEmpty {
      verified.append("ApiServicesEnabled and ODataServicesEnabled are true")
      return
    }
    let described = off.map { key in
      "\(key) is \(configuration.value(key).map { $0.isEmpty ? "empty" : "'\(Self.clip($0))'" } ?? "not set (default false)")"
    }
    let commands = off.map { PowerShell.set(instance, $0, "true") }.joined(separator: "; ")
    problems.append(
      .failed(
        Reason.onpremApiDisabled,
        "\(described.joined(separator: " and ")), so API calls get HTTP 405. Run \(commands); then \(restart), and in Business Central open API Setup and choose Integrate APIs."
      ))
  }

  // MARK: PublicWebBaseUrl and the redirect URI

  /// With OpenID Connect, a leftover AzureActiveDirectoryClientId breaks the web client's
  /// sign-in ("WSFederationLoginEndpoint … cannot be empty"), and with it granting consent from
  /// the Microsoft Entra Application card. S2S calls still work, so this is a note.
  mutating func webClientClientID() {
    let key = "AzureActiveDirectoryClientId"
    guard configuration.value("ADOpenIdMetadataLocation")?.isEmpty == false, (version?.major ?? 22) >= 20,
      let id = value(key), !id.allSatisfy({ $0 == "0" || $0 == "-" }),
      configuration.value("WSFederationLoginEndpoint")?.trimmedWhitespace.isEmpty ?? true
    else { return }
    notes.append(
      "\(key) is set (\(Self.clip(id))) while sign-in uses OpenID Connect and WSFederationLoginEndpoint is empty: the web client's sign-in, and so consent from the Microsoft Entra Application card, fails with 'WSFederationLoginEndpoint … cannot be empty'. Clear it: \(PowerShell.set(instance, key, "00000000-0000-0000-0000-000000000000")), then \(restart)."
    )
  }

  mutating func redirect() {
    let key = "PublicWebBaseUrl"
    let base = value(key)
    guard let given = settings.redirectURI?.trimmedSpaces, !given.isEmpty else {
      if base != nil { notes.append("No --redirect-uri given, so PublicWebBaseUrl was not compared with it.") }
      return
    }
    evidence.append(.init("redirectUri", given))
    guard let base else {
      notes.append(
        "PublicWebBaseUrl is not set, so Business Central builds the consent redirect from the server's own address; set it to the address users browse to (\(PowerShell.set(instance, key, Self.webBase(of: given))), then \(restart))."
      )
      return
    }
    let givenBase = Self.webBase(of: given)
    guard let expected = InputValidation.onPremRedirectURI(webClientURL: base) else {
      let base = Self.clip(base)
      problems.append(
        .failed(
          Reason.onpremRedirectUriMismatch,
          "PublicWebBaseUrl ('\(base)') is not an https URL, so Business Central sends a redirect URI that Entra ID refuses for consent. Run \(PowerShell.set(instance, key, givenBase)), then \(restart)."
        ))
      return
    }
    evidence.append(.init("redirectUri.expected", expected))
    if given == expected {
      verified.append("PublicWebBaseUrl matches the redirect URI \(given)")
      return
    }
    let sends = "This server sends \(expected) (PublicWebBaseUrl \(base) + OAuthLanding.htm, without :443)"
    if let problem = InputValidation.redirectURI(given, online: false),
      [Reason.inputRedirectUriDefaultPort, Reason.inputRedirectUriNotOauthlanding].contains(problem.reason)
    {
      problems.append(
        .failed(
          problem.reason, "\(problem.detail) \(sends): register exactly \(expected) as a Web redirect URI and use it."))
      return
    }
    problems.append(
      .failed(
        Reason.onpremRedirectUriMismatch,
        "The redirect URI \(given) differs from what this server sends: \(expected) (PublicWebBaseUrl \(base) + OAuthLanding.htm, :443 dropped, case-sensitive). Register \(expected) as a Web redirect URI, or, if users browse to \(givenBase), run \(PowerShell.set(instance, key, givenBase)), then \(restart)."
      ))
  }

  /// `https://host/BC/OAuthLanding.htm` → `https://host/BC/`.
  static func webBase(of redirect: String) -> String {
    var base = redirect
    if let query = base.firstIndex(where: { $0 == "?" || $0 == "#" }) { base = String(base[..<query]) }
    if base.lowercased().hasSuffix("/oauthlanding.htm") { base.removeLast("OAuthLanding.htm".count) }
    return base.hasSuffix("/") ? base : base + "/"
  }

  // MARK: version

  mutating func versionGate() {
    guard let version else {
      notes.append(
        "The file states no version, so the version was not checked (S2S needs 18.11, 19.5 or 20.0 and later).")
      return
    }
    let verify = "Get-NAVServerInstance -ServerInstance \(PowerShell.argument(instance)) | Select-Object Version"
    let oidc =
      version.major < 20
      ? " Note that OpenID Connect exists only from version 20: \(version.major).x authenticates with WS-Federation (ClientServicesFederationMetadataLocation)."
      : ""
    func unsupported(_ needed: String) {
      problems.append(
        .failed(
          Reason.onpremVersionUnsupported,
          "This server is version \(version.text) (from \(version.source)); S2S needs \(needed).\(oidc) Install the latest cumulative update of your version (or upgrade), check with \(verify), then run the checks again."
        ))
    }
    switch version.major {
    case ..<18: unsupported("18.11 or later (18.11 in the 18.x line, 19.5 in 19.x, any 20.0+)")
    case 18, 19:
      let needed = version.major == 18 ? 11 : 5
      if version.isPlatformBuild {
        notes.append(
          "\(version.text) is a platform build number, which does not tell the cumulative update; S2S needs application \(version.major).\(needed) or later (Help & Support in the web client shows it)."
        )
      } else if version.minor < needed {
        unsupported("\(version.major).\(needed) or later")
      } else {
        verified.append("version \(version.text) supports S2S")
        notes.append(oidc.trimmedSpaces)
      }
    default:
      verified.append("version \(version.text) supports S2S")
    }
  }

  // MARK: Multitenant

  mutating func multitenant() {
    let multitenant = value("Multitenant")?.lowercased() == "true"
    guard multitenant else {
      verified.append("single-tenant server")
      return
    }
    if let tenant = settings.serverTenant, !tenant.isEmpty {
      verified.append("multitenant server, calls name tenant \(tenant)")
      return
    }
    let database = configuration.value("DatabaseName").flatMap { $0.isEmpty ? nil : $0 } ?? "<database>"
    problems.append(
      .failed(
        Reason.onpremTenantParameterMissing,
        "The server is multitenant (Multitenant = true), but no Business Central tenant is given, so calls reach no tenant. Pass --server-tenant <BC tenant id> (calls then carry ?tenant=<id>), or use host-name tenants; and mount the tenant with its Entra tenant: Mount-NAVTenant -ServerInstance \(PowerShell.argument(instance)) -Tenant <BC tenant id> -DatabaseName \(PowerShell.argument(database)) -AadTenantId \(tenantID ?? "<Entra tenant id>")."
      ))
  }
}
