import Foundation
import Testing

@testable import S2SDoctorCore
@testable import S2SDoctorEmulator
@testable import S2SDoctorLive

/// Issue 14, point 9 (the rest): the consent URL filled in for AADSTS700016, and flags that do
/// nothing for a command refused with exit 64 and the command's own usage.
@Suite struct PartnerURLTests {
  @Test func appNotFoundCarriesTheFilledConsentURL() async throws {
    let scenario = try await emulatorScenario("entra.app-not-found")
    let report = try await runScenario(scenario)
    let token = try #require(report.results.first { $0.check == "entra.token" })
    #expect(token.reason == "entra.app-not-found")
    let tenant = try #require(scenario.args.firstIndex(of: "--tenant").map { scenario.args[$0 + 1] })
    let client = try #require(scenario.args.firstIndex(of: "--client-id").map { scenario.args[$0 + 1] })
    #expect(token.detail?.contains("/\(tenant)/adminconsent?client_id=\(client)") == true, "\(token.detail ?? "")")
  }

  static let tenant = "contoso.onmicrosoft.com"
  static let client = "5c2a7d1e-3b4f-4a6e-9d8c-7f1e2d3c4b5a"

  @Test(arguments: [
    (["consent-url", "--tenant", tenant, "--client-id", client, "--timeout", "5"], "--timeout", "consent-url"),
    (["consent-url", "--tenant", tenant, "--client-id", client, "--company", "CRONUS"], "--company", "consent-url"),
    (
      ["export", "http", "--tenant", tenant, "--client-id", client, "--client-secret-stdin"], "--client-secret-stdin",
      "export http"
    ),
    (
      ["export", "http", "--tenant", tenant, "--client-id", client, "--certificate", "/x.pem"], "--certificate",
      "export http"
    ),
    (["fleet", "/nonexistent.csv", "--tenant", tenant], "--tenant", "fleet"),
    (["fleet", "/nonexistent.csv", "--environment", "sandbox"], "--environment", "fleet"),
  ])
  func aFlagThatDoesNothingIsRefused(_ args: [String], _ flag: String, _ command: String) async throws {
    let run = try await Binary.run(args, home: temporaryHome())
    #expect(run.status == 64, "\(run.stdout)\(run.stderr)")
    #expect(run.stderr.contains("\(flag) does nothing for `s2s-doctor \(command)`"), "\(run.stderr)")
    #expect(run.stderr.contains("Usage: s2s-doctor \(command)"), "not the command's usage: \(run.stderr)")
  }

  @Test func theFlagsACommandUsesStillWork() async throws {
    let run = try await Binary.run(
      ["consent-url", "--tenant", Self.tenant, "--client-id", Self.client, "--cloud", "public"], home: temporaryHome())
    #expect(run.status == 0, "\(run.stderr)")
  }
}

/// An emulator scenario by name (its flags and environment).
func emulatorScenario(_ name: String) async throws -> ScenarioInfo {
  try #require(try await SharedEmulator.shared.start().scenarios[name])
}

/// Issue 14, point 10: with only Automation.ReadWrite.All missing, the data API is still checked.
@Suite struct AutomationScopeTests {
  @Test func onlyTheAutomationRoleMissingStillChecksBusinessCentralData() async throws {
    let report = try await runScenario(try await emulatorScenario("token.automation-role-missing"))
    func result(_ id: String) -> CheckResult? { report.results.first { $0.check == id } }
    #expect(result("token.roles")?.reason == "token.automation-role-missing")
    #expect(result("bc.companies")?.status == .passed, "\(String(describing: result("bc.companies")))")
    #expect(result("bc.automation")?.status == .skipped)
    #expect(result("bc.automation")?.detail?.contains("Automation.ReadWrite.All") == true)
    #expect(report.primary?.reason == "token.automation-role-missing")
  }
}
