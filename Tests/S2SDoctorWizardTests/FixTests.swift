import Foundation
import S2SDoctorTestSupport
import Testing

@testable import S2SDoctorEmulator

/// `fix` against registrations of the setup tenant that start broken in one way each: `check`
/// names the reason, `fix --yes` mends it through Graph, and the checks pass afterwards.
@Suite(.serialized) struct FixTests {
  static func reasons(_ run: PipedRun) throws -> [String] {
    let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    return ((json["results"] as? [[String: Any]]) ?? []).compactMap { $0["reason"] as? String }
  }

  @Test(arguments: World.fixScenarios.map(\.name))
  func fixMendsTheScenarioAndTheRecheckPasses(_ name: String) async throws {
    let scenario = try await SharedEmulator.scenario(name)
    try await onOwnThread {
      let sandbox = Sandbox()
      let environment = sandbox.environment.merging(scenario.env) { $1 }
      let before = try PipedRun.run(["check", "--format", "json"] + scenario.args, environment: environment)
      #expect(try Self.reasons(before).first == scenario.expect, "\(name): \(before.stdout)")

      let plan = try PipedRun.run(["fix", "--plan"] + scenario.args, environment: environment)
      #expect(plan.status == 0, "\(plan.stderr)")
      #expect(plan.stdout.contains("\"changes\""))
      // Without a terminal and without --yes nothing changes.
      let refused = try PipedRun.run(["fix"] + scenario.args, environment: environment)
      #expect(refused.status == 64, "\(refused.stderr)")
      let still = try PipedRun.run(["check", "--format", "json"] + scenario.args, environment: environment)
      #expect(try Self.reasons(still).first == scenario.expect, "\(name): --plan or a refused fix changed something")

      let secretFile = sandbox.home + "/fixed.secret"
      let fixed = try PipedRun.run(
        ["fix", "--yes", "--secret-out", secretFile] + scenario.args, environment: environment, timeout: 120)
      #expect(fixed.status == 0, "\(name): \(fixed.stdout)\n\(fixed.stderr)")
      #expect(fixed.stdout.contains("The registration works"), "\(name): \(fixed.stdout)")
      #expect(!fixed.stdout.contains("eyJ") && !fixed.stderr.contains("eyJ"), "\(name): a token leaked")

      // Checked again afterwards, with the new secret when fix added one.
      var after = environment
      if let data = FileManager.default.contents(atPath: secretFile) {
        after["AZURE_CLIENT_SECRET"] = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        #expect(
          !fixed.stdout.contains(after["AZURE_CLIENT_SECRET"]!) && !fixed.stderr.contains(after["AZURE_CLIENT_SECRET"]!)
        )
      }
      let recheck = try PipedRun.run(["check", "--format", "json"] + scenario.args, environment: after)
      #expect(recheck.status == 0, "\(name): \(recheck.stdout)")
      let remaining = try Self.reasons(recheck)
      #expect(remaining.isEmpty, "\(name): \(remaining)")
    }
  }
}
