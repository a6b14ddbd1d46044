import Foundation
import Testing

@testable import S2SDoctorEmulator

@Suite("Business Central")
struct BusinessCentralTests {
  /// A token for a scenario, obtained the way the tool does.
  static func token(_ name: String) async throws -> String {
    let scenario = try await Shared.scenario(name)
    let args = ScenarioArguments(scenario.args)
    let form = try await EntraTests.secretForm(name)
    let fetched = try await TestHTTP.postForm(
      "\(try #require(args["--authority-host"]))/\(World.mainTenantID)/oauth2/v2.0/token", form)
    return try #require(fetched.json?["access_token"] as? String, "no token for \(name): \(fetched.text)")
  }

  static func companiesURL(tenant: String? = World.mainTenantID, environment: String = "production") async throws
    -> String
  {
    let base = try await Shared.info().baseURL
    return base + "/v2.0" + (tenant.map { "/" + $0 } ?? "") + "/\(environment)/api/v2.0/companies"
  }

  static func bearer(_ token: String) -> [(String, String)] { [("Authorization", "Bearer \(token)")] }

  /// Whether a message ends in BC's `  CorrelationId:  <guid>.` (two spaces twice).
  static func hasCorrelationSuffix(_ message: String) -> Bool {
    guard let marker = message.range(of: "  CorrelationId:  ", options: .backwards) else { return false }
    let rest = message[marker.upperBound...]
    return rest.count == 37 && rest.hasSuffix(".") && StableID.isGUID(rest.dropLast())
  }

  static func expectUnauthorized(_ fetched: Fetched, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(fetched.status == 401, sourceLocation: sourceLocation)
    let pattern =
      /\{"error":\{"code":"Authentication_InvalidCredentials","message":"The server has rejected the client credentials\.  CorrelationId:  [0-9a-f-]{36}\."\}\}/
    #expect(fetched.text.wholeMatch(of: pattern) != nil, "\(fetched.text)", sourceLocation: sourceLocation)
    #expect(fetched.header("Date") != nil, sourceLocation: sourceLocation)
  }

  @Test func companiesForOk() async throws {
    let token = try await Self.token("ok")
    let url = try await Self.companiesURL()
    let fetched = try await TestHTTP.get(url, headers: Self.bearer(token))
    #expect(fetched.status == 200)
    #expect(fetched.header("Content-Type") == "application/json; odata.metadata=minimal; odata.streaming=true")
    #expect(fetched.header("OData-Version") == "4.0")
    let body = try #require(fetched.json)
    #expect(body["@odata.context"] as? String == url.dropLast("/companies".count) + "/$metadata#companies")
    let companies = try #require(body["value"] as? [[String: Any]])
    #expect(companies.count == 1)
    #expect(companies[0]["name"] as? String == "CRONUS USA, Inc.")
    #expect(companies[0]["displayName"] as? String == "CRONUS USA, Inc.")
    #expect(companies[0]["systemVersion"] as? String == "24.0.16410.18056")
    #expect(companies[0]["businessProfileId"] as? String == "")
    #expect(StableID.isGUID(companies[0]["id"] as? String ?? ""))
    #expect(fetched.text.hasPrefix(#"{"@odata.context":""#))

    // Without the tenant segment, with the domain alias, and the automation route.
    for other in [
      try await Self.companiesURL(tenant: nil), try await Self.companiesURL(tenant: World.mainTenantDomain),
      try await Self.companiesURL(environment: "Sandbox"),
    ] {
      #expect(try await TestHTTP.get(other, headers: Self.bearer(token)).status == 200, "\(other)")
    }
    let automation = url.replacingOccurrences(of: "/api/v2.0/", with: "/api/microsoft/automation/v2.0/")
    #expect(try await TestHTTP.get(automation, headers: Self.bearer(token)).status == 200)
    // The same token again comes from the validation cache.
    #expect(try await TestHTTP.get(url, headers: Self.bearer(token)).status == 200)
  }

  @Test func wrongTokensAre401WithTheExactBody() async throws {
    let url = try await Self.companiesURL()
    Self.expectUnauthorized(try await TestHTTP.get(url))
    Self.expectUnauthorized(try await TestHTTP.get(url, headers: Self.bearer("garbage")))
    let token = try await Self.token("ok")
    var tampered = Array(token)
    tampered[tampered.count - 3] = tampered[tampered.count - 3] == "A" ? "B" : "A"
    Self.expectUnauthorized(try await TestHTTP.get(url, headers: Self.bearer(String(tampered))))
    // A token for another tenant than the URL's.
    Self.expectUnauthorized(
      try await TestHTTP.get(try await Self.companiesURL(tenant: World.homeTenantID), headers: Self.bearer(token)))
    for name in [
      "bc.app-not-accepted", "token.audience-not-bc", "token.roles-missing", "token.api-role-missing",
      "token.not-app-only", "token.tenant-mismatch", "fault.alg-none", "fault.expired-token",
    ] {
      let token = try await Self.token(name)
      Self.expectUnauthorized(try await TestHTTP.get(url, headers: Self.bearer(token)))
    }
    // Only Automation.ReadWrite.All: the automation route takes it, the data API does not.
    let automationOnly = try await Self.token("token.api-role-missing")
    let automation = url.replacingOccurrences(of: "/api/v2.0/", with: "/api/microsoft/automation/v2.0/")
    #expect(try await TestHTTP.get(automation, headers: Self.bearer(automationOnly)).status == 200)
    let apiOnly = try await Self.token("token.automation-role-missing")
    Self.expectUnauthorized(try await TestHTTP.get(automation, headers: Self.bearer(apiOnly)))
  }

  static let behaviourScenarios: [(String, Int, String?)] = [
    ("bc.permission-missing", 400, "Internal_ServerError"),
    ("bc.no-companies-visible", 200, nil),
    ("bc.throttled", 429, "Application_TooManyRequests"),
    ("bc.unavailable", 503, nil),
    ("bc.server-error", 500, "Internal_ServerError"),
    ("bc.request-malformed", 400, "BadRequest"),
    ("fault.wrong-content-type", 401, nil),
    ("fault.redirect-loop", 302, nil),
    ("fault.redirect-other-host", 302, nil),
  ]

  @Test(arguments: behaviourScenarios)
  func scenarioBehaviour(_ name: String, _ status: Int, _ code: String?) async throws {
    let token = try await Self.token(name)
    let url = try await Self.companiesURL()
    let fetched = try await TestHTTP.get(url, headers: Self.bearer(token))
    #expect(fetched.status == status)
    if let code {
      let error = try #require(fetched.json?["error"] as? [String: Any])
      #expect(error["code"] as? String == code)
      #expect((error["message"] as? String).map(Self.hasCorrelationSuffix) == true)
    }
    switch name {
    case "bc.permission-missing":
      let message = (fetched.json?["error"] as? [String: Any])?["message"] as? String
      #expect(
        message?.hasPrefix(
          "You do not have the following permissions on Page APIV2 - Companies: Execute.  CorrelationId:  ") == true)
    case "bc.no-companies-visible":
      #expect((fetched.json?["value"] as? [Any])?.isEmpty == true)
    case "bc.request-malformed":
      #expect(fetched.text.contains("Bad Request - Error in query syntax.  CorrelationId:  "))
    case "bc.server-error":
      #expect(fetched.text.contains("Cannot establish a connection to the SQL Server/Database.  CorrelationId:  "))
    case "bc.throttled":
      #expect(fetched.header("Retry-After") == "1")
    case "bc.unavailable":
      #expect(fetched.header("Retry-After") == "1")
      #expect(fetched.body.isEmpty)
    case "fault.wrong-content-type":
      #expect(fetched.header("Content-Type") == "application/xml")
      #expect(fetched.text.hasPrefix("<error xmlns=\"http://docs.oasis-open.org/odata/ns/metadata\">"))
    case "fault.redirect-loop":
      #expect(fetched.header("Location") == url)
    case "fault.redirect-other-host":
      #expect(fetched.header("Location")?.hasPrefix("http://localhost:") == true)
    default: break
    }
  }

  @Test func automationPermissionMissingRefusesOnlyAutomation() async throws {
    let token = try await Self.token("bc.automation-permission-missing")
    let url = try await Self.companiesURL()
    #expect(try await TestHTTP.get(url, headers: Self.bearer(token)).status == 200)
    let automation = url.replacingOccurrences(of: "/api/v2.0/", with: "/api/microsoft/automation/v2.0/")
    let refused = try await TestHTTP.get(automation, headers: Self.bearer(token))
    #expect(refused.status == 400)
    #expect(refused.text.contains("You do not have the following permissions on Page APIV2 - Aut. Companies: Execute."))
  }

  @Test func routesEnvironmentsAndTenantsThatDoNotExist() async throws {
    let token = try await Self.token("ok")
    let base = try await Shared.info().baseURL
    let custom = "\(base)/v2.0/\(World.mainTenantID)/production/api/contoso/sales/v9.0/companies"
    let noRoute = try await TestHTTP.get(custom, headers: Self.bearer(token))
    #expect(noRoute.status == 404)
    #expect(
      noRoute.text
        == #"{"error":{"code":"BadRequest_NotFound","message":"No HTTP resource was found that matches the request URI '\#(custom)'."}}"#
    )
    let environment = try await TestHTTP.get(
      try await Self.companiesURL(environment: "nosuchenv"), headers: Self.bearer(token))
    #expect(environment.status == 404)
    #expect((environment.json?["error"] as? [String: Any])?["code"] as? String != "BadRequest_NotFound")
    let updating = try await TestHTTP.get(
      try await Self.companiesURL(environment: "updating"), headers: Self.bearer(token))
    let error = try #require(updating.json?["error"] as? [String: Any])
    #expect(error["code"] as? String == "Internal_TenantUnavailable")
    #expect((error["message"] as? String)?.hasPrefix("The tenant '\(World.mainTenantID)' is not accessible.") == true)
  }

  @Test func adminCenterListsEnvironmentsForAuthorizedApps() async throws {
    let base = try await Shared.info().baseURL
    let url = "\(base)/admin/v2.24/applications/BusinessCentral/environments"
    let listed = try await TestHTTP.get(url, headers: Self.bearer(try await Self.token("ok-admin")))
    #expect(listed.status == 200)
    let environments = try #require(listed.json?["value"] as? [[String: Any]])
    #expect(environments.compactMap { $0["name"] as? String } == ["production", "sandbox", "updating"])
    let production = environments[0]
    #expect(production["type"] as? String == "Production")
    #expect(production["applicationFamily"] as? String == "BusinessCentral")
    #expect(production["aadTenantId"] as? String == World.mainTenantID)
    #expect(production["status"] as? String == "Active")
    #expect(production["countryCode"] as? String == "US")
    #expect(production["webClientLoginUrl"] is String)

    let notAuthorized = try await TestHTTP.get(
      url, headers: Self.bearer(try await Self.token("admin.app-not-authorized")))
    #expect(notAuthorized.status == 403)
    let noRole = try await TestHTTP.get(url, headers: Self.bearer(try await Self.token("ok")))
    #expect(noRole.status == 401)
    #expect(try await TestHTTP.get(url).status == 401)
  }
}
