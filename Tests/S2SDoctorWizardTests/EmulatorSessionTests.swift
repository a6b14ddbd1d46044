import Foundation
import S2SDoctorCore
import S2SDoctorEmulator
import S2SDoctorTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `setup` end to end against the emulator: scripted runs and a typed session run the live checks.
@Suite(.serialized) struct EmulatorSessionTests {
  func answersFile(in sandbox: Sandbox, _ extra: String = "") throws -> String {
    let path = sandbox.home + "/answers.json"
    try """
    {"deployment":"online","credential":"secret",
     "permissions":["API.ReadWrite.All","Automation.ReadWrite.All"],
     "saveProfile":true,"runChecks":true\(extra)}
    """.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  func scripted(_ name: String, format: String = "text") async throws -> (
    PipedRun, Sandbox, ScenarioInfo
  ) {
    let scenario = try await SharedEmulator.scenario(name)
    return try await onOwnThread {
      let sandbox = Sandbox()
      let answers = try answersFile(in: sandbox)
      var environment = sandbox.environment
      environment.merge(scenario.env) { $1 }
      let run = try PipedRun.run(
        ["setup", "--answers", answers, "--profile", "emulated", "--format", format]
          + scenario.args,
        environment: environment)
      return (run, sandbox, scenario)
    }
  }

  @Test func scriptedOkSessionEndsWithEveryCheckPassed() async throws {
    let (run, sandbox, scenario) = try await scripted("ok", format: "json")
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stderr.contains("The registration works."), "\(run.stderr)")
    let report = try JSONDecoder().decode(RunReport.self, from: Data(run.stdout.utf8))
    #expect(report.summary.failed == 0 && report.summary.couldNotTest == 0)
    #expect(report.summary.passed > 0)
    #expect(report.results.allSatisfy { $0.status == .passed || $0.status == .skipped })
    // The profile was saved without the secret.
    let secret = try #require(scenario.env["AZURE_CLIENT_SECRET"])
    #expect(FileManager.default.fileExists(atPath: sandbox.profilesDirectory + "/emulated.json"))
    #expect(sandbox.files(containing: secret).isEmpty)
    #expect(!run.stderr.contains(secret) && !run.stdout.contains(secret))
  }

  @Test func scriptedSecretInvalidSessionShowsTheReasonAndItsFix() async throws {
    let (run, _, scenario) = try await scripted("entra.secret-invalid")
    #expect(run.status == 1, "\(run.stderr)")
    #expect(run.stderr.contains("entra.secret-invalid"), "\(run.stderr)")
    let fix = try #require(Catalogue.builtIn.reason("entra.secret-invalid")?.fix)
    #expect(run.stderr.contains("Fix: " + String(fix.prefix(40))), "\(run.stderr)")
    if let secret = scenario.env["AZURE_CLIENT_SECRET"] { #expect(!run.stderr.contains(secret)) }
  }

  /// The whole thing on a terminal: the secret typed at the prompt, the checks run and pass.
  @Test func typedOkSessionOnATerminalPassesEveryCheck() async throws {
    let scenario = try await SharedEmulator.scenario("ok")
    let secret = try #require(scenario.env["AZURE_CLIENT_SECRET"])
    try await onOwnThread {
      let sandbox = Sandbox()
      let p = try PTYProcess(
        path: try doctorBinary(), arguments: ["setup", "--deployment", "online"] + scenario.args,
        environment: sandbox.environment)
      try p.expect("(flag)")
      try p.expect("found: tenant ID", timeout: 40)
      try p.expect("Credential: a client secret or a certificate")
      try p.waitForLineEditor()
      p.send("\r")
      try p.expect("Client secret (the Value; typing is not shown): ")
      try p.waitForNoEcho()
      p.send(secret + "\r")
      for prompt in [
        "Application permissions added", "Redirect URI", "environment name", "Company name or id",
      ] {
        try p.expect(prompt)
        try p.waitForLineEditor()
        p.send("\r")
      }
      try p.expect("Save profile and run checks?")
      try p.waitForLineEditor()
      p.send("yes\r")
      try p.expect("The registration works.", timeout: 60)
      let exit = try p.waitForExit()
      #expect(exit.code == 0, "\(exit)\n\(p.transcript)")
      #expect(!p.transcript.contains(secret))
      #expect(sandbox.files(containing: secret).isEmpty)
    }
  }

  /// A portal step: the wizard prints the numbered steps, waits, re-runs only token.roles.
  @Test func portalStepWaitsAndRerunsTheRolesCheck() async throws {
    let scenario = try await SharedEmulator.scenario("token.roles-missing")
    try await onOwnThread {
      let sandbox = Sandbox()
      let answers = try answersFile(in: sandbox)
      var environment = sandbox.environment
      environment.merge(scenario.env) { $1 }
      // A terminal session that takes its answers from the file, so that only the wait is typed.
      let p = try PTYProcess(
        path: try doctorBinary(), arguments: ["setup", "--answers", answers] + scenario.args,
        environment: environment)
      try p.expect("token.roles-missing", timeout: 60)
      try p.expect("Add the Business Central permissions and grant admin consent")
      try p.expect("1. Sign in to the Microsoft Entra admin center")
      try p.expect("Grant admin consent for")
      try p.expect("Press Enter when done (or type skip): ")
      try p.waitForLineEditor()
      p.send("\r")
      try p.expect("Running token.roles again")
      try p.expect("Not done yet", timeout: 60)
      try p.expect("Press Enter when done (or type skip): ")
      try p.waitForLineEditor()
      p.send("skip\r")
      let exit = try p.waitForExit()
      #expect(exit.code == 1, "\(exit)\n\(p.transcript)")
    }
  }
}
