import Foundation
import Testing

@testable import S2SDoctorCore
@testable import S2SDoctorOnPrem

/// Issue 14, point 7: an on-premises 401 is classified with what `--server-config` and
/// `--server-log` say, and fixes name the instance those files name.
@Suite struct OnPremUnauthorizedTests {
  static let audience = BusinessCentral.resource

  /// A copy of a server-config fixture with the instance renamed to BC230 (the URL says BC240).
  func config(_ fixture: String, _ edit: (String) -> String = { $0 }) throws -> String {
    let source = repositoryRoot.appendingPathComponent("Checks/onprem.server-config/fixtures/\(fixture)").path
    let text = try String(contentsOfFile: source, encoding: .utf8)
      .replacingOccurrences(
        of: "key=\"ServerInstance\" value=\"BC240\"", with: "key=\"ServerInstance\" value=\"BC230\"")
    let path = NSTemporaryDirectory() + "s2s-onprem-401-\(UUID().uuidString).config"
    try edit(text).write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test func aConfigThatHoldsTheAudienceIsNeverToldToAddIt() throws {
    let path = try config("passed--customsettings.config")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let outcome = OnPremUnauthorized.classify(
      settings: OnPremContext.settings(config: path), claims: OnPremContext.claims(), audience: Self.audience)
    #expect(outcome.reason != "onprem.audience-not-valid")
    #expect(outcome.reason == "bc.app-not-accepted")
    let detail = try #require(outcome.detail)
    #expect(!detail.contains("most likely lacks"))
    #expect(detail.contains("already holds '\(Self.audience)'"))
    #expect(detail.contains("Restart-NAVServerInstance -ServerInstance BC230"), "\(detail)")
    #expect(!detail.contains("BC240"))
  }

  @Test func aCredentialTypeProblemInTheConfigLeads() throws {
    let path = try config("passed--customsettings.config") {
      $0.replacingOccurrences(
        of: "key=\"ClientServicesCredentialType\" value=\"AccessControlService\"",
        with: "key=\"ClientServicesCredentialType\" value=\"NavUserPassword\"")
    }
    defer { try? FileManager.default.removeItem(atPath: path) }
    let outcome = OnPremUnauthorized.classify(
      settings: OnPremContext.settings(config: path), claims: OnPremContext.claims(), audience: Self.audience)
    #expect(outcome.reason == "onprem.not-entra-auth", "\(outcome)")
    #expect(outcome.detail?.contains("BC230") == true)
    #expect(Catalogue.builtIn.check("bc.companies")?.reasons.contains("onprem.not-entra-auth") == true)
  }

  @Test func aConfigThatLacksTheAudienceStillSaysSo() throws {
    let path = try config("onprem.audience-not-valid--customsettings.config")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let outcome = OnPremUnauthorized.classify(
      settings: OnPremContext.settings(config: path), claims: OnPremContext.claims(), audience: Self.audience)
    #expect(outcome.reason == "onprem.audience-not-valid")
    #expect(outcome.detail?.contains("BC230") == true)
  }

  @Test func withoutAConfigTheLogNamesTheInstance() throws {
    let source = repositoryRoot.appendingPathComponent(
      "Checks/onprem.server-log/fixtures/onprem.audience-not-valid--event-viewer.txt"
    ).path
    let log = NSTemporaryDirectory() + "s2s-onprem-401-\(UUID().uuidString).txt"
    try String(contentsOfFile: source, encoding: .utf8)
      .replacingOccurrences(of: "Server instance: BC240", with: "Server instance: BC230")
      .write(toFile: log, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: log) }
    let outcome = OnPremUnauthorized.classify(
      settings: OnPremContext.settings(log: log), claims: OnPremContext.claims(), audience: Self.audience)
    #expect(outcome.reason == "onprem.audience-not-valid")
    #expect(outcome.detail?.contains("-ServerInstance BC230") == true, "\(outcome.detail ?? "")")
    #expect(outcome.detail?.contains("<instance>") == false)
  }
}
