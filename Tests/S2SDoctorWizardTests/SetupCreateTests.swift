import Foundation
import S2SDoctorTestSupport
import Testing

@testable import S2SDoctorEmulator

#if canImport(Glibc)
  import Glibc
#endif

/// `setup --create` from an empty emulated tenant, with pipes and on a pseudo-terminal.
/// Each test names its own application, so the tests share the emulator without meeting.
@Suite(.serialized) struct SetupCreateTests {
  static func arguments(_ scenario: String, app: String) async throws -> [String] {
    try await SharedEmulator.scenario(scenario).args + ["--app-name", app]
  }

  static func uniqueName() -> String { "S2S Doctor test " + UUID().uuidString.prefix(8) }

  static func plan(_ arguments: [String], _ sandbox: Sandbox) throws -> [[String: String]] {
    let run = try PipedRun.run(["setup", "--create", "--plan"] + arguments, environment: sandbox.environment)
    #expect(run.status == 0, "\(run.stderr)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    #expect(json["schemaVersion"] as? Int == 1)
    let changes = try #require(json["changes"] as? [[String: String]])
    for change in changes { #expect(Set(change.keys) == ["action", "target", "detail"]) }
    return changes
  }

  @Test func planPrintsJSONAndChangesNothing() async throws {
    let arguments = try await Self.arguments("setup.create", app: Self.uniqueName())
    try await onOwnThread {
      let sandbox = Sandbox()
      let first = try Self.plan(arguments, sandbox)
      #expect(first.first == ["action": "create", "target": "application", "detail": first.first?["detail"] ?? ""])
      #expect(first.contains { $0["target"] == "admin-consent" && $0["detail"] == "API.ReadWrite.All" })
      #expect(first.contains { $0["target"] == "client-secret" })
      // Nothing was created: the same plan again.
      #expect(try Self.plan(arguments, sandbox) == first)
    }
  }

  @Test func withYesEmptyTenantEndsPassingAndASecondRunChangesNothing() async throws {
    let arguments = try await Self.arguments("setup.create", app: Self.uniqueName())
    try await onOwnThread {
      let sandbox = Sandbox()
      let secretFile = sandbox.home + "/new.secret"
      let run = try PipedRun.run(
        ["setup", "--create", "--yes", "--secret-out", secretFile] + arguments, environment: sandbox.environment,
        timeout: 120)
      #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
      #expect(run.stdout.contains("The registration works"), "\(run.stdout)")
      // The end of setup: Task 2 on the environment's Microsoft Entra Applications page.
      let tenant = try #require(arguments.firstIndex(of: "--tenant").map { arguments[$0 + 1] })
      #expect(
        run.stderr.contains("https://businesscentral.dynamics.com/\(tenant)/production/?page=9860"), "\(run.stderr)")
      let words = run.stderr.split(whereSeparator: \.isWhitespace).joined(separator: " ")
      for item in ["☐ New, then Client ID: ", "never SUPER", "Grant Consent", "EXTEN. MGT. - ADMIN"] {
        #expect(words.contains(item), "the checklist lacks \(item)")
      }
      var info = stat()
      #expect(stat(secretFile, &info) == 0)
      #expect(info.st_mode & 0o777 == 0o600)
      let secret = try String(contentsOfFile: secretFile, encoding: .utf8).trimmingCharacters(in: .newlines)
      #expect(secret.count >= 16)
      #expect(!run.stdout.contains(secret) && !run.stderr.contains(secret), "the secret leaked into the output")
      #expect(sandbox.files(containing: secret) == ["new.secret"], "the secret is only in --secret-out")
      // Neither the administrator's token nor the app's (both JWTs) reach the output or a file.
      #expect(!run.stdout.contains("eyJ") && !run.stderr.contains("eyJ"), "a token leaked into the output")
      #expect(sandbox.files(containing: "eyJ").isEmpty, "a token was written to a file")

      // Idempotent: nothing left to change, and a second --yes run changes nothing.
      #expect(try Self.plan(arguments, sandbox).isEmpty)
      let again = try PipedRun.run(
        ["setup", "--create", "--yes", "--secret-out", sandbox.home + "/second.secret"] + arguments,
        environment: sandbox.environment, timeout: 120)
      #expect(again.status == 0, "\(again.stderr)")
      #expect(again.stderr.contains("nothing to change"))
      #expect(!FileManager.default.fileExists(atPath: sandbox.home + "/second.secret"))
    }
  }

  @Test func replicationLagStillEndsWithAPassingCheck() async throws {
    let arguments = try await Self.arguments("setup.create-lag", app: Self.uniqueName())
    try await onOwnThread {
      let sandbox = Sandbox()
      let run = try PipedRun.run(
        ["setup", "--create", "--yes", "--secret-out", sandbox.home + "/lag.secret"] + arguments,
        environment: sandbox.environment, timeout: 180)
      #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
      #expect(run.stdout.contains("The registration works"), "\(run.stdout)")
    }
  }

  @Test func withoutATerminalNothingChangesUnlessYes() async throws {
    let arguments = try await Self.arguments("setup.create", app: Self.uniqueName())
    try await onOwnThread {
      let sandbox = Sandbox()
      let run = try PipedRun.run(["setup", "--create"] + arguments, environment: sandbox.environment)
      #expect(run.status == 64)
      #expect(run.stderr.contains("--yes"))
      let noSecretFile = try PipedRun.run(["setup", "--create", "--yes"] + arguments, environment: sandbox.environment)
      #expect(noSecretFile.status == 64)
      #expect(noSecretFile.stderr.contains("--secret-out"))
      #expect(try Self.plan(arguments, sandbox).first?["action"] == "create", "nothing was created")
    }
  }

  @Test func onATerminalItAsksThenShowsTheSecretOnceAndPasses() async throws {
    let arguments = try await Self.arguments("setup.create", app: Self.uniqueName())
    try await onOwnThread {
      let sandbox = Sandbox()
      let p = try PTYProcess(
        path: try doctorBinary(), arguments: ["setup", "--create"] + arguments, environment: sandbox.environment)
      try p.expect("enter the code", timeout: 30)
      try p.expect("Apply these 7 changes? [y/N] ", timeout: 30)
      p.send("y\r")
      try p.expect("shown only this once", timeout: 60)
      try p.expect("The registration works", timeout: 120)
      #expect(try p.waitForExit(timeout: 60) == ExitState(waitStatus: 0))
      let lines = p.transcript.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
      let index = try #require(lines.firstIndex { $0.contains("shown only this once") })
      let secret = lines[index + 1]
      #expect(secret.count >= 16)
      #expect(p.transcript.components(separatedBy: secret).count == 2, "the secret is shown exactly once")
      #expect(sandbox.files(containing: secret).isEmpty, "the secret is in no file")
    }
  }

  @Test func declinedSignInChangesNothing() async throws {
    let arguments = try await Self.arguments("setup.create", app: Self.uniqueName())
    try await onOwnThread {
      let sandbox = Sandbox()
      let run = try PipedRun.run(
        [
          "setup", "--create", "--yes", "--secret-out", sandbox.home + "/x", "--admin-client-id",
          StableID.guid("public/declined"),
        ] + arguments, environment: sandbox.environment)
      #expect(run.status == 2)
      #expect(run.stderr.contains("declined"))
      #expect(try Self.plan(arguments, sandbox).first?["action"] == "create")
    }
  }
}

extension SetupCreateTests {
  /// The setup tenant caps secrets at a year: an 18-month request is shortened, not failed.
  @Test func secretLifetimePolicyShortensTheSecret() async throws {
    let arguments = try await Self.arguments("setup.create", app: Self.uniqueName())
    try await onOwnThread {
      let sandbox = Sandbox()
      let run = try PipedRun.run(
        ["setup", "--create", "--yes", "--secret-months", "18", "--secret-out", sandbox.home + "/p.secret"]
          + arguments, environment: sandbox.environment, timeout: 120)
      #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
      #expect(run.stderr.contains("app management policy refused a 18-month secret"), "\(run.stderr)")
      let expected = RegistrationDay.inMonths(9)
      #expect(run.stderr.contains("(ends \(expected))"), "\(run.stderr)")
    }
  }
}

enum RegistrationDay {
  static func inMonths(_ months: Int) -> String {
    let date = Calendar(identifier: .gregorian).date(byAdding: .month, value: months, to: Date())!
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withFullDate]
    return formatter.string(from: date)
  }
}

extension SetupCreateTests {
  /// A "browser" for `--sign-in browser`: curl, following the emulator's redirect to the
  /// tool's loopback listener, as `$BROWSER`.
  static func browser(_ sandbox: Sandbox, arguments: [String]) throws -> [String: String] {
    let caFile = arguments.firstIndex(of: "--ca-file").map { arguments[$0 + 1] }
    let script = sandbox.home + "/browser.sh"
    try
      "#!/bin/sh\n/usr/bin/env > '\(sandbox.home)/browser.env'\nexec /usr/bin/curl -sS -L --max-time 30 \(caFile.map { "--cacert '\($0)'" } ?? "") -o /dev/null \"$1\"\n"
      .write(toFile: script, atomically: true, encoding: .utf8)
    chmod(script, 0o700)
    return sandbox.environment.merging([
      "BROWSER": script, "AZURE_CLIENT_SECRET": "browser-canary~Zq7.not-for-children",
    ]) { $1 }
  }

  /// Authorization code with PKCE on a loopback redirect, from an empty tenant to a passing check.
  @Test func browserSignInWithPKCEEndsPassing() async throws {
    let arguments = try await Self.arguments("setup.create", app: Self.uniqueName())
    try await onOwnThread {
      let sandbox = Sandbox()
      let environment = try Self.browser(sandbox, arguments: arguments)
      let run = try PipedRun.run(
        [
          "setup", "--create", "--yes", "--sign-in", "browser", "--open-browser", "--secret-out",
          sandbox.home + "/b.secret",
        ]
          + arguments, environment: environment, timeout: 120)
      #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
      #expect(run.stderr.contains("(browser: authorization code with PKCE)"))
      #expect(run.stderr.contains("/oauth2/v2.0/authorize?client_id="))
      #expect(run.stderr.contains("code_challenge_method=S256"))
      #expect(run.stderr.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"))
      #expect(run.stdout.contains("The registration works"), "\(run.stdout)")
      #expect(
        !run.stderr.contains("code=1.AQ") && !run.stdout.contains("code=1.AQ"),
        "the code stays between browser and tool")
      // The browser is the one child process; the secret in the tool's environment is not in its.
      let browserEnvironment = try String(contentsOfFile: sandbox.home + "/browser.env", encoding: .utf8)
      #expect(browserEnvironment.contains("BROWSER="))
      #expect(!browserEnvironment.contains("browser-canary"), "the secret reached the browser's environment")
    }
  }

  @Test func browserSignInDeclinedChangesNothing() async throws {
    let arguments = try await Self.arguments("setup.create", app: Self.uniqueName())
    try await onOwnThread {
      let sandbox = Sandbox()
      let environment = try Self.browser(sandbox, arguments: arguments)
      let run = try PipedRun.run(
        [
          "setup", "--create", "--yes", "--sign-in", "browser", "--open-browser", "--secret-out", sandbox.home + "/x",
          "--admin-client-id", StableID.guid("public/declined"),
        ] + arguments, environment: environment, timeout: 60)
      #expect(run.status == 2, "\(run.stderr)")
      #expect(run.stderr.contains("declined"))
      #expect(try Self.plan(arguments, sandbox).first?["action"] == "create")
      let mixed = try PipedRun.run(["setup", "--create", "--open-browser"] + arguments, environment: environment)
      #expect(mixed.status == 64 && mixed.stderr.contains("--open-browser needs --sign-in browser"))
    }
  }
}

extension SetupCreateTests {
  /// `--certificate FILE`: the public certificate is uploaded as a key credential instead of a
  /// secret; with its private key in the same file the checks then pass by client assertion.
  @Test func certificateIsUploadedAndTheChecksPassWithIt() async throws {
    let arguments = try await Self.arguments("setup.create", app: Self.uniqueName())
    let before = try await SharedEmulator.issued().filter { $0.kind == .secret }.count
    try await onOwnThread {
      let sandbox = Sandbox()
      let certificate = try RSACertificate.generate(commonName: "S2S Doctor setup test")
      let both = sandbox.home + "/app.pem"
      try certificate.combinedPEM.write(toFile: both, atomically: true, encoding: .utf8)
      chmod(both, 0o600)
      let publicOnly = sandbox.home + "/public.pem"
      let certificateBlock =
        certificate.combinedPEM.components(separatedBy: "-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
      try certificateBlock.write(toFile: publicOnly, atomically: true, encoding: .utf8)

      // The plan names the certificate and no secret; the public certificate alone is enough.
      let planned = try Self.plan(arguments + ["--certificate", publicOnly], sandbox)
      let upload = try #require(planned.first { $0["target"] == "certificate" })
      #expect(upload["action"] == "upload")
      #expect(
        upload["detail"]?.contains("thumbprint \(certificate.sha1Digest.map { String(format: "%02X", $0) }.joined())")
          == true)
      #expect(!planned.contains { $0["target"] == "client-secret" })

      // Applied without --secret-out (no secret is made), then checked with the certificate.
      let run = try PipedRun.run(
        ["setup", "--create", "--yes", "--certificate", both] + arguments, environment: sandbox.environment,
        timeout: 120)
      #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
      #expect(run.stderr.contains("✓ upload certificate"), "\(run.stderr)")
      #expect(run.stdout.contains("The registration works"), "\(run.stdout)")
      #expect(!run.stderr.contains("PRIVATE KEY") && !run.stdout.contains("PRIVATE KEY"))
      // Idempotent: the same certificate is not uploaded twice.
      #expect(try Self.plan(arguments + ["--certificate", both], sandbox).isEmpty)
    }
    let after = try await SharedEmulator.issued().filter { $0.kind == .secret }.count
    #expect(after == before, "no client secret was added")
  }
}

extension SetupCreateTests {
  /// `--admin`: the admin center's authorized apps are read (a second, delegated sign-in for
  /// Business Central), the app is authorized there on apply, and the admin center check passes.
  @Test func adminAuthorizesTheAppInTheAdminCenter() async throws {
    let arguments = try await Self.arguments("setup.create", app: Self.uniqueName()) + ["--admin"]
    try await onOwnThread {
      let sandbox = Sandbox()
      let planned = try Self.plan(arguments, sandbox)
      let authorize = try #require(planned.first { $0["target"] == "admin-center" })
      #expect(authorize["action"] == "authorize")
      #expect(planned.contains { $0["target"] == "admin-consent" && $0["detail"] == "AdminCenter.ReadWrite.All" })
      let run = try PipedRun.run(
        ["setup", "--create", "--yes", "--secret-out", sandbox.home + "/a.secret"] + arguments,
        environment: sandbox.environment, timeout: 120)
      #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
      #expect(run.stderr.contains("for the Business Central admin center's authorized apps"))
      #expect(run.stderr.contains("✓ authorize admin-center:"), "\(run.stderr)")
      #expect(run.stdout.contains("[✓] The admin center API accepts the app"), "\(run.stdout)")
      #expect(run.stdout.contains("The registration works"), "\(run.stdout)")
      #expect(try Self.plan(arguments, sandbox).isEmpty, "authorized once, nothing left to change")
    }
  }
}
