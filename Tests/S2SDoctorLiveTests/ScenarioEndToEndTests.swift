import Foundation
import Testing

@testable import S2SDoctorCLI
@testable import S2SDoctorCore
@testable import S2SDoctorEmulator
@testable import S2SDoctorLive

/// One emulator for the whole suite: it serves every scenario at once, chosen by identity.
actor SharedEmulator {
  static let shared = SharedEmulator()
  private var info: EmulatorInfo?
  private var emulator: Emulator?

  func start() async throws -> EmulatorInfo {
    if let info { return info }
    let emulator = try Emulator(options: EmulatorOptions())
    let info = try await emulator.start()
    self.emulator = emulator
    self.info = info
    return info
  }
}

func runScenario(_ scenario: ScenarioInfo) async throws -> RunReport {
  let options = try ConnectionOptions.parse(scenario.args)
  let (settings, secret) = try options.resolve(environment: scenario.env)
  return await LiveCheckSuite(settings: settings, secret: secret).run()
}

/// The scenario names `emulate` lists (EmulatorTests checks that the two lists agree), without
/// starting an emulator while the tests are being discovered. `setup.*` scenarios drive
/// `setup --create`, not `check` (SetupCreateTests).
let scenarioNames: [String] =
  (Emulator.scenarioNames + ["default"] + OnPrem.instances.map(\.scenario)).filter { !$0.hasPrefix("setup.") }.sorted()

@Suite struct ScenarioEndToEndTests {
  @Test func emulatorListsAScenarioForEveryLiveReason() async throws {
    let info = try await SharedEmulator.shared.start()
    let expects = Set(info.scenarios.values.map(\.expect))
    for check in Catalogue.builtIn.checks where check.area != "onprem" {
      for reason in check.reasons
      where reason.hasPrefix("entra.") || reason.hasPrefix("token.")
        || (reason.hasPrefix("bc.") && reason != "bc.unknown-error") || reason.hasPrefix("admin.")
        || reason.hasPrefix("registration.")
      {
        #expect(expects.contains(reason), "no emulator scenario yields \(reason)")
      }
    }
    #expect(info.scenarios["ok"]?.expect == "passed")
  }

  @Test(arguments: scenarioNames)
  func scenarioYieldsItsExpectation(_ name: String) async throws {
    let info = try await SharedEmulator.shared.start()
    let scenario = try #require(info.scenarios[name])
    let report = try await runScenario(scenario)
    let lines = report.results.map {
      "\($0.check)=\($0.status.rawValue)\($0.reason.map { "(\($0))" } ?? "") \($0.detail ?? "")"
    }
    if scenario.expect == "passed" {
      #expect(
        report.summary.failed == 0 && report.summary.couldNotTest == 0, "\(name): \(lines.joined(separator: "\n"))")
      #expect(report.exitStatus == .ok)
    } else {
      #expect(report.primary?.reason == scenario.expect, "\(name): \(lines.joined(separator: "\n"))")
      // A warning (an expiring secret) exits 0; anything else the scenario expects does not.
      if report.primary?.status == .warning {
        #expect(report.exitStatus == .ok, "\(name): a warning must exit 0")
      } else {
        #expect(report.exitStatus != .ok)
      }
    }
  }

  /// `explain` and `check` agree: the answer a check classified, pasted into `explain` with its
  /// status and endpoint, gets the same first reason.
  @Test(arguments: scenarioNames)
  func explainOfWhatCheckSawAgrees(_ name: String) async throws {
    let info = try await SharedEmulator.shared.start()
    let scenario = try #require(info.scenarios[name])
    let recorder = Classifier.Recorder()
    let report = try await Classifier.$recorder.withValue(recorder) { try await runScenario(scenario) }
    let primary = report.primary?.reason
    for seen in recorder.observations where seen.reason == primary {
      let pasted = Explainer().explain(seen.text, status: seen.status, endpoint: seen.endpoint)
      #expect(
        pasted.diagnoses.first?.reason == seen.reason,
        "\(name): check said \(seen.reason), explain said \(pasted.diagnoses.map(\.reason)) for HTTP \(seen.status) at \(seen.endpoint): \(seen.text.prefix(200))"
      )
    }
  }

  @Test func secretWithFormSpecialCharactersWorksEndToEnd() async throws {
    let info = try await SharedEmulator.shared.start()
    let ok = try #require(info.scenarios["ok"])
    let secret = try #require(ok.env["AZURE_CLIENT_SECRET"])
    for character in ["+", "/", "%", "~", "="] {
      #expect(secret.contains(character), "the ok secret must contain \(character)")
    }
    let report = try await runScenario(ok)
    #expect(report.exitStatus == .ok)
  }

  @Test func certificateCredentialWorksEndToEnd() async throws {
    let info = try await SharedEmulator.shared.start()
    let scenario = try #require(info.scenarios["ok-certificate"])
    #expect(scenario.args.contains("--certificate"))
    #expect(scenario.env["AZURE_CLIENT_SECRET"] == nil)
    let report = try await runScenario(scenario)
    #expect(report.exitStatus == .ok, "\(report.results.map { "\($0.check) \($0.status) \($0.detail ?? "")" })")
  }

  /// Measured on the real binary in its own process: tests in this process may hold the
  /// cooperative thread pool with blocking waits, which would time the test runner, not the tool.
  @Test func blackholedPortEndsWithinTheTimeout() async throws {
    let info = try await SharedEmulator.shared.start()
    let scenario = try #require(info.scenarios["network.timeout"])
    var args = scenario.args
    if let index = args.firstIndex(of: "--timeout") {
      args.remove(at: index + 1)
      args.remove(at: index)
    }
    args += ["--timeout", "2"]
    let result = try await Binary.run(["check", "--format", "json"] + args, env: scenario.env, home: temporaryHome())
    let elapsed = Duration.milliseconds(Int(result.seconds * 1000))
    #expect(result.status == 2)
    #expect(result.stdout.contains("network.timeout"))
    // Target: the 2 s deadline + 10%, as the tool timed the check that waited (its durationMs:
    // the start-up of a debug binary on a loaded machine is not in it), with 1 s for timers
    // on a busy 2-core machine. The whole run must end too, well before the test's limit.
    let report = try #require(JSONValue.parse(Data(result.stdout.utf8)), "\(result.stderr)")
    let waited = (report["results"]?.array ?? []).compactMap { $0["durationMs"]?.int }.max() ?? 0
    #expect(waited >= 1900 && waited < 2200 + 1000, "the longest check took \(waited) ms with --timeout 2")
    #expect(elapsed < .seconds(20), "took \(elapsed) with --timeout 2")
  }

  @Test func reportsNeverCarryTheSecretOrTheToken() async throws {
    let info = try await SharedEmulator.shared.start()
    for name in ["ok", "entra.secret-invalid", "token.roles-missing", "bc.app-not-accepted"] {
      let scenario = try #require(info.scenarios[name])
      let report = try await runScenario(scenario)
      let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
      if let secret = scenario.env["AZURE_CLIENT_SECRET"], secret.count > 4 {
        #expect(!json.contains(secret), "\(name): the secret leaked into the report")
      }
      #expect(!json.contains("eyJ0eX") && !json.contains("eyJhbGci"), "\(name): a token leaked into the report")
    }
  }
}
