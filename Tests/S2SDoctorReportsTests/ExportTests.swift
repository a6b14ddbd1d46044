import Foundation
import S2SDoctorCore
import Testing

@testable import S2SDoctorReports

@Suite struct ExportTests {
  static func settings() -> ConnectionSettings {
    var s = ConnectionSettings()
    s.tenant = Fixtures.tenant
    s.clientID = Fixtures.clientID
    s.environment = "sandbox"
    return s
  }

  @Test func onlineFileMatchesTheGolden() {
    Snapshot.assertMatches(
      RestClientExport.render(Self.settings(), toolVersion: "0.1.0"), named: "export.http")
  }

  @Test func fileHasTheSampleRequestsAndNoSecret() {
    Redactor.shared.register("Exp0rt~Canary.Secret-value")
    let text = RestClientExport.render(Self.settings(), toolVersion: "0.1.0")
    #expect(text.contains("@clientSecret = <paste the secret value here>\n"))
    #expect(!text.contains("Exp0rt~Canary"))
    #expect(text.contains("@tenant = \(Fixtures.tenant)\n"))
    #expect(text.contains("@clientId = \(Fixtures.clientID)\n"))
    #expect(
      text.contains(
        "@baseUrl = https://api.businesscentral.dynamics.com/v2.0/{{tenant}}/sandbox/api/v2.0\n"))
    #expect(
      text.contains(
        "POST https://login.microsoftonline.com/{{tenant}}/oauth2/v2.0/token\nContent-Type: application/x-www-form-urlencoded\n\ngrant_type=client_credentials\n&client_id={{clientId}}\n&client_secret={{clientSecret}}\n&scope={{scope}}\n"
      ))
    #expect(text.contains("@token = {{tokenRequest.response.body.$.access_token}}"))
    for request in [
      "GET {{baseUrl}}/companies\n", "GET {{baseUrl}}/companies({{companyId}})\n",
      "POST {{baseUrl}}/companies({{companyId}})/customers\n",
      "PATCH {{baseUrl}}/companies({{companyId}})/customers({{customerId}})\n",
      "DELETE {{baseUrl}}/companies({{companyId}})/customers({{customerId}})\n",
    ] {
      #expect(text.contains(request), "missing \(request)")
    }
    // Every request is separated by ### and authorised with the token.
    #expect(text.components(separatedBy: "Authorization: Bearer {{token}}").count - 1 == 7)
  }

  @Test func otherCloudsCompaniesAndOnPremises() {
    var s = Self.settings()
    s.authorityHost = "https://login.microsoftonline.us/"
    s.bcAPIHost = "https://api.businesscentral.dynamics.us"
    s.company = "5e8f2b3c-1a9d-4c7e-8f6b-0d2e4a6c8b1f"
    var text = RestClientExport.render(s, toolVersion: "0.1.0")
    #expect(text.contains("POST https://login.microsoftonline.us/{{tenant}}/oauth2/v2.0/token"))
    #expect(
      text.contains(
        "@baseUrl = https://api.businesscentral.dynamics.us/v2.0/{{tenant}}/sandbox/api/v2.0"))
    #expect(text.contains("@companyId = 5e8f2b3c-1a9d-4c7e-8f6b-0d2e4a6c8b1f\n"))

    s.company = "CRONUS USA, Inc."
    text = RestClientExport.render(s, toolVersion: "0.1.0")
    #expect(text.contains(#"# The company "CRONUS USA, Inc." was given by name"#))

    s.deployment = .onprem
    s.bcURL = "https://bc.contoso.local:7048/BC/"
    s.serverTenant = "default"
    text = RestClientExport.render(s, toolVersion: "0.1.0")
    #expect(text.contains("@baseUrl = https://bc.contoso.local:7048/BC/api/v2.0\n"))
    #expect(text.contains("GET {{baseUrl}}/companies?tenant=default\n"))
    #expect(text.contains("Application ID URI"))
  }
}
