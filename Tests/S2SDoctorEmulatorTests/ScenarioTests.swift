import Foundation
import Testing

@testable import S2SDoctorEmulator

@Suite("Scenario list")
struct ScenarioTests {
  @Test func everyScenarioIsListedWithExpectArgsAndEnv() async throws {
    let info = try await Shared.info()
    let expected = Set(
      Emulator.scenarioNames + ["default"] + OnPrem.instances.map(\.scenario) + ["setup.create", "setup.create-lag"]
        + World.fixScenarios.map(\.name))
    #expect(Set(info.scenarios.keys) == expected)
    for (name, scenario) in info.scenarios where !name.hasPrefix("setup.") {
      #expect(!scenario.expect.isEmpty, "\(name) has no expect")
      #expect(scenario.args.count >= 8, "\(name) has too few args")
      let args = ScenarioArguments(scenario.args)
      #expect(args["--tenant"] != nil && args["--client-id"] != nil, "\(name)")
      if args["--deployment"] == "onprem" {
        #expect(args["--bc-url"]?.hasPrefix(info.baseURL + "/onprem/") == true, "\(name)")
      } else {
        #expect(args["--bc-api-host"] == info.baseURL, "\(name)")
      }
      for flag in ["--ca-file", "--certificate"] {
        if let path = args[flag] {
          #expect(path.hasPrefix("/"), "\(name): \(flag) \(path) is not absolute")
          #expect(FileManager.default.fileExists(atPath: path), "\(name): \(path) missing")
        }
      }
      let usesCertificate = args["--certificate"] != nil
      #expect(usesCertificate == (scenario.env["AZURE_CLIENT_SECRET"] == nil), "\(name): secret xor certificate")
    }
  }

  @Test func expectationsNameReasonsOrPassed() async throws {
    let info = try await Shared.info()
    let areas = ["input.", "entra.", "token.", "bc.", "admin.", "network.", "onprem.", "registration."]
    for (name, scenario) in info.scenarios {
      #expect(
        scenario.expect == "passed" || areas.contains(where: scenario.expect.hasPrefix),
        "\(name) expects \(scenario.expect)")
      if areas.contains(where: name.hasPrefix) { #expect(name.hasPrefix(scenario.expect)) }
    }
    for name in ["ok", "ok-domain", "ok-certificate", "ok-admin", "default"] {
      #expect(info.scenarios[name]?.expect == "passed")
    }
  }

  @Test func jsonLineIsOneLineAndDecodesBack() async throws {
    let info = try await Shared.info()
    let line = try info.jsonLine()
    #expect(!line.contains("\n") && !line.contains("\r"))
    #expect(line.hasPrefix(#"{"baseURL":"https://127.0.0.1:"#))
    let decoded = try JSONDecoder().decode(EmulatorInfo.self, from: Data(line.utf8))
    #expect(decoded.baseURL == info.baseURL)
    #expect(decoded.caFile == info.caFile)
    #expect(decoded.scenarios == info.scenarios)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    #expect(Set(object.keys) == ["baseURL", "caFile", "scenarios"])
    let ok = try #require((object["scenarios"] as? [String: Any])?["ok"] as? [String: Any])
    #expect(Set(ok.keys) == ["expect", "args", "env"])
  }

  @Test func secretsNeedFormEncoding() async throws {
    let info = try await Shared.info()
    for (name, scenario) in info.scenarios {
      guard let secret = scenario.env["AZURE_CLIENT_SECRET"], !name.hasPrefix("input.") else { continue }
      for character in ["+", "/", "%", "~", "="] {
        #expect(secret.contains(character), "\(name)'s secret lacks \(character)")
      }
    }
    let stray = try await Shared.scenario("input.secret-has-stray-characters")
    #expect(stray.env["AZURE_CLIENT_SECRET"]?.hasSuffix("\n") == true)
    #expect(try await Shared.scenario("input.secret-missing").env["AZURE_CLIENT_SECRET"] == "")
  }

  @Test func tenantsAndClientsAreGUIDs() async throws {
    let info = try await Shared.info()
    for (name, scenario) in info.scenarios where !name.hasPrefix("input.") && !name.hasPrefix("setup.") {
      let args = ScenarioArguments(scenario.args)
      #expect(StableID.isGUID(args["--client-id"] ?? ""), "\(name)")
      let tenant = args["--tenant"] ?? ""
      #expect(StableID.isGUID(tenant) || tenant == World.mainTenantDomain, "\(name): \(tenant)")
    }
    #expect(ScenarioArguments(try await Shared.scenario("default").args)["--client-id"] == World.defaultClientID)
  }

  /// The acceptance test: each listed scenario, run the way `check` runs it, ends on its expect.
  @Test(arguments: Emulator.scenarioNames + ["default"])
  func scenarioRespondsAsExpected(_ name: String) async throws {
    let scenario = try await Shared.scenario(name)
    let reason = await MiniCheck.diagnose(scenario)
    #expect(reason == scenario.expect, "\(name): expected \(scenario.expect), got \(reason)")
  }
}
