import Foundation
import S2SDoctorCore
import S2SDoctorTestSupport
import Testing

/// `fleet` and its secrets (issue 14, point 5): on a terminal a missing secret is asked for with
/// echo off, once per variable; without one, stderr names the three safe ways.
@Suite(.serialized) struct TerminalFleetTests {
  struct Setup {
    var arguments: [String]
    var secret: String
    var inventory: String
  }

  /// A two-row inventory of the emulator's healthy registration (both rows take
  /// AZURE_CLIENT_SECRET), and fleet's arguments without tenant and client.
  func setup() async throws -> Setup {
    let scenario = try await SharedEmulator.scenario("ok")
    let secret = try #require(scenario.env["AZURE_CLIENT_SECRET"])
    let tenant = try #require(SharedEmulator.value("--tenant", in: scenario))
    let client = try #require(SharedEmulator.value("--client-id", in: scenario))
    let inventory = temporaryDirectory("fleet") + "/inventory.csv"
    try """
    name,tenant,clientId,environment,deployment,secretEnv,certificate
    one,\(tenant),\(client),production,online,,
    two,\(tenant),\(client),production,online,AZURE_CLIENT_SECRET,

    """.write(toFile: inventory, atomically: true, encoding: .utf8)
    var arguments = ["fleet", inventory]
    for flag in ["--authority-host", "--bc-api-host", "--ca-file"] {
      if let value = SharedEmulator.value(flag, in: scenario) { arguments += [flag, value] }
    }
    return Setup(arguments: arguments, secret: secret, inventory: inventory)
  }

  @Test func onATerminalTheSecretIsAskedOnceWithEchoOff() async throws {
    let s = try await setup()
    try await onOwnThread {
      let p = try PTYProcess(
        path: try doctorBinary(), arguments: s.arguments, environment: Sandbox().environment, columns: 80)
      try p.expect("Client secret for 2 rows with secretEnv AZURE_CLIENT_SECRET (input hidden): ")
      try p.waitForNoEcho()
      p.send(s.secret + "\r")
      let exit = try p.waitForExit()
      #expect(exit.code == 0, "\(exit)\n\(p.transcript)")
      #expect(!p.transcript.contains(s.secret))
      #expect(p.transcript.components(separatedBy: "(input hidden)").count == 2, "asked more than once")
    }
  }

  @Test func withoutATerminalStderrNamesTheThreeSafeWays() async throws {
    let s = try await setup()
    let run = try await onOwnThread { try PipedRun.run(s.arguments, environment: Sandbox().environment) }
    #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
    for way in ["AZURE_CLIENT_SECRET", "--client-secret-file", "--client-secret-stdin"] {
      #expect(run.stderr.contains(way), "\(way) missing from \(run.stderr)")
    }
    #expect(run.stdout.contains("input.secret-missing"))
  }

  @Test func theSecretFileServesTheRowsOfAzureClientSecret() async throws {
    let s = try await setup()
    let file = temporaryDirectory("fleet") + "/secret.txt"
    try (s.secret + "\r\n").write(toFile: file, atomically: true, encoding: .utf8)
    _ = chmod(file, 0o600)
    let run = try await onOwnThread {
      try PipedRun.run(s.arguments + ["--client-secret-file", file], environment: Sandbox().environment)
    }
    #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
    #expect(!run.stderr.contains("No secret"))
  }
}
