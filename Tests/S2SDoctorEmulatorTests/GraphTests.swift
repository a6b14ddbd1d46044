import Foundation
import Testing

@testable import S2SDoctorEmulator

/// Microsoft Graph as the emulator plays it: an app reading its own registration.
@Suite("Microsoft Graph")
struct GraphTests {
  static let graphScope = "https://graph.microsoft.com/.default"

  static func graphToken(_ name: String) async throws -> (token: String, clientID: String) {
    var form = try await EntraTests.secretForm(name)
    form = form.map { $0.0 == "scope" ? ("scope", graphScope) : $0 }
    let fetched = try await TestHTTP.postForm(try await EntraTests.tokenURL(), form)
    #expect(fetched.status == 200, "\(fetched.text)")
    let token = try #require(fetched.json?["access_token"] as? String)
    let clientID = try #require(form.first { $0.0 == "client_id" }?.1)
    return (token, clientID)
  }

  static func get(_ path: String, token: String?) async throws -> Fetched {
    let base = try await Shared.info().baseURL
    return try await TestHTTP.get(base + path, headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
  }

  /// Graph's error envelope with code, message and innerError ids.
  static func expectGraphError(_ fetched: Fetched, status: Int, code: String) throws {
    #expect(fetched.status == status)
    let error = try #require(fetched.json?["error"] as? [String: Any], "\(fetched.text)")
    #expect(error["code"] as? String == code)
    #expect(!(error["message"] as? String ?? "").isEmpty)
    let inner = try #require(error["innerError"] as? [String: Any])
    #expect(StableID.isGUID(inner["request-id"] as? String ?? ""))
    #expect(inner["date"] is String && inner["client-request-id"] is String)
    #expect(fetched.header("request-id") == inner["request-id"] as? String)
  }

  @Test func graphTokenHasGraphAudienceAndNoRoles() async throws {
    let (token, clientID) = try await Self.graphToken("ok")
    let claims = try #require(JWT.decode(token)).claims
    #expect(claims["aud"] as? String == "https://graph.microsoft.com")
    #expect(claims["roles"] == nil)
    #expect(claims["appid"] as? String == clientID)
  }

  @Test func appReadsItsOwnApplicationObject() async throws {
    let (token, clientID) = try await Self.graphToken("ok")
    let fetched = try await Self.get("/v1.0/applications(appId='\(clientID)')", token: token)
    #expect(fetched.status == 200)
    #expect(fetched.header("Content-Type")?.hasPrefix("application/json;odata.metadata=minimal") == true)
    let app = try #require(fetched.json)
    #expect((app["@odata.context"] as? String)?.hasSuffix("/v1.0/$metadata#applications/$entity") == true)
    #expect(app["appId"] as? String == clientID)
    #expect(app["signInAudience"] as? String == "AzureADMyOrg")
    let passwords = try #require(app["passwordCredentials"] as? [[String: Any]])
    let secret = try #require(try await Shared.scenario("ok").env["AZURE_CLIENT_SECRET"])
    #expect(passwords.first?["hint"] as? String == String(secret.prefix(3)))
    #expect(passwords.first?["secretText"] is NSNull, "a stored secret's value is never returned")
    #expect((passwords.first?["endDateTime"] as? String)?.hasSuffix("Z") == true)
    let access = try #require((app["requiredResourceAccess"] as? [[String: Any]])?.first)
    #expect(access["resourceAppId"] as? String == Facts.bcResourceAppID)
    let ids = ((access["resourceAccess"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
    #expect(ids.contains("a42b0b75-311e-488d-b67e-8fe84f924341"))
    let web = try #require(app["web"] as? [String: Any])
    #expect(web["redirectUris"] as? [String] == [Facts.oauthLanding])

    // $select narrows the object; the filter form answers a collection.
    let narrow = try #require(
      try await Self.get("/v1.0/applications(appId='\(clientID)')?$select=signInAudience", token: token).json)
    #expect(Set(narrow.keys) == ["@odata.context", "id", "signInAudience"])
    let listed = try await Self.get("/v1.0/applications?$filter=appId%20eq%20'\(clientID)'", token: token)
    #expect(((listed.json?["value"] as? [[String: Any]]) ?? []).count == 1)
  }

  @Test func appReadsItsOwnServicePrincipal() async throws {
    let (token, clientID) = try await Self.graphToken("ok")
    let sp = try #require(try await Self.get("/v1.0/servicePrincipals(appId='\(clientID)')", token: token).json)
    #expect(sp["accountEnabled"] as? Bool == true)
    #expect(sp["appOwnerOrganizationId"] as? String == World.mainTenantID)
  }

  @Test func anotherAppsObjectsAreDenied() async throws {
    let (token, _) = try await Self.graphToken("ok")
    let other = World.clientID(forScenario: "ok-domain")
    try Self.expectGraphError(
      try await Self.get("/v1.0/applications(appId='\(other)')", token: token), status: 403,
      code: "Authorization_RequestDenied")
    try Self.expectGraphError(
      try await Self.get("/v1.0/servicePrincipals(appId='\(Facts.bcResourceAppID)')", token: token), status: 403,
      code: "Authorization_RequestDenied")
  }

  @Test func missingOrWrongTokensAre401() async throws {
    try Self.expectGraphError(
      try await Self.get("/v1.0/applications(appId='\(World.defaultClientID)')", token: nil), status: 401,
      code: "InvalidAuthenticationToken")
    // A Business Central token is not a Graph token.
    let bcForm = try await EntraTests.secretForm("ok")
    let bcToken = try #require(
      try await TestHTTP.postForm(try await EntraTests.tokenURL(), bcForm).json?["access_token"] as? String)
    let clientID = World.clientID(forScenario: "ok")
    try Self.expectGraphError(
      try await Self.get("/v1.0/applications(appId='\(clientID)')", token: bcToken), status: 401,
      code: "InvalidAuthenticationToken")
  }

  @Test func tenantPolicyRefusalsLookLikeGraphAndEntra() async throws {
    let (token, clientID) = try await Self.graphToken("registration.graph-refused")
    try Self.expectGraphError(
      try await Self.get("/v1.0/applications(appId='\(clientID)')", token: token), status: 403,
      code: "Authorization_RequestDenied")

    var form = try await EntraTests.secretForm("registration.graph-refused-token")
    form = form.map { $0.0 == "scope" ? ("scope", Self.graphScope) : $0 }
    let refused = try await TestHTTP.postForm(try await EntraTests.tokenURL(), form)
    try EntraTests.expectEntraError(refused, status: 400, error: "invalid_grant", code: 53003)
    // The Business Central token is still issued: only Graph is blocked.
    let bc = try await TestHTTP.postForm(
      try await EntraTests.tokenURL(), try await EntraTests.secretForm("registration.graph-refused-token"))
    #expect(bc.status == 200)
  }

  @Test func registrationScenariosShowTheirFaults() async throws {
    let (expiring, expiringID) = try await Self.graphToken("registration.credential-expiring")
    let app = try #require(
      try await Self.get("/v1.0/applications(appId='\(expiringID)')", token: expiring).json)
    let ends = ((app["passwordCredentials"] as? [[String: Any]]) ?? []).compactMap { $0["endDateTime"] as? String }
    #expect(ends.count == 2)

    let (consent, consentID) = try await Self.graphToken("registration.permission-not-consented")
    let consentApp = try #require(
      try await Self.get("/v1.0/applications(appId='\(consentID)')", token: consent).json)
    let access =
      (consentApp["requiredResourceAccess"] as? [[String: Any]])?.first?["resourceAccess"] as? [[String: Any]]
    #expect(access?.count == 2)
  }
}
