import Foundation
import S2SDoctorCore

/// Fixed runs for the golden-file tests: built in code, with fixed dates and fixed words (not read
/// from the catalogue, so a catalogue edit does not change the goldens).
enum Fixtures {
  static let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
  static let clientID = "3f2a9c1e-5b7d-4e8f-9a0b-c1d2e3f4a5b6"
  static let started = Date(timeIntervalSince1970: 1_741_944_413)  // 2025-03-14T09:26:53Z
  static let tool = ToolInfo(version: "0.1.0", platform: "Linux x86_64")

  static func target(company: String? = nil) -> TargetInfo {
    TargetInfo(
      tenant: tenant, clientId: clientID, environment: "production", company: company,
      deployment: "online", authorityHost: "https://login.microsoftonline.com",
      bcApiHost: "https://api.businesscentral.dynamics.com", bcUrl: nil,
      credential: "client secret from environment (value hidden)")
  }

  static func run(_ results: [CheckResult], company: String? = nil) -> RunReport {
    let total = results.reduce(0) { $0 + $1.durationMs }
    return RunReport(
      tool: tool, target: target(company: company), startedAt: started,
      finishedAt: started.addingTimeInterval(Double(total) / 1000 + 0.009), results: results)
  }

  /// Every check passes, except the optional ones that were not asked for.
  static var healthy: RunReport {
    run(
      [
        passed(
          "input.tenant", "The tenant is a usable identifier",
          "The tenant is a Directory (tenant) ID GUID.", ms: 0),
        passed(
          "input.client-id", "The client ID is an Application (client) ID",
          "The client ID is a GUID.", ms: 0),
        passed(
          "input.credential", "A credential is present and looks intact",
          "A client secret of 40 characters was given (value hidden).", ms: 0),
        passed(
          "input.target", "The environment or server address is valid",
          "Environment production on https://api.businesscentral.dynamics.com.", ms: 0),
        skipped(
          "input.redirect-uri", "The redirect URI works for consent from Business Central",
          "No --redirect-uri given."),
        passed(
          "entra.tenant", "The tenant resolves in Entra ID",
          "The tenant's OpenID configuration was found.",
          evidence: ["issuer": "https://login.microsoftonline.com/\(tenant)/v2.0", "http": "200"],
          ms: 212),
        passed(
          "entra.token", "Entra ID issues a token for Business Central",
          "Entra ID issued a v1 access token valid for 3599 seconds.",
          evidence: ["http": "200", "token_type": "Bearer", "expires_in": "3599"], ms: 388),
        passed(
          "token.app-only", "The token is an app-only (S2S) token",
          "idtyp is app and the token has no scp claim.", ms: 0),
        passed(
          "token.audience", "The token is for Business Central",
          "aud is https://api.businesscentral.dynamics.com.", ms: 0),
        passed(
          "token.tenant", "The token comes from the tenant being checked",
          "tid matches the tenant.", ms: 0),
        passed(
          "token.roles", "The token carries the Business Central application permissions",
          "roles: API.ReadWrite.All, Automation.ReadWrite.All.", ms: 0),
        passed(
          "token.clock", "The local clock agrees with Entra ID",
          "The local clock is 1 second behind Entra ID.", ms: 0),
        passed(
          "bc.companies", "Business Central accepts the app and lists companies",
          "3 companies are visible.",
          evidence: [
            "http": "200", "companies": "3", "request-id": "8d3c62b1-0f4e-4a8e-b7b2-52a3f0c1d9e4",
          ], ms: 541),
        passed(
          "bc.company", "The named company is visible",
          "CRONUS USA, Inc. is visible (id 5e8f2b3c-1a9d-4c7e-8f6b-0d2e4a6c8b1f).", ms: 0),
        passed(
          "bc.automation", "The automation API accepts the app",
          "GET /api/microsoft/automation/v2.0/companies answered 200.",
          evidence: ["http": "200"], ms: 302),
        skipped("bc.custom-api", "The custom API route answers", "No --api-path given."),
        skipped("bc.admin", "The admin center API accepts the app", "Not asked for (add --admin)."),
      ], company: "CRONUS USA, Inc.")
  }

  /// One result of each status, with evidence that needs escaping in every format.
  static var everyStatus: RunReport {
    run([
      passed(
        "input.tenant", "The tenant is a usable identifier",
        "The tenant is a Directory (tenant) ID GUID.", ms: 0),
      passed(
        "input.client-id", "The client ID is an Application (client) ID",
        "The client ID is a GUID.", ms: 0),
      passed(
        "input.credential", "A credential is present and looks intact",
        "A client secret of 40 characters was given (value hidden).", ms: 0),
      passed(
        "input.target", "The environment or server address is valid",
        "Environment production on https://api.businesscentral.dynamics.com.", ms: 0),
      skipped(
        "input.redirect-uri", "The redirect URI works for consent from Business Central",
        "No --redirect-uri given."),
      passed(
        "entra.tenant", "The tenant resolves in Entra ID",
        "The tenant's OpenID configuration was found.",
        evidence: ["issuer": "https://login.microsoftonline.com/\(tenant)/v2.0", "http": "200"],
        ms: 198),
      passed(
        "entra.token", "Entra ID issues a token for Business Central",
        "Entra ID issued a v1 access token valid for 3599 seconds.",
        evidence: ["http": "200", "token_type": "Bearer", "expires_in": "3599"], ms: 402),
      passed(
        "token.app-only", "The token is an app-only (S2S) token",
        "idtyp is app and the token has no scp claim.", ms: 0),
      passed(
        "token.audience", "The token is for Business Central",
        "aud is https://api.businesscentral.dynamics.com.", ms: 0),
      passed(
        "token.tenant", "The token comes from the tenant being checked", "tid matches the tenant.",
        ms: 0),
      CheckResult.make(
        check: "token.roles",
        title: "The token carries the Business Central application permissions",
        status: .warning, reason: "token.automation-role-missing",
        summary:
          "The token's roles do not include Automation.ReadWrite.All, which the automation APIs require.",
        detail:
          "roles: API.ReadWrite.All. Automation calls will be refused; leave them out with --no-automation if the integration does not need them.",
        why:
          "Calls under /api/microsoft/automation/ need an application token carrying Automation.ReadWrite.All; without it they are refused even if data APIs work.",
        fix:
          "Add the application permission Automation.ReadWrite.All, grant admin consent, and request a new token.",
        steps: [
          "App registrations > (your app) > API permissions > Add a permission > Microsoft APIs > Dynamics 365 Business Central > Application permissions > Automation.ReadWrite.All.",
          "Grant admin consent for <tenant>, then get a new token and confirm roles contains Automation.ReadWrite.All.",
        ],
        whoFixes: "entra-admin",
        docs: [
          "https://learn.microsoft.com/dynamics365/business-central/dev-itpro/administration/automation-apis-using-s2s-authentication"
        ],
        evidence: ["roles": "API.ReadWrite.All"], durationMs: 0),
      passed(
        "token.clock", "The local clock agrees with Entra ID",
        "The local clock is 1 second behind Entra ID.", ms: 0),
      CheckResult.make(
        check: "bc.companies", title: "Business Central accepts the app and lists companies",
        status: .failed,
        reason: "bc.app-not-accepted",
        summary:
          "Business Central rejected a valid token because the app is not registered and enabled on its *Microsoft Entra Applications* page.",
        detail:
          "GET https://api.businesscentral.dynamics.com/v2.0/\(tenant)/production/api/v2.0/companies answered 401 Authentication_InvalidCredentials: \"The server has rejected the client credentials.\"",
        why:
          "Consent in Entra ID only lets the app obtain a token. Business Central additionally requires the client ID to be listed on *Microsoft Entra Applications* with State = Enabled; otherwise every call fails with 401 Authentication_InvalidCredentials.",
        fix:
          "In Business Central, add the app's client ID on *Microsoft Entra Applications*, set State to Enabled and assign its permission sets.",
        steps: [
          "Business Central web client > search *Microsoft Entra Applications* > New: enter the Client ID and a Description (it becomes the app's user name).",
          "Set State = Enabled (needs the SUPER or SECURITY permission set); confirm that a user is created for the app.",
          "In the *User Permission Sets* part, add the sets the integration needs (for example D365 AUTOMATION, EXTEN. MGT. - ADMIN, or your extension's sets); SUPER cannot be assigned.",
        ],
        whoFixes: "bc-admin",
        docs: [
          "https://learn.microsoft.com/dynamics365/business-central/dev-itpro/administration/automation-apis-using-s2s-authentication",
          "https://learn.microsoft.com/dynamics365/business-central/dev-itpro/webservices/dynamics-error-codes",
        ],
        evidence: [
          "http": "401",
          "code": "Authentication_InvalidCredentials",
          "message":
            "The server has rejected the client credentials.  CorrelationId:  b1f7c2d4-93e8-4a61-a0c5-7e2d9f3b8a10.",
          "www-authenticate":
            "Bearer authorization_uri=\"https://login.microsoftonline.com/\(tenant)/oauth2/authorize\", error=\"invalid_token\" | resource_id=<BC>",
          "request":
            "GET /v2.0/\(tenant)/production/api/v2.0/companies\nAccept: application/json & odata.metadata=minimal",
        ],
        durationMs: 287),
      skipped("bc.company", "The named company is visible", "Skipped because bc.companies failed."),
      skipped(
        "bc.automation", "The automation API accepts the app",
        "Skipped because bc.companies failed."),
      skipped("bc.custom-api", "The custom API route answers", "No --api-path given."),
      CheckResult.make(
        check: "bc.admin", title: "The admin center API accepts the app", status: .couldNotTest,
        reason: "network.timeout",
        summary:
          "No answer arrived within the time limit; the connection or the response timed out.",
        detail:
          "GET https://api.businesscentral.dynamics.com/admin/v2.24/applications/BusinessCentral/environments got no answer within 10 s.",
        why:
          "Traffic is often silently dropped by a firewall, or a proxy accepts the connection and never forwards it. A very slow on-premises server can also exceed the limit.",
        fix:
          "Check that outbound HTTPS to the service is allowed and that any required proxy is configured, then retry.",
        steps: [
          "Run curl -v --max-time 20 https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration from the same machine.",
          "If a proxy is required, configure it (HTTPS_PROXY or the client's proxy setting) and retry.",
        ],
        whoFixes: "network-admin",
        docs: [
          "https://learn.microsoft.com/microsoft-365/enterprise/urls-and-ip-address-ranges"
        ],
        evidence: ["timeout": "10 s", "endpoint": "admin"], durationMs: 10_004),
    ])
  }

  static func passed(
    _ id: String, _ title: String, _ detail: String, evidence: [String: String] = [:], ms: Int
  ) -> CheckResult {
    .make(
      check: id, title: title, status: .passed, detail: detail, evidence: evidence, durationMs: ms)
  }

  static func skipped(_ id: String, _ title: String, _ detail: String) -> CheckResult {
    .make(check: id, title: title, status: .skipped, detail: detail, durationMs: 0)
  }
}

extension CheckResult {
  /// Builds a result field by field (Core only offers the catalogue-based initialiser).
  static func make(
    check: String, title: String, status: Status, reason: String? = nil, summary: String? = nil,
    detail: String? = nil, why: String? = nil, fix: String? = nil, steps: [String] = [],
    whoFixes: String? = nil, docs: [String] = [], evidence: [String: String] = [:],
    durationMs: Int
  ) -> CheckResult {
    struct Mirror: Encodable {
      var check: String
      var title: String
      var status: Status
      var reason: String?
      var summary: String?
      var detail: String?
      var why: String?
      var fix: String?
      var steps: [String]
      var whoFixes: String?
      var docs: [String]
      var evidence: [String: String]
      var durationMs: Int
    }
    let mirror = Mirror(
      check: check, title: title, status: status, reason: reason, summary: summary, detail: detail,
      why: why, fix: fix, steps: steps, whoFixes: whoFixes, docs: docs, evidence: evidence,
      durationMs: durationMs)
    // The two shapes are the same by construction; a mismatch is a bug in this file.
    return try! JSONDecoder().decode(CheckResult.self, from: JSONEncoder().encode(mirror))
  }
}
