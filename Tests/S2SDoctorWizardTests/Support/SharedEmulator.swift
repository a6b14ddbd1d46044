import Foundation
import S2SDoctorEmulator

/// One emulator (HTTPS, port 0) for every test of the module.
enum SharedEmulator {
  private static let started = Task { () throws -> (Emulator, EmulatorInfo) in
    var options = EmulatorOptions()
    options.recordCredentials = true  // the canary suite looks for every token and secret handed out
    let emulator = try Emulator(options: options)
    let info = try await emulator.start()
    return (emulator, info)
  }

  static func info() async throws -> EmulatorInfo { try await started.value.1 }

  /// Every token and secret the emulator has handed out so far.
  static func issued() async throws -> [CredentialLedger.Entry] { try await started.value.0.issuedCredentials }

  static func scenario(_ name: String) async throws -> ScenarioInfo {
    guard let scenario = try await info().scenarios[name] else {
      throw PTYError("the emulator lists no scenario \(name)")
    }
    return scenario
  }

  /// Flags that point the tool at the emulator's Entra ID and Business Central (not at a scenario).
  static func hostArguments() async throws -> [String] {
    let info = try await info()
    var arguments = ["--authority-host", info.baseURL, "--bc-api-host", info.baseURL]
    if let ca = info.caFile { arguments += ["--ca-file", ca] }
    return arguments
  }

  /// The value of `flag` in a scenario's arguments.
  static func value(_ flag: String, in scenario: ScenarioInfo) -> String? {
    guard let index = scenario.args.firstIndex(of: flag), index + 1 < scenario.args.count else {
      return nil
    }
    return scenario.args[index + 1]
  }
}
