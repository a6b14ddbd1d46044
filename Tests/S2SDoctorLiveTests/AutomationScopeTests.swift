import Foundation
import Testing

@testable import S2SDoctorCore
@testable import S2SDoctorEmulator
@testable import S2SDoctorLive

/// Issue 14, point 10: with only Automation.ReadWrite.All missing, the data API is still checked.
@Suite struct AutomationScopeTests {
  @Test func onlyTheAutomationRoleMissingStillChecksBusinessCentralData() async throws {
    let info = try await SharedEmulator.shared.start()
    let scenario = try #require(info.scenarios["token.automation-role-missing"])
    let report = try await runScenario(scenario)
    func result(_ id: String) -> CheckResult? { report.results.first { $0.check == id } }
    #expect(result("token.roles")?.reason == "token.automation-role-missing")
    #expect(result("bc.companies")?.status == .passed, "\(String(describing: result("bc.companies")))")
    #expect(result("bc.automation")?.status == .skipped)
    #expect(result("bc.automation")?.detail?.contains("Automation.ReadWrite.All") == true)
    #expect(report.primary?.reason == "token.automation-role-missing")
  }
}
