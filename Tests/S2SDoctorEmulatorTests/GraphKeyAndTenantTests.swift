import Foundation
import Testing

@testable import S2SDoctorEmulator

/// Certificates uploaded as key credentials, and a multitenant app's service principal in a
/// customer's tenant.
@Suite("Graph key credentials and customer tenants")
struct GraphKeyAndTenantTests {
  /// A new application in the setup tenant: the administrator's token, its object id and app id.
  static func application(audience: String) async throws -> (token: String, objectID: String, appID: String) {
    let token = try await GraphWriteTests.adminToken(tenant: World.setupTenantID)
    let created = try await GraphWriteTests.send(
      "POST", "applications", token: token,
      body: ["displayName": "graph-\(UUID().uuidString.prefix(6))", "signInAudience": audience])
    return (token, try #require(created.json?["id"] as? String), try #require(created.json?["appId"] as? String))
  }

  @Test func keyCredentialsAcceptOnlyAnRSACertificateAndKeepEntriesByKeyId() async throws {
    let (token, objectID, appID) = try await Self.application(audience: "AzureADMyOrg")
    let refused = try await GraphWriteTests.send(
      "PATCH", "applications/\(objectID)", token: token,
      body: ["keyCredentials": [["type": "AsymmetricX509Cert", "usage": "Verify", "key": "bm90IGEgY2VydA=="]]])
    #expect(refused.status == 400)

    let certificate = try RSACertificate.generate(commonName: "key test")
    let uploaded = try await GraphWriteTests.send(
      "PATCH", "applications/\(objectID)", token: token,
      body: [
        "keyCredentials": [
          [
            "type": "AsymmetricX509Cert", "usage": "Verify", "displayName": "CN=key test",
            "key": Data(certificate.der).base64EncodedString(),
          ]
        ]
      ])
    #expect(uploaded.status == 204)
    let read = try #require(try await GraphWriteTests.send("GET", "applications(appId='\(appID)')", token: token).json)
    let keys = try #require(read["keyCredentials"] as? [[String: Any]])
    #expect(keys.count == 1)
    #expect(keys.first?["customKeyIdentifier"] as? String == certificate.sha1Digest.base64EncodedString())
    #expect(keys.first?["key"] is NSNull)
    // Sent back without `key` (as read), the entry stays.
    let keyID = try #require(keys.first?["keyId"] as? String)
    let kept = try await GraphWriteTests.send(
      "PATCH", "applications/\(objectID)", token: token,
      body: ["keyCredentials": [["keyId": keyID, "type": "AsymmetricX509Cert", "usage": "Verify"]]])
    #expect(kept.status == 204)
    let again = try #require(try await GraphWriteTests.send("GET", "applications(appId='\(appID)')", token: token).json)
    #expect((again["keyCredentials"] as? [[String: Any]])?.count == 1)
  }

  @Test func aMultitenantAppGetsAServicePrincipalInACustomerTenantAndOnlyThen() async throws {
    let (home, objectID, appID) = try await Self.application(audience: "AzureADMultipleOrgs")
    #expect(
      try await GraphWriteTests.send("POST", "servicePrincipals", token: home, body: ["appId": appID]).status == 201)
    let password = try await GraphWriteTests.send(
      "POST", "applications/\(objectID)/addPassword", token: home,
      body: [
        "passwordCredential": [
          "displayName": "t",
          "endDateTime": ISO8601DateFormatter().string(from: Date().addingTimeInterval(60 * 86_400)),
        ]
      ])
    let secret = try #require(password.json?["secretText"] as? String)
    let base = try await Shared.info().baseURL
    func token() async throws -> Fetched {
      try await TestHTTP.postForm(
        "\(base)/\(World.setupCustomerTenantID)/oauth2/v2.0/token",
        [
          ("grant_type", "client_credentials"), ("client_id", appID), ("client_secret", secret),
          ("scope", "https://api.businesscentral.dynamics.com/.default"),
        ])
    }
    try EntraTests.expectEntraError(try await token(), status: 400, error: "unauthorized_client", code: 7000229)

    // The customer's administrator creates the service principal there; the app object stays home.
    let customer = try await GraphWriteTests.adminToken(tenant: World.setupCustomerTenantID)
    #expect(
      try await GraphWriteTests.send("GET", "applications(appId='\(appID)')", token: customer).status == 404)
    let sp = try await GraphWriteTests.send("POST", "servicePrincipals", token: customer, body: ["appId": appID])
    #expect(sp.status == 201)
    let issued = try await token()
    #expect(issued.status == 200)
    let accessToken = try #require(issued.json?["access_token"] as? String)
    let claims = try #require(JWT.decode(accessToken)).claims
    #expect(claims["tid"] as? String == World.setupCustomerTenantID)
    #expect(claims["roles"] == nil, "nothing is consented in the customer's tenant yet")
  }
}
