import Foundation
import S2SDoctorCore
import S2SDoctorTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Whole `s2s-doctor setup` sessions on a pseudo-terminal: the real libedit path.
///
/// Entra ID is the in-process emulator, so the tenant look-up is live but local; these
/// sessions end with `save-only` (the emulator suite runs the checks). Serialized: each test
/// drives a child process, and the machine (and the shared event loops) serve other suites too.
@Suite(.serialized) struct PTYSessionTests {
  static let tenant = "cronus-ok.onmicrosoft.com"
  static let client = "5b0c7a44-2f1d-4e0b-9d55-0c1f2e3d4a5b"
  static let canary = "CANARY-7f3a9c~pty.Secret_value"
  static let company = "Zürich-東京 GmbH"

  /// Runs `body` on its own thread with a fresh sandbox and the emulator's host flags.
  func session(_ body: @escaping @Sendable (Sandbox, [String]) throws -> Void) async throws {
    let hosts = try await SharedEmulator.hostArguments()
    try await onOwnThread { try body(Sandbox(), hosts) }
  }

  func start(_ sandbox: Sandbox, _ hosts: [String], _ arguments: [String] = []) throws -> PTYProcess {
    try PTYProcess(
      path: try doctorBinary(), arguments: ["setup"] + hosts + arguments,
      environment: sandbox.environment)
  }

  /// Answers one libedit question once it is really reading.
  func answer(_ p: PTYProcess, _ prompt: String, _ text: String) throws {
    try p.expect(prompt)
    try p.waitForLineEditor()
    p.send(text + "\r")
  }

  @Test func happyPathWithCompletionNonASCIIAndNoSecretAnywhere() async throws {
    try await session { sandbox, hosts in
      let p = try start(sandbox, hosts)
      try self.answer(p, "online or on-premises", "")
      try self.answer(p, "Directory (tenant) ID or verified domain: ", Self.tenant)
      try p.expect("found: tenant ID", timeout: 40)
      try self.answer(p, "Application (client) ID: ", Self.client)
      try self.answer(p, "Credential: a client secret or a certificate", "")
      try p.expect("Client secret (the Value; typing is not shown): ")
      try p.waitForNoEcho()
      p.send(Self.canary + "\r")
      try p.expect("Client secret: ••••")
      try p.expect("Application permissions added")
      try p.waitForLineEditor()
      p.send("API.ReadWrite.All, aut\t")
      try p.expect("Automation.ReadWrite.All")
      p.send("\r")
      try self.answer(
        p,
        "Redirect URI (optional; none to skip) [https://businesscentral.dynamics.com/OAuthLanding.htm]: ",
        "")
      try self.answer(p, "Business Central environment name [production]: ", "")
      try self.answer(p, "Company name or id to check", Self.company)
      try p.expect("Summary")
      try p.expect("Company")
      try p.expect(Self.company)
      try p.expect("/cronus-ok.onmicrosoft.com/adminconsent?client_id=\(Self.client)")
      try self.answer(p, "Save profile and run checks?", "save-only")
      try p.expect("Saved profile \"default\"")
      let exit = try p.waitForExit()
      #expect(exit.code == 0, "\(exit)\n\(p.transcript)")

      // The profile: 0600, the non-ASCII company intact, the typed values, no secret.
      let path = sandbox.profilesDirectory + "/default.json"
      let data = try #require(FileManager.default.contents(atPath: path))
      let profile = try JSONDecoder().decode(Profile.self, from: data)
      #expect(profile.settings.company == Self.company)
      #expect(profile.settings.tenant == Self.tenant)
      #expect(profile.settings.permissions == ["API.ReadWrite.All", "Automation.ReadWrite.All"])
      let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
      #expect(mode == 0o600)

      // Per-field history, 0600, never for the secret.
      let history = sandbox.historyDirectory
      #expect(FileManager.default.fileExists(atPath: history + "/tenant"))
      #expect(FileManager.default.fileExists(atPath: history + "/company"))
      #expect(!FileManager.default.fileExists(atPath: history + "/secret"))
      let historyMode =
        try FileManager.default.attributesOfItem(atPath: history + "/tenant")[.posixPermissions]
        as? Int
      #expect(historyMode == 0o600)

      // The canary: in no file under HOME and nowhere in the transcript.
      #expect(
        sandbox.files(containing: Self.canary).isEmpty, "\(sandbox.files(containing: Self.canary))")
      #expect(!p.transcript.contains(Self.canary))
      #expect(sandbox.allFiles().count >= 3)
    }
  }

  @Test func invalidTenantIsAskedAgainAndQuestionMarkShowsHelp() async throws {
    try await session { sandbox, hosts in
      let p = try start(sandbox, hosts)
      try self.answer(p, "online or on-premises", "online")
      try self.answer(p, "Directory (tenant) ID or verified domain: ", "?")
      try p.expect(
        "Microsoft Entra admin center (https://entra.microsoft.com) > Identity > Overview > Properties > Tenant ID"
      )
      try self.answer(
        p, "Directory (tenant) ID or verified domain: ",
        "https://login.microsoftonline.com/contoso/oauth2/v2.0/token")
      try p.expect("input.tenant-invalid")
      try self.answer(p, "Directory (tenant) ID or verified domain: ", "your-tenant-id")
      try p.expect("input.tenant-invalid")
      try self.answer(p, "Directory (tenant) ID or verified domain: ", Self.tenant)
      try self.answer(p, "Application (client) ID: ", "?")
      try p.expect("App registrations > (your app) > Overview > Application (client) ID")
      try p.expect("The app registration lives in tenant \(Self.tenant)")
      try self.answer(p, "Application (client) ID: ", "\u{04}")  // Ctrl-D on an empty line
      let exit = try p.waitForExit()
      #expect(exit.code == 130, "\(exit)")
      #expect(p.transcript.contains("Stopped (Ctrl-D)"))
      #expect(!FileManager.default.fileExists(atPath: sandbox.profilesDirectory + "/default.json"))
    }
  }

  @Test func ctrlCAtTheSecretPromptRestoresTheTerminalAndDiesBySIGINT() async throws {
    try await session { sandbox, hosts in
      let p = try start(
        sandbox, hosts,
        ["--tenant", Self.tenant, "--client-id", Self.client, "--deployment", "online"])
      try self.answer(p, "Credential: a client secret or a certificate", "secret")
      try p.expect("Client secret (the Value; typing is not shown): ")
      try p.waitForNoEcho()
      p.send("half-typed-" + Self.canary)
      p.send("\u{03}")
      let exit = try p.waitForExit()
      #expect(exit.signal == SIGINT, "\(exit)\n\(p.transcript)")
      let modes = try #require(p.localModes)
      #expect(modes & tcflag_t(ECHO) != 0, "echo restored")
      #expect(modes & tcflag_t(ICANON) != 0, "canonical mode restored")
      #expect(!p.transcript.contains(Self.canary))
      #expect(sandbox.files(containing: Self.canary).isEmpty)
    }
  }

  @Test func ctrlCInTheLineEditorRestoresTheTerminal() async throws {
    try await session { sandbox, hosts in
      let p = try start(sandbox, hosts)
      try p.expect("online or on-premises")
      try p.waitForLineEditor()
      p.send("onl")
      p.send("\u{03}")
      let exit = try p.waitForExit()
      #expect(exit.signal == SIGINT, "\(exit)")
      let modes = try #require(p.localModes)
      #expect(modes & tcflag_t(ECHO) != 0 && modes & tcflag_t(ICANON) != 0)
    }
  }

  @Test func sigtermMidEditRestoresTheTerminalAndDiesBySIGTERM() async throws {
    try await session { sandbox, hosts in
      let p = try start(sandbox, hosts)
      try self.answer(p, "online or on-premises", "")
      try p.expect("Directory (tenant) ID or verified domain: ")
      try p.waitForLineEditor()
      p.send("cronus")
      try p.expect("cronus")
      kill(p.pid, SIGTERM)
      let exit = try p.waitForExit()
      #expect(exit.signal == SIGTERM, "\(exit)")
      let modes = try #require(p.localModes)
      #expect(modes & tcflag_t(ECHO) != 0 && modes & tcflag_t(ICANON) != 0)
    }
  }

  /// Ctrl-Z cannot really stop the child here (its process group is orphaned, so the kernel
  /// drops the stop), but the handler's resume path runs: the line is redrawn with the text
  /// typed so far, and the secret prompt comes back with echo still off and the half-typed
  /// secret discarded.
  @Test func resumeAfterSuspendKeepsThePartialLineAndTheNoEchoMode() async throws {
    try await session { sandbox, hosts in
      let p = try start(sandbox, hosts, ["--client-id", Self.client, "--deployment", "online"])
      try p.expect("Directory (tenant) ID or verified domain: ")
      try p.waitForLineEditor()
      p.send("cronus-ok")
      try p.expect("cronus-ok")
      kill(p.pid, SIGTSTP)
      try p.expect("Directory (tenant) ID or verified domain: cronus-ok")
      try p.waitForLineEditor()
      p.send(".onmicrosoft.com\r")
      try p.expect("Looking up cronus-ok.onmicrosoft.com")
      try self.answer(p, "Credential: a client secret or a certificate", "")
      try p.expect("Client secret (the Value; typing is not shown): ")
      try p.waitForNoEcho()
      p.send("first-half-")
      usleep(300_000)  // let the line discipline take it in (with echo off) before the stop
      kill(p.pid, SIGTSTP)
      try p.expect("Client secret (the Value; typing is not shown): ")
      try p.waitForNoEcho()
      p.send("second-half-WXYZ\r")
      // The half typed before the stop was discarded, as a real Ctrl-Z does.
      try p.expect("Client secret: ••••WXYZ (typed, 16 characters)")
      try p.expect("Application permissions added")
      try p.waitForLineEditor()
      p.send("\u{04}")
      let exit = try p.waitForExit()
      #expect(exit.code == 130, "\(exit)")
      #expect(!p.transcript.contains("first-half"))
    }
  }

  @Test func flagsAreNotAskedAgainAndSecretValidationNamesTheReason() async throws {
    try await session { sandbox, hosts in
      let p = try start(
        sandbox, hosts,
        [
          "--tenant", Self.tenant, "--client-id", Self.client, "--deployment", "online",
          "--environment", "sandbox", "--profile", "contoso-sandbox",
        ])
      try p.expect("Tenant: \(Self.tenant) (flag)")
      try self.answer(p, "Credential: a client secret or a certificate", "")
      try p.expect("Client secret (the Value; typing is not shown): ")
      try p.waitForNoEcho()
      p.send("11111111-2222-3333-4444-555555555555\r")
      try p.expect("input.secret-looks-like-id")
      try p.expect("Client secret (the Value; typing is not shown): ")
      try p.waitForNoEcho()
      p.send(Self.canary + "\r")
      try self.answer(p, "Application permissions added", "api\t")
      try self.answer(p, "Redirect URI", "none")
      try self.answer(p, "Company name or id to check", "")
      try p.expect("Environment")
      try p.expect("sandbox  (flag)")
      try self.answer(p, "Save profile and run checks?", "save-only")
      let exit = try p.waitForExit()
      #expect(exit.code == 0, "\(exit)\n\(p.transcript)")
      #expect(!p.transcript.contains("Directory (tenant) ID or verified domain:"))
      let data = try #require(
        FileManager.default.contents(atPath: sandbox.profilesDirectory + "/contoso-sandbox.json"))
      let profile = try JSONDecoder().decode(Profile.self, from: data)
      #expect(profile.settings.environment == "sandbox")
      #expect(profile.settings.permissions == ["API.ReadWrite.All"])
      #expect(profile.settings.checkAutomation == false)
      #expect(profile.settings.redirectURI == nil)
      #expect(sandbox.files(containing: Self.canary).isEmpty)
    }
  }

  @Test func historyRecallsEarlierAnswersPerField() async throws {
    try await session { sandbox, hosts in
      // First run: leave a tenant answer in the history, then stop.
      do {
        let p = try start(sandbox, hosts)
        try self.answer(p, "online or on-premises", "")
        try self.answer(p, "Directory (tenant) ID or verified domain: ", "fabrikam.onmicrosoft.com")
        try self.answer(p, "Application (client) ID: ", "\u{04}")
        _ = try p.waitForExit()
      }
      // Second run: Up at the tenant question recalls it.
      let p = try start(sandbox, hosts)
      try self.answer(p, "online or on-premises", "")
      try p.expect("Directory (tenant) ID or verified domain: ")
      try p.waitForLineEditor()
      p.send("\u{1B}[A")
      try p.expect("fabrikam.onmicrosoft.com")
      p.send("\r")
      try p.expect("Looking up fabrikam.onmicrosoft.com")
      try self.answer(p, "Application (client) ID: ", "\u{04}")
      let exit = try p.waitForExit()
      #expect(exit.code == 130)
    }
  }

  // MARK: Without a terminal

  @Test func pipedStdinWithoutAnswersExits64ListingTheFlags() async throws {
    try await session { sandbox, hosts in
      let run = try PipedRun.run(["setup"], environment: sandbox.environment, stdin: "contoso\n")
      #expect(run.status == 64)
      for flag in [
        "--answers FILE", "--tenant", "--client-id", "--environment", "--bc-url",
        "--client-secret-file", "AZURE_CLIENT_SECRET",
      ] {
        #expect(run.stderr.contains(flag), "\(flag) in:\n\(run.stderr)")
      }
      #expect(run.stdout.isEmpty)
      #expect(sandbox.allFiles().isEmpty)
    }
  }

  @Test func answersFileRunSavesTheProfileWithoutAsking() async throws {
    try await session { sandbox, hosts in
      let answers = sandbox.home + "/answers.json"
      try """
      {"deployment":"online","tenant":"\(Self.tenant)","clientId":"\(Self.client)","credential":"secret",
       "permissions":["API.ReadWrite.All","Automation.ReadWrite.All"],"environment":"production",
       "company":"\(Self.company)","saveProfile":true,"runChecks":false}
      """.write(toFile: answers, atomically: true, encoding: .utf8)
      var environment = sandbox.environment
      environment["AZURE_CLIENT_SECRET"] = Self.canary
      let run = try PipedRun.run(
        ["setup", "--answers", answers, "--profile", "scripted"] + hosts, environment: environment)
      #expect(run.status == 0, "\(run.stderr)")
      #expect(run.stderr.contains("Tenant: \(Self.tenant) (answers file)"))
      #expect(run.stderr.contains("Client secret: ••••"))
      let data = try #require(
        FileManager.default.contents(atPath: sandbox.profilesDirectory + "/scripted.json"))
      let profile = try JSONDecoder().decode(Profile.self, from: data)
      #expect(profile.settings.company == Self.company)
      #expect(!run.stderr.contains(Self.canary) && !run.stdout.contains(Self.canary))
      #expect(sandbox.files(containing: Self.canary) == [])
    }
  }

  @Test func answersFileErrorsAreUsageErrors() async throws {
    try await session { sandbox, hosts in
      let answers = sandbox.home + "/answers.json"
      try #"{"tenant":"contoso.onmicrosoft.com","tenantID":"x"}"#.write(
        toFile: answers, atomically: true, encoding: .utf8)
      let run = try PipedRun.run(["setup", "--answers", answers], environment: sandbox.environment)
      #expect(run.status == 64)
      #expect(run.stderr.contains("unknown key \"tenantID\""))

      try #"{"tenant":"common","clientId":"5b0c7a44-2f1d-4e0b-9d55-0c1f2e3d4a5b"}"#.write(
        toFile: answers, atomically: true, encoding: .utf8)
      var environment = sandbox.environment
      environment["AZURE_CLIENT_SECRET"] = Self.canary
      let invalid = try PipedRun.run(
        ["setup", "--answers", answers] + hosts, environment: environment)
      #expect(invalid.status == 64)
      #expect(invalid.stderr.contains("input.tenant-not-specific"))
      #expect(invalid.stderr.contains("\"tenant\" in"))
    }
  }
}
