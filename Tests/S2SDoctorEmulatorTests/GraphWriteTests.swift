import Foundation
import Testing

@testable import S2SDoctorEmulator

/// The device-code grant and Graph's write endpoints, including Entra ID's replication delays.
@Suite("Graph writes and device code")
struct GraphWriteTests {
  static let graphScope =
    "https://graph.microsoft.com/Application.ReadWrite.All https://graph.microsoft.com/AppRoleAssignment.ReadWrite.All offline_access"

  static func adminToken(tenant: String, clientID: String = World.adminClientID, scope: String = graphScope)
    async throws -> String
  {
    let base = try await Shared.info().baseURL
    let start = try await TestHTTP.postForm(
      "\(base)/\(tenant)/oauth2/v2.0/devicecode", [("client_id", clientID), ("scope", scope)])
    #expect(start.status == 200)
    let json = try #require(start.json)
    #expect(Set(json.keys) == ["user_code", "device_code", "verification_uri", "expires_in", "interval", "message"])
    let code = try #require(json["device_code"] as? String)
    let form = [
      ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("client_id", clientID), ("device_code", code),
    ]
    let pending = try await TestHTTP.postForm("\(base)/\(tenant)/oauth2/v2.0/token", form)
    try EntraTests.expectEntraError(pending, status: 400, error: "authorization_pending", code: 70016)
    let approved = try await TestHTTP.postForm("\(base)/\(tenant)/oauth2/v2.0/token", form)
    #expect(approved.status == 200)
    let token = try #require(approved.json?["access_token"] as? String)
    // A used device code is gone.
    let reused = try await TestHTTP.postForm("\(base)/\(tenant)/oauth2/v2.0/token", form)
    try EntraTests.expectEntraError(reused, status: 400, error: "bad_verification_code", code: 70018)
    return token
  }

  static func send(_ method: String, _ path: String, token: String, body: Any? = nil) async throws -> Fetched {
    let base = try await Shared.info().baseURL
    var headers = [("Authorization", "Bearer \(token)")]
    var text: String?
    if let body {
      headers.append(("Content-Type", "application/json"))
      text = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
    }
    return try await TestHTTP.send(
      method, base + "/v1.0/" + path, headers: headers, body: text, client: nil, limit: 1 << 20, timeout: 10)
  }

  @Test func declinedAndExpiredDeviceCodes() async throws {
    let base = try await Shared.info().baseURL
    for (seed, error, code) in [
      ("public/declined", "authorization_declined", 70000), ("public/expired", "expired_token", 70019),
    ] {
      let clientID = StableID.guid(seed)
      let start = try #require(
        try await TestHTTP.postForm(
          "\(base)/\(World.setupTenantID)/oauth2/v2.0/devicecode",
          [("client_id", clientID), ("scope", "https://graph.microsoft.com/.default")]
        ).json)
      let form = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("client_id", clientID),
        ("device_code", try #require(start["device_code"] as? String)),
      ]
      _ = try await TestHTTP.postForm("\(base)/\(World.setupTenantID)/oauth2/v2.0/token", form)
      let second = try await TestHTTP.postForm("\(base)/\(World.setupTenantID)/oauth2/v2.0/token", form)
      try EntraTests.expectEntraError(second, status: 400, error: error, code: code)
    }
  }

  @Test func createGrantAndAddPasswordThenTheAppGetsATokenWithRoles() async throws {
    let token = try await Self.adminToken(tenant: World.setupTenantID)
    let bcSP = try #require(
      try await Self.send("GET", "servicePrincipals(appId='\(Facts.bcResourceAppID)')", token: token).json)
    let roles = try #require(bcSP["appRoles"] as? [[String: Any]])
    let apiRole = try #require(roles.first { $0["value"] as? String == "API.ReadWrite.All" }?["id"] as? String)
    let name = "graph-write-\(UUID().uuidString.prefix(6))"
    let created = try await Self.send(
      "POST", "applications", token: token,
      body: [
        "displayName": name, "signInAudience": "AzureADMyOrg",
        "requiredResourceAccess": [
          ["resourceAppId": Facts.bcResourceAppID, "resourceAccess": [["id": apiRole, "type": "Role"]]]
        ],
      ])
    #expect(created.status == 201)
    let app = try #require(created.json)
    let appID = try #require(app["appId"] as? String)
    let objectID = try #require(app["id"] as? String)

    let sp = try await Self.send("POST", "servicePrincipals", token: token, body: ["appId": appID])
    #expect(sp.status == 201)
    let spID = try #require(sp.json?["id"] as? String)
    let duplicateSP = try await Self.send("POST", "servicePrincipals", token: token, body: ["appId": appID])
    #expect(duplicateSP.status == 409)

    let assignment: [String: Any] = ["principalId": spID, "resourceId": bcSP["id"]!, "appRoleId": apiRole]
    let bcID = try #require(bcSP["id"] as? String)
    let granted = try await Self.send(
      "POST", "servicePrincipals/\(bcID)/appRoleAssignedTo", token: token, body: assignment)
    #expect(granted.status == 201)
    let again = try await Self.send(
      "POST", "servicePrincipals/\(bcID)/appRoleAssignedTo", token: token, body: assignment)
    #expect(again.status == 400)
    #expect(((again.json?["error"] as? [String: Any])?["message"] as? String)?.contains("already exists") == true)

    let password = try await Self.send(
      "POST", "applications/\(objectID)/addPassword", token: token,
      body: ["passwordCredential": ["displayName": "test", "endDateTime": "2027-06-01T00:00:00Z"]])
    #expect(password.status == 200)
    let secret = try #require(password.json?["secretText"] as? String)
    #expect(password.json?["hint"] as? String == String(secret.prefix(3)))
    #expect((password.json?["endDateTime"] as? String)?.hasPrefix("2027-06-01T00:00:00") == true)
    let patched = try await Self.send(
      "PATCH", "applications/\(objectID)", token: token, body: ["web": ["redirectUris": [Facts.oauthLanding]]])
    #expect(patched.status == 204)
    let read = try #require(try await Self.send("GET", "applications(appId='\(appID)')", token: token).json)
    #expect((read["web"] as? [String: Any])?["redirectUris"] as? [String] == [Facts.oauthLanding])
    #expect((read["passwordCredentials"] as? [[String: Any]])?.first?["secretText"] is NSNull)

    // The new app signs in with the new secret; the consented role is in its token.
    let base = try await Shared.info().baseURL
    let issued = try await TestHTTP.postForm(
      "\(base)/\(World.setupTenantID)/oauth2/v2.0/token",
      [
        ("grant_type", "client_credentials"), ("client_id", appID), ("client_secret", secret),
        ("scope", "https://api.businesscentral.dynamics.com/.default"),
      ])
    #expect(issued.status == 200)
    let accessToken = try #require(issued.json?["access_token"] as? String)
    let claims = try #require(JWT.decode(accessToken)).claims
    #expect(claims["roles"] as? [String] == ["API.ReadWrite.All"])
  }

  @Test func replicationLagHidesNewObjectsAndRefusesReferences() async throws {
    let tenant = World.setupLagTenantID
    let token = try await Self.adminToken(tenant: tenant)
    let created = try await Self.send(
      "POST", "applications", token: token, body: ["displayName": "lag-\(UUID().uuidString.prefix(6))"])
    #expect(created.status == 201)
    let appID = try #require(created.json?["appId"] as? String)
    let read = try await Self.send("GET", "applications(appId='\(appID)')", token: token)
    #expect(read.status == 404)
    #expect(((read.json?["error"] as? [String: Any])?["code"] as? String) == "Request_ResourceNotFound")
    let sp = try await Self.send("POST", "servicePrincipals", token: token, body: ["appId": appID])
    #expect(sp.status == 400)
    #expect(
      ((sp.json?["error"] as? [String: Any])?["message"] as? String)?.contains(
        "does not reference a valid application object") == true)
    try await Task.sleep(for: .seconds(World.setupLagSeconds + 1))
    let spLater = try await Self.send("POST", "servicePrincipals", token: token, body: ["appId": appID])
    #expect(spLater.status == 201)
    let spID = try #require(spLater.json?["id"] as? String)
    let bcID = GraphStore.bcServicePrincipalID(tenant)
    let early = try await Self.send(
      "POST", "servicePrincipals/\(bcID)/appRoleAssignedTo", token: token,
      body: ["principalId": spID, "resourceId": bcID, "appRoleId": Facts.bcRoleID(Facts.apiRole)!])
    #expect(early.status == 400)
    #expect(((early.json?["error"] as? [String: Any])?["message"] as? String) == "Not a valid reference update.")
  }

  @Test func appOnlyTokensWriteNothing() async throws {
    let (appToken, _) = try await GraphTests.graphToken("ok")
    let refused = try await Self.send("POST", "applications", token: appToken, body: ["displayName": "nope"])
    try GraphTests.expectGraphError(refused, status: 403, code: "Authorization_RequestDenied")
  }
}
