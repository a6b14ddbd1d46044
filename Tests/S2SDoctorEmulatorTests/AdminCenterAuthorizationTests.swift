import Foundation
import Testing

@testable import S2SDoctorEmulator

/// The admin center's *Authorized Microsoft Entra apps* (`authorizedAadApps`): delegated only.
@Suite("Admin center authorized apps")
struct AdminCenterAuthorizationTests {
  @Test func aSignedInAdministratorListsAndAuthorizesAndAppTokensAreRefused() async throws {
    let base = try await Shared.info().baseURL + "/admin/v2.24/authorizedAadApps"
    let user = try await GraphWriteTests.adminToken(
      tenant: World.setupTenantID, scope: "https://api.businesscentral.dynamics.com/user_impersonation offline_access")
    func call(_ method: String, _ path: String, _ token: String) async throws -> Fetched {
      try await TestHTTP.send(
        method, base + path, headers: [("Authorization", "Bearer \(token)")], body: nil, client: nil, limit: 1 << 20,
        timeout: 10)
    }
    let appID = StableID.random()
    let before = try await call("GET", "", user)
    #expect(before.status == 200)
    let list = try #require(try JSONSerialization.jsonObject(with: before.body) as? [[String: Any]])
    #expect(!list.contains { $0["appId"] as? String == appID })
    let put = try await call("PUT", "/\(appID)", user)
    #expect(put.status == 200)
    #expect(put.json?["appId"] as? String == appID && put.json?["isAdminConsentGranted"] as? Bool == false)
    let after = try #require(
      try JSONSerialization.jsonObject(with: try await call("GET", "", user).body) as? [[String: Any]])
    #expect(after.contains { $0["appId"] as? String == appID })

    // An app's own token (client credentials) and a Graph token are refused.
    let ok = try await Shared.scenario("ok")
    func argument(_ flag: String) -> String { ok.args[ok.args.firstIndex(of: flag)! + 1] }
    let issued = try await TestHTTP.postForm(
      "\(try await Shared.info().baseURL)/\(argument("--tenant"))/oauth2/v2.0/token",
      [
        ("grant_type", "client_credentials"), ("client_id", argument("--client-id")),
        ("client_secret", ok.env["AZURE_CLIENT_SECRET"] ?? ""),
        ("scope", "https://api.businesscentral.dynamics.com/.default"),
      ])
    let appToken = try #require(issued.json?["access_token"] as? String)
    let refused = try await call("GET", "", appToken)
    #expect(refused.status == 401)
    #expect(refused.json?["message"] as? String == "This endpoint can't be used when authenticated as an app.")
    let graph = try await GraphWriteTests.adminToken(tenant: World.setupTenantID)
    #expect(try await call("PUT", "/\(StableID.random())", graph).status == 401)
  }
}
