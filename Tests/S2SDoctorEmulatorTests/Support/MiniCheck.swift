import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL

@testable import S2SDoctorEmulator

/// A small stand-in for `s2s-doctor check`, written from the documented check behaviour, that
/// runs a scenario's flags over HTTP and names the reason it ends on.
///
/// It exists to prove that each scenario the emulator lists makes the emulator answer the way
/// its `expect` says; it is not the tool's logic and takes no part in production.
enum MiniCheck {
  static let scope = "https://api.businesscentral.dynamics.com/.default"

  static func diagnose(_ scenario: ScenarioInfo) async -> String {
    let args = ScenarioArguments(scenario.args)
    if let problem = inputProblem(args, env: scenario.env) { return problem }
    let timeout = Int64(args["--timeout"] ?? "10") ?? 10
    let client: HTTPClient
    do {
      client = try TestHTTP.client(caFile: args["--ca-file"], timeout: timeout)
    } catch {
      return "harness: \(error)"
    }
    let reason = await online(args, env: scenario.env, client: client, timeout: timeout)
    try? await client.shutdown()
    return reason
  }

  // MARK: - Input

  static func inputProblem(_ args: ScenarioArguments, env: [String: String]) -> String? {
    let tenant = args["--tenant"] ?? ""
    if ["common", "organizations", "consumers"].contains(tenant.lowercased()) {
      return "input.tenant-not-specific"
    }
    if !StableID.isGUID(tenant) && !isDomain(tenant) { return "input.tenant-invalid" }
    if !StableID.isGUID(args["--client-id"] ?? "") { return "input.client-id-invalid" }
    if args["--certificate"] == nil {
      let secret = env["AZURE_CLIENT_SECRET"] ?? ""
      if secret.isEmpty { return "input.secret-missing" }
      if StableID.isGUID(secret) { return "input.secret-looks-like-id" }
      if secret != secret.trimmingCharacters(in: .whitespacesAndNewlines) || secret.hasPrefix("\"") {
        return "input.secret-has-stray-characters"
      }
    }
    let environment = args["--environment"] ?? "production"
    if environment.isEmpty || !environment.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) {
      return "input.environment-invalid"
    }
    if let redirect = args["--redirect-uri"] {
      guard let url = URL(string: redirect), url.scheme == "https" else { return "input.redirect-uri-invalid" }
      if url.port == 443 { return "input.redirect-uri-default-port" }
      if !url.path.hasSuffix("/OAuthLanding.htm") { return "input.redirect-uri-not-oauthlanding" }
      if url.host != "businesscentral.dynamics.com" { return "input.redirect-uri-online-mismatch" }
    }
    return nil
  }

  private static func isDomain(_ text: String) -> Bool {
    let labels = text.split(separator: ".", omittingEmptySubsequences: false)
    return labels.count >= 2
      && labels.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } }
  }

  // MARK: - Network

  private enum Outcome {
    case response(Fetched)
    case reason(String)
  }

  private static func networkReason(_ error: any Error) -> String {
    let text = String(reflecting: error).lowercased()
    if text.contains("deadline") || text.contains("timeout") || text.contains("timedout") {
      return "network.timeout"
    }
    if text.contains("refused") || text.contains("errno: 111") { return "network.connection-refused" }
    if text.contains("certificate") || text.contains("handshakefailed") {
      return "network.tls-untrusted"
    }
    return "network.unexpected-response"
  }

  private static func fetch(
    _ method: String, _ url: String, headers: [(String, String)] = [], form: [(String, String)]? = nil,
    client: HTTPClient, timeout: Int64
  ) async -> Outcome {
    do {
      let fetched: Fetched
      if let form {
        fetched = try await TestHTTP.postForm(url, form, headers: headers, client: client, timeout: timeout)
      } else {
        fetched = try await TestHTTP.get(url, headers: headers, client: client, limit: 8 << 20, timeout: timeout)
      }
      if (300..<400).contains(fetched.status) { return .reason("network.unexpected-response") }
      return .response(fetched)
    } catch {
      return .reason(networkReason(error))
    }
  }

  // MARK: - Online checks

  private static func online(
    _ args: ScenarioArguments, env: [String: String], client: HTTPClient, timeout: Int64
  ) async -> String {
    guard let authority = args["--authority-host"], let bcHost = args["--bc-api-host"],
      let tenant = args["--tenant"], let clientID = args["--client-id"]
    else { return "harness: missing flags" }
    let environment = args["--environment"] ?? "production"

    // OpenID discovery.
    let discovery: Fetched
    switch await fetch(
      "GET", "\(authority)/\(tenant)/v2.0/.well-known/openid-configuration", client: client, timeout: timeout)
    {
    case .reason(let reason): return reason
    case .response(let fetched): discovery = fetched
    }
    guard let document = discovery.json else { return "network.unexpected-response" }
    if discovery.status == 400, (document["error_codes"] as? [Int])?.contains(90002) == true {
      return "entra.tenant-not-found"
    }
    guard discovery.status == 200, let tokenEndpoint = document["token_endpoint"] as? String else {
      return "entra.unknown-error"
    }
    if document["cloud_instance_name"] as? String != "microsoftonline.com"
      || ["USGov", "USG"].contains(document["tenant_region_scope"] as? String ?? "")
    {
      return "entra.tenant-in-other-cloud"
    }
    guard let tenantGUID = URL(string: tokenEndpoint)?.pathComponents.dropFirst().first else {
      return "network.unexpected-response"
    }

    // Token.
    var form = [("grant_type", "client_credentials"), ("client_id", clientID), ("scope", scope)]
    if let certificate = args["--certificate"] {
      guard
        let assertion = try? JWT.clientAssertion(pemFile: certificate, clientID: clientID, audience: tokenEndpoint)
      else { return "harness: certificate" }
      form += [
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", assertion),
      ]
    } else {
      form.append(("client_secret", env["AZURE_CLIENT_SECRET"] ?? ""))
    }
    let tokenResponse: Fetched
    switch await fetch("POST", tokenEndpoint, form: form, client: client, timeout: timeout) {
    case .reason(let reason): return reason
    case .response(let fetched): tokenResponse = fetched
    }
    if tokenResponse.status == 407 { return "network.proxy-auth-required" }
    guard tokenResponse.header("Content-Type")?.hasPrefix("application/json") == true,
      let body = tokenResponse.json
    else { return "network.unexpected-response" }
    if tokenResponse.status == 429 { return "entra.throttled" }
    if tokenResponse.status >= 500 { return "entra.unavailable" }
    if tokenResponse.status != 200 {
      let codes: [Int: String] = [
        90002: "entra.tenant-not-found", 900432: "entra.tenant-in-other-cloud", 900382: "entra.tenant-in-other-cloud",
        700016: "entra.app-not-found",
        7000215: "entra.secret-invalid", 7000222: "entra.secret-expired", 7000216: "entra.credential-missing",
        50059: "entra.tenant-not-specified", 1002012: "entra.scope-invalid", 500011: "entra.resource-not-found",
        7000112: "entra.app-disabled", 53003: "entra.conditional-access", 700027: "entra.certificate-rejected",
      ]
      return (body["error_codes"] as? [Int])?.first.flatMap { codes[$0] } ?? "entra.unknown-error"
    }
    guard let accessToken = body["access_token"] as? String, let token = JWT.decode(accessToken) else {
      return "network.unexpected-response"
    }
    let claims = token.claims

    // The registration through Microsoft Graph (refusal and warnings only count when nothing fails).
    var pending: String?
    switch await registration(
      args, env: env, form: form, tokenEndpoint: tokenEndpoint, bcRoles: claims["roles"] as? [String] ?? [],
      client: client, timeout: timeout)
    {
    case .failed(let reason): return reason
    case .pending(let reason): pending = reason
    case .fine: break
    }

    guard let roles = claims["roles"] as? [String] else { return "token.roles-missing" }
    if !roles.contains("API.ReadWrite.All") { return "token.api-role-missing" }
    if !args.flags.contains("--no-automation"), !roles.contains("Automation.ReadWrite.All") {
      return "token.automation-role-missing"
    }
    let audiences: Set<String> = [
      "https://api.businesscentral.dynamics.com", "https://api.businesscentral.dynamics.com/",
      "996def3d-b36c-4153-8607-a6fd3c01b89f",
    ]
    if !audiences.contains(claims["aud"] as? String ?? "") { return "token.audience-not-bc" }
    if claims["scp"] != nil || claims["idtyp"] as? String != "app" { return "token.not-app-only" }
    if (claims["tid"] as? String)?.lowercased() != tenantGUID.lowercased() { return "token.tenant-mismatch" }
    if let date = tokenResponse.header("Date"), let server = httpDate(date),
      abs(server.timeIntervalSinceNow) > 300
    {
      return "token.clock-skew"
    }
    if let exp = (claims["exp"] as? NSNumber)?.doubleValue, exp < Date().timeIntervalSince1970 {
      return "token.expired"
    }

    // Business Central.
    let bearer = [("Authorization", "Bearer \(accessToken)"), ("Accept", "application/json")]
    let root = "\(bcHost)/v2.0/\(tenantGUID)/\(environment)"
    let companies: Fetched
    switch await fetch("GET", root + "/api/v2.0/companies", headers: bearer, client: client, timeout: timeout) {
    case .reason(let reason): return reason
    case .response(let fetched): companies = fetched
    }
    if let reason = bcReason(companies) { return reason }
    let listed = (companies.json?["value"] as? [[String: Any]]) ?? []
    if listed.isEmpty { return "bc.no-companies-visible" }
    if let company = args["--company"] {
      let known = listed.flatMap { [$0["name"], $0["displayName"], $0["id"]].compactMap { $0 as? String } }
      if !known.contains(company) { return "bc.company-not-found" }
    }

    if !args.flags.contains("--no-automation") {
      switch await fetch(
        "GET", root + "/api/microsoft/automation/v2.0/companies", headers: bearer, client: client, timeout: timeout)
      {
      case .reason(let reason): return reason
      case .response(let fetched):
        if fetched.status != 200 { return "bc.automation-permission-missing" }
      }
    }

    if args.flags.contains("--admin") {
      switch await fetch(
        "GET", "\(bcHost)/admin/v2.24/applications/BusinessCentral/environments", headers: bearer, client: client,
        timeout: timeout)
      {
      case .reason(let reason): return reason
      case .response(let fetched):
        if fetched.status == 401 || fetched.status == 403 { return "admin.app-not-authorized" }
        let names = ((fetched.json?["value"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
        if !names.contains(environment) { return "bc.environment-not-found" }
      }
    }

    if let apiPath = args["--api-path"] {
      switch await fetch("GET", root + apiPath, headers: bearer, client: client, timeout: timeout) {
      case .reason(let reason): return reason
      case .response(let fetched):
        if let reason = bcReason(fetched) { return reason }
      }
    }
    return pending ?? "passed"
  }

  private enum RegistrationVerdict {
    case fine
    /// Could-not-test or a warning: the answer unless something fails later.
    case pending(String)
    case failed(String)
  }

  /// Reads the app's own registration through Graph with a Graph token from the same credential.
  private static func registration(
    _ args: ScenarioArguments, env: [String: String], form: [(String, String)], tokenEndpoint: String,
    bcRoles: [String], client: HTTPClient, timeout: Int64
  ) async -> RegistrationVerdict {
    guard let graph = args["--graph-host"] ?? args["--authority-host"], let clientID = args["--client-id"] else {
      return .pending("harness: flags")
    }
    let graphForm = form.map { $0.0 == "scope" ? ("scope", "https://graph.microsoft.com/.default") : $0 }
    guard
      case .response(let tokenFetched) = await fetch(
        "POST", tokenEndpoint, form: graphForm, client: client, timeout: timeout),
      tokenFetched.status == 200, let graphToken = tokenFetched.json?["access_token"] as? String
    else { return .pending("registration.graph-refused") }
    let bearer = [("Authorization", "Bearer \(graphToken)")]
    var objects: [[String: Any]] = []
    for collection in ["applications", "servicePrincipals"] {
      guard
        case .response(let fetched) = await fetch(
          "GET", "\(graph)/v1.0/\(collection)(appId='\(clientID)')", headers: bearer, client: client, timeout: timeout)
      else { return .pending("network.unexpected-response") }
      if fetched.status == 401 || fetched.status == 403 { return .pending("registration.graph-refused") }
      guard fetched.status == 200, let json = fetched.json else { return .pending("registration.graph-refused") }
      objects.append(json)
    }
    let (application, servicePrincipal) = (objects[0], objects[1])
    if servicePrincipal["accountEnabled"] as? Bool == false { return .failed("entra.app-disabled") }

    var warning: String?
    let now = Date()
    func end(_ item: [String: Any]) -> Date? {
      guard let text = item["endDateTime"] as? String else { return nil }
      return ISO8601DateFormatter().date(from: String(text.prefix(19)) + "Z")
    }
    let inUse: [String: Any]?
    if args["--certificate"] != nil {
      inUse = (application["keyCredentials"] as? [[String: Any]])?.first
    } else {
      let hint = String((env["AZURE_CLIENT_SECRET"] ?? "").prefix(3))
      inUse = (application["passwordCredentials"] as? [[String: Any]])?.first { $0["hint"] as? String == hint }
    }
    if let inUse, let expires = end(inUse) {
      if expires < now { return .failed("entra.secret-expired") }
      if expires.timeIntervalSince(now) < 30 * 86_400 { warning = "registration.credential-expiring" }
    }

    let ids = [
      "a42b0b75-311e-488d-b67e-8fe84f924341": "API.ReadWrite.All",
      "d365bc00-a990-0000-00bc-160000000001": "Automation.ReadWrite.All",
      "a20fe46f-4f63-4666-8e0e-9b882d90b837": "AdminCenter.ReadWrite.All",
    ]
    let configured = ((application["requiredResourceAccess"] as? [[String: Any]]) ?? [])
      .filter { $0["resourceAppId"] as? String == "996def3d-b36c-4153-8607-a6fd3c01b89f" }
      .flatMap { ($0["resourceAccess"] as? [[String: Any]]) ?? [] }
      .compactMap { ($0["id"] as? String).flatMap { ids[$0] } }
    var required = ["API.ReadWrite.All"]
    if !args.flags.contains("--no-automation") { required.append("Automation.ReadWrite.All") }
    if args.flags.contains("--admin") { required.append("AdminCenter.ReadWrite.All") }
    if required.contains(where: { !configured.contains($0) }) { return .failed("registration.permission-not-added") }
    if required.contains(where: { !bcRoles.contains($0) }) { return .failed("registration.permission-not-consented") }

    if let redirect = args["--redirect-uri"] {
      let registered = ((application["web"] as? [String: Any])?["redirectUris"] as? [String]) ?? []
      if !registered.contains(redirect) { return .failed("registration.redirect-uri-missing") }
    }
    if args.flags.contains("--multi-tenant"), application["signInAudience"] as? String == "AzureADMyOrg" {
      return .failed("registration.single-tenant")
    }
    return warning.map(RegistrationVerdict.pending) ?? .fine
  }

  /// The reason of a failed Business Central answer, `nil` for 200.
  static func bcReason(_ fetched: Fetched) -> String? {
    if fetched.status == 200 {
      return fetched.json == nil ? "network.unexpected-response" : nil
    }
    let error = fetched.json?["error"] as? [String: Any]
    let code = error?["code"] as? String ?? ""
    let message = error?["message"] as? String ?? ""
    switch fetched.status {
    case 401: return "bc.app-not-accepted"
    case 403: return "bc.permission-missing"
    case 400 where code == "Internal_ServerError" && message.contains("permissions"): return "bc.permission-missing"
    case 404 where code != "BadRequest_NotFound": return "bc.environment-not-found"
    default: break
    }
    switch code {
    case "BadRequest_NotFound": return "bc.endpoint-not-found"
    case "Internal_TenantUnavailable": return "bc.tenant-unavailable"
    case "Internal_CompanyNotFound": return "bc.company-not-found"
    case "BadRequest": return "bc.request-malformed"
    default: break
    }
    switch fetched.status {
    case 429: return "bc.throttled"
    case 502, 503, 504: return "bc.unavailable"
    case 500: return "bc.server-error"
    default: return "bc.unknown-error"
    }
  }

  static func httpDate(_ text: String) -> Date? {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
    return formatter.date(from: text)
  }
}
