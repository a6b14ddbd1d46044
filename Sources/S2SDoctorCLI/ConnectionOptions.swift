import ArgumentParser
import Foundation
import S2SDoctorCore
import S2SDoctorOnPrem

/// The connection options shared by `check`, `setup`, `fleet`, `export http` and `consent-url`.
///
/// Precedence: flag > environment > profile > default. The secret is never a flag value.
public struct ConnectionOptions: ParsableArguments, Sendable {
  @Option(help: "Directory (tenant) ID GUID or verified domain. Env: AZURE_TENANT_ID.")
  public var tenant: String?

  @Option(name: .customLong("client-id"), help: "Application (client) ID. Env: AZURE_CLIENT_ID.")
  public var clientID: String?

  @Option(help: "Business Central environment name (online). Default: production.")
  public var environment: String?

  @Option(help: "Company name or id to check (optional).")
  public var company: String?

  @Option(help: "online or onprem. Default: online.")
  public var deployment: Deployment?

  @Option(name: .customLong("bc-url"), help: "On-premises server instance URL, e.g. https://server:7048/BC.")
  public var bcURL: String?

  @Flag(
    name: .customLong("allow-http-bc-url"),
    help:
      "On-premises only: allow an http:// --bc-url (a local development container). The token then travels in cleartext; the report warns."
  )
  public var allowHTTPBCURL = false

  @Option(name: .customLong("server-tenant"), help: "On-premises tenant id for multitenant servers (?tenant=).")
  public var serverTenant: String?

  @Option(
    name: .customLong("authority-host"),
    help: "Entra ID authority host. Env: AZURE_AUTHORITY_HOST. Default: https://login.microsoftonline.com.")
  public var authorityHost: String?

  @Option(help: "Named cloud for the authority host: public, usgov or china.")
  public var cloud: String?

  @Option(
    name: .customLong("bc-api-host"),
    help: "Business Central API host. Default: https://api.businesscentral.dynamics.com.")
  public var bcAPIHost: String?

  @Option(name: .customLong("ca-file"), help: "Extra trusted CA certificates (PEM), e.g. a TLS-inspecting proxy's CA.")
  public var caFile: String?

  @Option(help: "Time limit for each request, in seconds. Default: 10.")
  public var timeout: Double?

  @Option(
    help:
      "PEM file with the certificate and its private key (certificate credential). Env: AZURE_CLIENT_CERTIFICATE_PATH.")
  public var certificate: String?

  @Option(name: .customLong("client-secret-file"), help: "Read the client secret from this file (first line).")
  public var clientSecretFile: String?

  @Flag(name: .customLong("client-secret-stdin"), help: "Read the client secret from standard input.")
  public var clientSecretStdin = false

  @Option(
    name: .customLong("client-secret"),
    help: ArgumentHelp(
      "Refused: a secret on the command line lands in shell history and the process list.", visibility: .hidden))
  public var clientSecretValue: String?

  @Option(help: "Saved profile to read settings from (see `s2s-doctor setup`).")
  public var profile: String?

  @Option(
    name: .customLong("redirect-uri"), help: "Redirect URI registered for consent from the BC web client (validated).")
  public var redirectURI: String?

  @Option(
    name: .customLong("api-path"),
    help: "Also call this custom API path under the environment, e.g. /api/contoso/app/v1.0/companies.")
  public var apiPath: String?

  @Flag(help: "Also check the admin center API (needs AdminCenter.ReadWrite.All and an authorized app).")
  public var admin = false

  @Flag(
    name: .customLong("no-automation"), help: "Leave the automation API (and Automation.ReadWrite.All) out of scope.")
  public var noAutomation = false

  @Option(
    name: .customLong("server-config"),
    help: "On-premises: CustomSettings.config or Get-NAVServerConfiguration output to check.")
  public var serverConfig: String?

  @Option(name: .customLong("server-log"), help: "On-premises: exported server event log to scan.")
  public var serverLog: String?

  @Option(
    name: .customLong("graph-host"),
    help: "Microsoft Graph base URL for the registration checks. Default: from the authority host.")
  public var graphHost: String?

  @Option(
    name: .customLong("expiry-warning"),
    help: "Warn when the secret or certificate in use expires within DAYS days. Default: 30.")
  public var expiryWarning: Int?

  @Flag(
    name: .customLong("multi-tenant"),
    help: "The app is used in other tenants than its home tenant (partner, fleet): it must be multitenant.")
  public var multiTenant = false

  public init() {}

  /// Every connection flag, by its long name, and whether the command line gave it.
  var givenFlags: [(flag: String, given: Bool)] {
    [
      ("tenant", tenant != nil), ("client-id", clientID != nil), ("environment", environment != nil),
      ("company", company != nil), ("deployment", deployment != nil), ("bc-url", bcURL != nil),
      ("allow-http-bc-url", allowHTTPBCURL), ("server-tenant", serverTenant != nil),
      ("authority-host", authorityHost != nil), ("cloud", cloud != nil), ("bc-api-host", bcAPIHost != nil),
      ("ca-file", caFile != nil), ("timeout", timeout != nil), ("certificate", certificate != nil),
      ("client-secret-file", clientSecretFile != nil), ("client-secret-stdin", clientSecretStdin),
      ("profile", profile != nil), ("redirect-uri", redirectURI != nil), ("api-path", apiPath != nil),
      ("admin", admin), ("no-automation", noAutomation), ("server-config", serverConfig != nil),
      ("server-log", serverLog != nil), ("graph-host", graphHost != nil), ("expiry-warning", expiryWarning != nil),
      ("multi-tenant", multiTenant),
    ]
  }

  /// Refuses (exit 64, naming it) a flag the command would silently ignore: a user who passes
  /// one believes it changed something.
  func refuseFlags(except used: Set<String>, command: String) throws {
    for (flag, given) in givenFlags where given && !used.contains(flag) {
      throw ValidationError("--\(flag) does nothing for `s2s-doctor \(command)`; leave it out.")
    }
  }

  /// Refuses the flags in `unused` when given.
  func refuseFlags(_ unused: Set<String>, command: String) throws {
    try refuseFlags(except: Set(givenFlags.map(\.flag)).subtracting(unused), command: command)
  }

  public func validate() throws {
    if clientSecretValue != nil {
      throw ValidationError(
        "--client-secret is refused: a secret on the command line is saved in shell history and visible in the process list. Use the AZURE_CLIENT_SECRET environment variable, --client-secret-file FILE or --client-secret-stdin."
      )
    }
    if let timeout, !(timeout > 0 && timeout <= 600) {
      throw ValidationError("--timeout must be between 0 and 600 seconds.")
    }
    if let cloud, BusinessCentral.clouds[cloud] == nil {
      throw ValidationError("--cloud must be one of: \(BusinessCentral.clouds.keys.sorted().joined(separator: ", ")).")
    }
    if let expiryWarning, !(0...730).contains(expiryWarning) {
      throw ValidationError("--expiry-warning must be between 0 and 730 days.")
    }
    if clientSecretFile != nil && clientSecretStdin {
      throw ValidationError("Use either --client-secret-file or --client-secret-stdin, not both.")
    }
  }

  /// Merges flags, environment and profile into settings; reads the secret from its one source.
  public func resolve(environment env: [String: String] = ProcessInfo.processInfo.environment)
    throws -> (settings: ConnectionSettings, secret: Secret?)
  {
    var settings = ConnectionSettings()
    if let name = profile ?? nil {
      do {
        settings = try ProfileStore(environment: env).load(name).settings
      } catch let error as StoreError {
        throw ValidationError(error.description)
      }
      for key in [
        "tenant", "clientID", "environment", "company", "deployment", "bcURL", "authorityHost", "bcAPIHost",
        "redirectURI", "certificatePath",
      ] {
        settings.sources[key] = .profile
      }
    }
    func pick(_ key: String, flag: String?, envName: String?) -> String? {
      if let flag {
        settings.sources[key] = .flag
        return flag
      }
      if let envName, let value = env[envName], !value.isEmpty {
        settings.sources[key] = .environment
        return value
      }
      return nil
    }
    if let v = pick("tenant", flag: tenant, envName: "AZURE_TENANT_ID") { settings.tenant = v }
    if let v = pick("clientID", flag: clientID, envName: "AZURE_CLIENT_ID") { settings.clientID = v }
    if let v = pick("environment", flag: environment, envName: nil) { settings.environment = v }
    if let v = pick("company", flag: company, envName: nil) { settings.company = v }
    if let deployment {
      settings.deployment = deployment
      settings.sources["deployment"] = .flag
    }
    if let v = pick("bcURL", flag: bcURL, envName: nil) {
      // https://bc:7048/BC/ODataV4/ and https://bc:7048/BC are the same instance; a bad URL is
      // kept as typed so that the input.target check can say what is wrong with it.
      settings.bcURL = (try? InputValidation.serverURL(v, allowHTTP: allowHTTPBCURL).get()) ?? v
    }
    if allowHTTPBCURL { settings.allowHTTPBCURL = true }
    if let v = pick("serverTenant", flag: serverTenant, envName: nil) { settings.serverTenant = v }
    if let cloud, let host = BusinessCentral.clouds[cloud] {
      settings.authorityHost = host
      settings.sources["authorityHost"] = .flag
    }
    if let v = pick("authorityHost", flag: authorityHost, envName: "AZURE_AUTHORITY_HOST") {
      settings.authorityHost = Self.withScheme(v)
    }
    while settings.authorityHost.hasSuffix("/") { settings.authorityHost.removeLast() }
    if let v = pick("bcAPIHost", flag: bcAPIHost, envName: nil) { settings.bcAPIHost = Self.withScheme(v) }
    while settings.bcAPIHost.hasSuffix("/") { settings.bcAPIHost.removeLast() }
    // The secret and the token go to these hosts: TLS only, loopback included.
    for (key, flag, envName) in [
      ("authorityHost", "--authority-host", "AZURE_AUTHORITY_HOST"), ("bcAPIHost", "--bc-api-host", nil),
    ] {
      let value = key == "authorityHost" ? settings.authorityHost : settings.bcAPIHost
      guard URLComponents(string: value)?.scheme?.lowercased() != "https" else { continue }
      let origin: String
      switch settings.sources[key] {
      case .environment?: origin = envName ?? flag
      case .profile?: origin = "\(flag) (from profile \(profile ?? ""))"
      default: origin = flag
      }
      throw ValidationError(
        "\(origin) \(value) is refused: only https is allowed, because the client secret and the access token would travel in cleartext. Use the https:// address."
      )
    }
    if allowHTTPBCURL && settings.bcURL == nil {
      throw ValidationError("--allow-http-bc-url applies only to an on-premises --bc-url.")
    }
    if let v = pick("caFile", flag: caFile, envName: nil) { settings.caFile = absolute(v) }
    if let timeout { settings.timeoutSeconds = timeout }
    if let v = pick("certificatePath", flag: certificate, envName: "AZURE_CLIENT_CERTIFICATE_PATH") {
      settings.certificatePath = absolute(v)
    }
    if let v = pick("redirectURI", flag: redirectURI, envName: nil) { settings.redirectURI = v }
    if let v = pick("apiPath", flag: apiPath, envName: nil) { settings.apiPath = v }
    if admin { settings.checkAdmin = true }
    if noAutomation { settings.checkAutomation = false }
    if let v = pick("serverConfig", flag: serverConfig, envName: nil) { settings.serverConfig = absolute(v) }
    if let v = pick("serverLog", flag: serverLog, envName: nil) { settings.serverLog = absolute(v) }
    applyRegistrationOptions(to: &settings)
    if settings.bcURL != nil && deployment == nil && settings.sources["deployment"] == nil {
      settings.deployment = .onprem
      settings.sources["deployment"] = .derived
    }

    var secret: Secret?
    if let file = clientSecretFile {
      guard let data = try? BoundedInput.file(file, limit: Self.secretLimit, what: "The secret file \(file)") else {
        throw ValidationError(
          "Cannot read the secret file \(file) (or it is larger than 64 KB). Check the path and its permissions.")
      }
      secret = Secret(Self.firstLine(String(decoding: data, as: UTF8.self)))
      settings.sources["secret"] = .flag
    } else if clientSecretStdin {
      let data: Data
      do {
        data = try BoundedInput.read(fd: STDIN_FILENO, limit: Self.secretLimit, what: "The secret on standard input")
      } catch {
        throw ValidationError("\(error)")
      }
      secret = Secret(Self.firstLine(String(decoding: data, as: UTF8.self)))
      settings.sources["secret"] = .flag
    } else if let value = env["AZURE_CLIENT_SECRET"] {
      secret = Secret(value)
      settings.sources["secret"] = .environment
    }
    if let secret { Redactor.shared.register(secret.value) }
    return (settings, secret)
  }

  /// A client secret is about 40 characters; a secret file or pipe is read up to 64 KB.
  static let secretLimit = 64 << 10

  /// A secret file or pipe usually ends with one line break (CRLF from Notepad, LF, or a lone
  /// CR), and a file saved as "UTF-8 with BOM" starts with U+FEFF: neither is part of the secret.
  /// Anything else is kept, so that `input.credential` can name it before a token is requested.
  static func firstLine(_ text: String) -> String {
    var scalars = Substring(text).unicodeScalars
    if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
    if scalars.last == "\n" { scalars.removeLast() }
    if scalars.last == "\r" { scalars.removeLast() }
    return String(scalars)
  }

  /// A host without a scheme means https; a scheme the user typed is kept (and checked).
  static func withScheme(_ value: String) -> String {
    value.contains("://") ? value : "https://" + value
  }

  func absolute(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
  }
}

extension Deployment: ExpressibleByArgument {}
