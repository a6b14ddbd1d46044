import Foundation
import S2SDoctorCore
import S2SDoctorTestSupport
import Testing

@testable import S2SDoctorReports

/// `s2s-doctor report`, `export http` and `consent-url`, run as a process.
@Suite struct CommandTests {
  struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  static func binary() throws -> String {
    if let override = ProcessInfo.processInfo.environment["S2S_DOCTOR_BIN"] { return override }
    let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    var folder = URL(fileURLWithPath: exe).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = folder.appendingPathComponent("s2s-doctor").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      folder = folder.deletingLastPathComponent()
    }
    throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "s2s-doctor next to \(exe)"])
  }

  static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Run {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent(
      "s2s-home-\(UUID().uuidString)"
    ).path
    let base = ["HOME": home, "XDG_CONFIG_HOME": home, "PATH": "/usr/bin:/bin", "NO_COLOR": "1"]
    let result = try await ProcessRun.run(
      try binary(), arguments, environment: base.merging(environment) { $1 }, stdin: Data())
    return Run(status: result.status, stdout: result.stdout, stderr: result.stderr)
  }

  /// Cold start: `--version` and `--help` decode no catalogue; a command that needs it does.
  @Test func versionLoadsNoCatalogue() async throws {
    let trace = ["S2S_DOCTOR_TRACE": "catalogue"]
    for arguments in [["--version"], ["--help"]] {
      let run = try await Self.run(arguments, environment: trace)
      #expect(run.status == 0)
      #expect(!run.stderr.contains("decoding the embedded catalogue"), "\(arguments): \(run.stderr)")
    }
    let explain = try await Self.run(["explain", "AADSTS7000215"], environment: trace)
    #expect(explain.stderr.contains("trace: decoding the embedded catalogue"), "the trace works: \(explain.stderr)")
  }

  static func temporaryFile(_ name: String, _ contents: String? = nil) -> String {
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("s2s-\(UUID().uuidString)-\(name)").path
    if let contents { #expect(FileManager.default.createFile(atPath: path, contents: Data(contents.utf8))) }
    return path
  }

  @Test(arguments: [ReportFormat.markdown, .html, .junit, .text, .json])
  func reportRerendersASavedRun(format: ReportFormat) async throws {
    let saved = Snapshot.url("every-status.json").path
    let result = try await Self.run(["report", saved, "--format", format.rawValue])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout == Snapshot.read(SnapshotTests.fileName("every-status", format)))
  }

  @Test func reportWritesOutputFileAndRedactsIDs() async throws {
    let output = Self.temporaryFile("report.md")
    defer { try? FileManager.default.removeItem(atPath: output) }
    let saved = Snapshot.url("every-status.json").path
    let result = try await Self.run([
      "report", saved, "--format", "markdown", "--redact-ids", "--output", output,
    ])
    #expect(result.status == 0 && result.stdout.isEmpty, "\(result.stderr)")
    let written = try String(contentsOfFile: output, encoding: .utf8)
    #expect(written == Snapshot.read("every-status.redact-ids.md"))
  }

  @Test func reportWithAUserTemplateAndContext() async throws {
    let template = Self.temporaryFile("t.mustache", "{{toolName}}: {{headline}}\n")
    defer { try? FileManager.default.removeItem(atPath: template) }
    let saved = Snapshot.url("healthy.json").path
    let result = try await Self.run(["report", saved, "--template", template])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout == "s2s-doctor: 14 passed, 3 skipped\n")
    let context = try await Self.run(["report", saved, "--print-context"])
    #expect(context.status == 0)
    #expect(context.stdout.contains(#""headline" : "14 passed, 3 skipped""#))
  }

  @Test func reportRefusesBadFilesWithExit64() async throws {
    let notJSON = Self.temporaryFile("bad.json", "this is not json")
    let wrongVersion = Self.temporaryFile("v2.json", #"{"schemaVersion": 2}"#)
    defer {
      try? FileManager.default.removeItem(atPath: notJSON)
      try? FileManager.default.removeItem(atPath: wrongVersion)
    }
    for (path, words) in [
      (notJSON, "is not an s2s-doctor run report"), (wrongVersion, "has schemaVersion 2"),
      ("/nonexistent/run.json", "Cannot read /nonexistent/run.json"),
    ] {
      let result = try await Self.run(["report", path, "--format", "markdown"])
      #expect(result.status == 64)
      #expect(result.stderr.contains(path) && result.stderr.contains(words), "\(result.stderr)")
      #expect(result.stdout.isEmpty)
    }
    let saved = Snapshot.url("healthy.json").path
    let badTemplate = Self.temporaryFile("bad.mustache", "{{#results}}\n")
    defer { try? FileManager.default.removeItem(atPath: badTemplate) }
    let result = try await Self.run(["report", saved, "--template", badTemplate])
    #expect(result.status == 64 && result.stderr.contains(badTemplate + ":"), "\(result.stderr)")
    let unwritable = try await Self.run(["report", saved, "--output", "/nonexistent/dir/out.md"])
    #expect(unwritable.status == 64 && unwritable.stderr.contains("/nonexistent/dir/out.md"))
  }

  @Test func exportHTTPNeverWritesTheSecret() async throws {
    let secret = "Cli~Export.Canary-0123456789abcdef"
    // (--client-secret-file is refused for export: PartnerURLTests.)
    let result = try await Self.run(
      [
        "export", "http", "--tenant", Fixtures.tenant, "--client-id", Fixtures.clientID,
        "--environment", "sandbox",
      ],
      environment: ["AZURE_CLIENT_SECRET": secret])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(!result.stdout.contains(secret) && !result.stdout.contains("Canary"))
    #expect(result.stdout.contains("@clientSecret = <paste the secret value here>"))
    #expect(result.stdout.contains("@tenant = \(Fixtures.tenant)"))
    let output = Self.temporaryFile("bc.http")
    defer { try? FileManager.default.removeItem(atPath: output) }
    let toFile = try await Self.run(
      ["export", "http", "--output", output],
      environment: [
        "AZURE_TENANT_ID": Fixtures.tenant, "AZURE_CLIENT_ID": Fixtures.clientID,
        "AZURE_CLIENT_SECRET": secret,
      ])
    #expect(toFile.status == 0 && toFile.stdout.isEmpty, "\(toFile.stderr)")
    let written = try String(contentsOfFile: output, encoding: .utf8)
    #expect(!written.contains(secret) && written.contains("@clientId = \(Fixtures.clientID)"))
  }

  @Test func consentURL() async throws {
    let result = try await Self.run([
      "consent-url", "--tenant", Fixtures.tenant, "--client-id", Fixtures.clientID,
    ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(
      result.stdout
        == "https://login.microsoftonline.com/\(Fixtures.tenant)/adminconsent?client_id=\(Fixtures.clientID)\n"
    )
    let redirect = try await Self.run(
      [
        "consent-url", "--tenant", Fixtures.tenant, "--client-id", Fixtures.clientID,
        "--redirect-uri", "https://businesscentral.dynamics.com/OAuthLanding.htm", "--cloud",
        "usgov",
      ])
    #expect(
      redirect.stdout
        == "https://login.microsoftonline.us/\(Fixtures.tenant)/adminconsent?client_id=\(Fixtures.clientID)&redirect_uri=https%3A%2F%2Fbusinesscentral.dynamics.com%2FOAuthLanding.htm\n"
    )
  }

  @Test func consentURLRefusesInputsThatCannotWork() async throws {
    let placeholder = try await Self.run(["consent-url", "--tenant", "<tenant id>", "--client-id", Fixtures.clientID])
    #expect(placeholder.status == 64 && placeholder.stdout.isEmpty)
    #expect(placeholder.stderr.contains("input.tenant-invalid"), "\(placeholder.stderr)")
    let notGUID = try await Self.run(["consent-url", "--tenant", Fixtures.tenant, "--client-id", "my-app"])
    #expect(notGUID.status == 64 && notGUID.stderr.contains("input.client-id-invalid"), "\(notGUID.stderr)")
    let landing = try await Self.run([
      "consent-url", "--tenant", Fixtures.tenant, "--client-id", Fixtures.clientID,
      "--redirect-uri", "https://businesscentral.dynamics.com/oauthlanding.htm",
    ])
    #expect(landing.status == 64 && landing.stderr.contains("input.redirect-uri"), "\(landing.stderr)")
    let http = try await Self.run([
      "consent-url", "--tenant", Fixtures.tenant, "--client-id", Fixtures.clientID, "--deployment", "onprem",
      "--redirect-uri", "http://bc.contoso.com/BC/OAuthLanding.htm",
    ])
    #expect(http.status == 64 && http.stderr.contains("input.redirect-uri-invalid"), "\(http.stderr)")
  }

  @Test func missingTenantOrClientExits64NamingTheFlags() async throws {
    let none = try await Self.run(["consent-url"])
    #expect(none.status == 64)
    #expect(none.stderr.contains("--tenant") && none.stderr.contains("--client-id"))
    let noClient = try await Self.run(["consent-url", "--tenant", Fixtures.tenant])
    #expect(
      noClient.status == 64 && noClient.stderr.contains("--client-id")
        && !noClient.stderr.contains("--tenant"))
    let export = try await Self.run(["export", "http", "--client-id", Fixtures.clientID])
    #expect(export.status == 64 && export.stderr.contains("--tenant"))
  }
}
