import Foundation
import Testing

@testable import S2SDoctorCore
@testable import S2SDoctorLive

/// The registration rules on recorded Graph bodies, then `check` against the emulator's
/// registration scenarios as a user runs it.
@Suite struct RegistrationTests {
  static let now = RegistrationHealth.date("2026-12-04T12:00:00Z")!

  /// An application object in Graph v1.0's shape (seven fractional digits, as Graph writes them).
  static func application(
    secrets: [(name: String, hint: String, end: String)] = [("ci", "abc", "2027-06-01T10:00:00.1234567Z")],
    certificates: [(thumbprintBase64: String, end: String)] = [],
    roles: [String] = ["a42b0b75-311e-488d-b67e-8fe84f924341", "d365bc00-a990-0000-00bc-160000000001"],
    redirects: [String] = ["https://businesscentral.dynamics.com/OAuthLanding.htm"],
    audience: String = "AzureADMyOrg"
  ) -> JSONValue {
    let passwords = secrets.map {
      #"{"customKeyIdentifier":null,"displayName":"\#($0.name)","endDateTime":"\#($0.end)","hint":"\#($0.hint)","keyId":"f0b0b335-1d71-4883-8f98-567911bfdca6","secretText":null,"startDateTime":"2026-01-01T00:00:00Z"}"#
    }
    let keys = certificates.map {
      #"{"customKeyIdentifier":"\#($0.thumbprintBase64)","displayName":"CN=app","endDateTime":"\#($0.end)","key":null,"keyId":"0c9a2b3e-1d71-4883-8f98-567911bfdca6","startDateTime":"2026-01-01T00:00:00Z","type":"AsymmetricX509Cert","usage":"Verify"}"#
    }
    let access = roles.map { #"{"id":"\#($0)","type":"Role"}"# }
    let rra =
      roles.isEmpty
      ? "[]"
      : #"[{"resourceAppId":"996def3d-b36c-4153-8607-a6fd3c01b89f","resourceAccess":[\#(access.joined(separator: ","))]},{"resourceAppId":"00000003-0000-0000-c000-000000000000","resourceAccess":[{"id":"e1fe6dd8-ba31-4d61-89e7-88639da4683d","type":"Scope"}]}]"#
    let uris = redirects.map { "\"\($0)\"" }.joined(separator: ",")
    let text =
      #"{"id":"03ef14b0-ca33-4840-8f4f-d6e91916010e","appId":"631a96bc-a705-4eda-9f99-fdaf9f54f6a2","displayName":"BC S2S","signInAudience":"\#(audience)","passwordCredentials":[\#(passwords.joined(separator: ","))],"keyCredentials":[\#(keys.joined(separator: ","))],"requiredResourceAccess":\#(rra),"web":{"redirectUris":[\#(uris)],"homePageUrl":null}}"#
    return JSONValue.parse(text)!
  }

  @Test func graphDatesWithAndWithoutFractionsParse() async throws {
    let a = try #require(RegistrationHealth.date("2026-06-01T10:00:00.1234567Z"))
    let b = try #require(RegistrationHealth.date("2026-06-01T10:00:00Z"))
    #expect(a == b)
    #expect(RegistrationHealth.day(a) == "2026-06-01")
    #expect(RegistrationHealth.date("next week") == nil)
  }

  @Test func secretInUseFarFromItsEndPassesWithTheDate() {
    let outcome = RegistrationHealth.credentialOutcome(
      application: Self.application(), secretHint: "abc", thumbprint: nil, now: Self.now, warningDays: 30)
    #expect(outcome.status == .passed)
    #expect(outcome.detail?.contains("2027-06-01") == true)
  }

  @Test func secretInUseWithinTheWindowWarnsWithTheDateAndListsOthers() {
    let app = Self.application(secrets: [
      ("ci", "abc", "2026-12-16T10:00:00.1234567Z"), ("old", "xyz", "2026-12-20T00:00:00Z"),
      ("long gone", "qqq", "2025-01-01T00:00:00Z"), ("far", "fff", "2028-01-01T00:00:00Z"),
    ])
    let outcome = RegistrationHealth.credentialOutcome(
      application: app, secretHint: "abc", thumbprint: nil, now: Self.now, warningDays: 30)
    #expect(outcome.status == .warning)
    #expect(outcome.reason == "registration.credential-expiring")
    let detail = outcome.detail ?? ""
    #expect(detail.contains("2026-12-16") && detail.contains("in 11 days"))
    // The other secret expiring soon is listed; the expired and the far one are not.
    #expect(detail.contains("'old' (hint xyz…) on 2026-12-20"))
    #expect(!detail.contains("long gone") && !detail.contains("'far'"))
    // A shorter window turns the same secret into a pass.
    let narrow = RegistrationHealth.credentialOutcome(
      application: app, secretHint: "abc", thumbprint: nil, now: Self.now, warningDays: 7)
    #expect(narrow.status == .passed)
  }

  @Test func expiredSecretInUseFails() {
    let app = Self.application(secrets: [("ci", "abc", "2026-11-30T00:00:00Z")])
    let outcome = RegistrationHealth.credentialOutcome(
      application: app, secretHint: "abc", thumbprint: nil, now: Self.now, warningDays: 30)
    #expect(outcome.status == .failed)
    #expect(outcome.reason == "entra.secret-expired")
    #expect(outcome.detail?.contains("expired on 2026-11-30") == true)
  }

  @Test func sharedHintTakesTheLatestSecret() {
    let app = Self.application(secrets: [("a", "abc", "2026-11-30T00:00:00Z"), ("b", "abc", "2027-11-30T00:00:00Z")])
    let outcome = RegistrationHealth.credentialOutcome(
      application: app, secretHint: "abc", thumbprint: nil, now: Self.now, warningDays: 30)
    #expect(outcome.status == .passed)
  }

  @Test func certificateIsMatchedByThumbprint() {
    let digest = Data((1...20).map { UInt8($0) })
    let hex = digest.map { String(format: "%02X", $0) }.joined()
    let app = Self.application(certificates: [(digest.base64EncodedString(), "2026-12-10T00:00:00Z")])
    let outcome = RegistrationHealth.credentialOutcome(
      application: app, secretHint: nil, thumbprint: hex, now: Self.now, warningDays: 30)
    #expect(outcome.reason == "registration.credential-expiring")
    #expect(outcome.detail?.contains("2026-12-10") == true)
    let other = RegistrationHealth.credentialOutcome(
      application: app, secretHint: nil, thumbprint: String(repeating: "A", count: 40), now: Self.now, warningDays: 30)
    #expect(other.status == .passed && other.detail?.contains("not among") == true)
  }

  @Test func notAddedAndNotConsentedAreDifferentReasons() {
    let required = [BusinessCentral.apiRole, BusinessCentral.automationRole]
    let onlyAutomation = Self.application(roles: ["d365bc00-a990-0000-00bc-160000000001"])
    let notAdded = RegistrationHealth.permissionOutcome(
      application: onlyAutomation, tokenRoles: [BusinessCentral.automationRole], required: required)
    #expect(notAdded.reason == "registration.permission-not-added")
    #expect(notAdded.detail?.hasPrefix("API.ReadWrite.All is not among") == true)

    let both = Self.application()
    let notConsented = RegistrationHealth.permissionOutcome(
      application: both, tokenRoles: [BusinessCentral.automationRole], required: required)
    #expect(notConsented.reason == "registration.permission-not-consented")
    #expect(notConsented.detail?.hasPrefix("API.ReadWrite.All is added") == true)

    let fine = RegistrationHealth.permissionOutcome(application: both, tokenRoles: required, required: required)
    #expect(fine.status == .passed)
    // Graph's own delegated permission in the same list is not mistaken for a BC one.
    #expect(RegistrationHealth.configuredBCRoles(both) == required)
  }

  @Test func redirectURIMustBeOnTheWebPlatform() {
    let wanted = BusinessCentral.onlineRedirectURI
    #expect(RegistrationHealth.redirectOutcome(application: Self.application(), wanted: wanted).status == .passed)
    let missing = RegistrationHealth.redirectOutcome(application: Self.application(redirects: []), wanted: wanted)
    #expect(missing.reason == "registration.redirect-uri-missing")
    #expect(missing.detail?.contains("Web lists: none") == true)
  }

  @Test func singleTenantFailsOnlyWhenUsedElsewhere() {
    let home = "11111111-2222-3333-4444-555555555555"
    let sp = JSONValue.parse(#"{"id":"x","accountEnabled":true,"appOwnerOrganizationId":"\#(home)"}"#)
    let single = Self.application(audience: "AzureADMyOrg")
    #expect(
      RegistrationHealth.audienceOutcome(
        application: single, servicePrincipal: sp, checkedTenant: home, declaredMultiTenant: false
      ).status == .passed)
    #expect(
      RegistrationHealth.audienceOutcome(
        application: single, servicePrincipal: sp, checkedTenant: home, declaredMultiTenant: true
      ).reason == "registration.single-tenant")
    #expect(
      RegistrationHealth.audienceOutcome(
        application: nil, servicePrincipal: sp, checkedTenant: "99999999-2222-3333-4444-555555555555",
        declaredMultiTenant: false
      ).status == .passed, "audience unknown from a customer tenant")
    let multi = Self.application(audience: "AzureADMultipleOrgs")
    #expect(
      RegistrationHealth.audienceOutcome(
        application: multi, servicePrincipal: sp, checkedTenant: home, declaredMultiTenant: true
      ).status == .passed)
  }

  @Test func disabledServicePrincipalFails() {
    let disabled = JSONValue.parse(#"{"id":"sp1","accountEnabled":false}"#)
    #expect(RegistrationHealth.servicePrincipalOutcome(disabled).reason == "entra.app-disabled")
    #expect(
      RegistrationHealth.servicePrincipalOutcome(JSONValue.parse(#"{"id":"sp1","accountEnabled":true}"#)).status
        == .passed)
    #expect(RegistrationHealth.servicePrincipalOutcome(nil).status == .skipped)
  }

  @Test func graphHostFollowsTheCloud() {
    var settings = ConnectionSettings()
    #expect(settings.graphBase == "https://graph.microsoft.com")
    settings.authorityHost = "https://login.microsoftonline.us"
    #expect(settings.graphBase == "https://graph.microsoft.us")
    settings.authorityHost = "http://127.0.0.1:4000"
    #expect(settings.graphBase == "http://127.0.0.1:4000")
    settings.graphHost = "https://graph.example"
    #expect(settings.graphBase == "https://graph.example")
  }

  // MARK: - check against the emulator, as a user runs it

  @Test func expiringSecretWarnsWithTheDateAndExitsZero() async throws {
    let info = try await SharedEmulator.shared.start()
    let scenario = try #require(info.scenarios["registration.credential-expiring"])
    let result = try await Binary.run(["check"] + scenario.args, env: scenario.env, home: temporaryHome())
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    let expected = RegistrationHealth.day(Date().addingTimeInterval(12 * 86_400))
    #expect(result.stdout.contains("registration.credential-expiring"), "\(result.stdout)")
    #expect(result.stdout.contains(expected), "the warning names the end date \(expected): \(result.stdout)")
    #expect(result.stdout.contains("old pipeline secret"), "other credentials expiring soon are listed")

    // A shorter window: nothing to warn about.
    let quiet = try await Binary.run(
      ["check", "--format", "json", "--expiry-warning", "7"] + scenario.args, env: scenario.env, home: temporaryHome())
    #expect(quiet.status == 0)
    let report = try JSONDecoder().decode(RunReport.self, from: Data(quiet.stdout.utf8))
    let credentials = try #require(report.results.first { $0.check == "registration.credentials" })
    #expect(credentials.status == .passed && credentials.reason == nil)
  }

  @Test func expiredSecretExitsOne() async throws {
    let info = try await SharedEmulator.shared.start()
    let scenario = try #require(info.scenarios["entra.secret-expired"])
    let result = try await Binary.run(
      ["check", "--format", "json"] + scenario.args, env: scenario.env, home: temporaryHome())
    #expect(result.status == 1)
    #expect(result.stdout.contains("entra.secret-expired"))
  }

  @Test func graphRefusalIsCouldNotTestNeverAFailure() async throws {
    let info = try await SharedEmulator.shared.start()
    for name in ["registration.graph-refused", "registration.graph-refused-token"] {
      let scenario = try #require(info.scenarios[name])
      let report = try await runScenario(scenario)
      let read = try #require(report.results.first { $0.check == "registration.read" })
      #expect(read.status == .couldNotTest, "\(name)")
      #expect(read.reason == "registration.graph-refused", "\(name)")
      #expect(report.summary.failed == 0, "\(name)")
      #expect(report.exitStatus == .couldNotTest, "\(name)")
    }
  }

  @Test func registrationReportsCarryNoSecretOrToken() async throws {
    let info = try await SharedEmulator.shared.start()
    for name in ["registration.credential-expiring", "registration.permission-not-consented", "ok-certificate"] {
      let scenario = try #require(info.scenarios[name])
      let result = try await Binary.run(
        ["check", "--format", "json"] + scenario.args, env: scenario.env, home: temporaryHome())
      for output in [result.stdout, result.stderr] {
        if let secret = scenario.env["AZURE_CLIENT_SECRET"] {
          for form in leakForms(secret) { #expect(!output.contains(form), "\(name): the secret leaked") }
        }
        #expect(!output.contains("eyJ0eX") && !output.contains("eyJhbGci"), "\(name): a token leaked")
      }
    }
  }
}
