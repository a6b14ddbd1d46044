import Foundation
import S2SDoctorCore
import S2SDoctorEmulator
import S2SDoctorTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `check` on a real terminal (a pty): issue 14, points 1, 3 and 5.
@Suite(.serialized) struct TerminalCheckTests {
  /// No secret from flags, environment or profile: `check` asks for it with echo off, then
  /// prints real colour and wraps at the terminal's 60 columns.
  @Test func checkAsksForTheSecretAndPrintsRealColourAtTheTerminalWidth() async throws {
    let scenario = try await SharedEmulator.scenario("ok")
    let secret = try #require(scenario.env["AZURE_CLIENT_SECRET"])
    try await onOwnThread {
      let sandbox = Sandbox()
      var environment = sandbox.environment
      environment["NO_COLOR"] = nil
      let p = try PTYProcess(
        path: try doctorBinary(), arguments: ["check"] + scenario.args, environment: environment, columns: 60)
      try p.expect("(input hidden): ")
      try p.waitForNoEcho()
      p.send(secret + "\r")
      try p.expect("The registration works.", timeout: 60)
      let exit = try p.waitForExit()
      #expect(exit.code == 0, "\(exit)\n\(p.transcript)")
      #expect(p.rawText.contains("\u{1B}[32m[✓]\u{1B}[0m"), "no real colour: \(p.rawText.debugDescription)")
      #expect(!p.rawText.contains("\\x1B"), "the tool's own colour was escaped")
      #expect(!p.transcript.contains(secret))
      for line in p.transcript.split(separator: "\n") where !line.contains("Docs: ") {
        #expect(line.count <= 60, "wider than the terminal: \(line)")
      }
    }
  }

  @Test(arguments: [["NO_COLOR": "1"], ["TERM": "dumb"]])
  func noColourWhenAskedNotTo(_ extra: [String: String]) async throws {
    let scenario = try await SharedEmulator.scenario("ok")
    try await onOwnThread {
      let sandbox = Sandbox()
      var environment = sandbox.environment.merging(scenario.env) { $1 }
      environment["NO_COLOR"] = nil
      environment.merge(extra) { $1 }
      let p = try PTYProcess(path: try doctorBinary(), arguments: ["check"] + scenario.args, environment: environment)
      try p.expect("The registration works.", timeout: 60)
      _ = try p.waitForExit()
      #expect(!p.rawText.contains("\u{1B}["), "\(extra): \(p.rawText.debugDescription)")
    }
  }

  /// Without a terminal nothing is asked: the report names the safe ways to pass the secret.
  @Test func withoutATerminalTheMissingSecretNamesTheSafeWays() async throws {
    let scenario = try await SharedEmulator.scenario("ok")
    let run = try await onOwnThread {
      try PipedRun.run(["check"] + scenario.args, environment: Sandbox().environment)
    }
    #expect(run.status == 1, "\(run.stdout)")
    for way in ["AZURE_CLIENT_SECRET", "--client-secret-file", "--client-secret-stdin"] {
      #expect(run.stdout.contains(way), "\(way) missing from \(run.stdout)")
    }
    #expect(!run.stdout.contains("\u{1B}"), "colour on a pipe")
  }
}
