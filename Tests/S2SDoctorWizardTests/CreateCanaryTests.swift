import Foundation
import S2SDoctorTestSupport
import Testing

@testable import S2SDoctorEmulator

/// The canary suite for the commands that change a registration: every administrator token,
/// app token and client secret the emulator hands out during `setup --create` (plan, refusals,
/// `--yes`, `--secret-out`), the checks, a saved profile, reports and `fix` is searched for in
/// all their output and in every file under HOME. The emulator records what it issued, so the
/// needles are the real values, not a pattern such as `eyJ`.
@Suite(.serialized) struct CreateCanaryTests {
  /// The forms a value could leak in: itself, and what is left of a token cut short or split
  /// (its payload and signature segments, and 16-character pieces of the signature).
  static func needles(_ entry: CredentialLedger.Entry) -> [String] {
    var forms = [entry.value, Data(entry.value.utf8).base64EncodedString()]
    if let encoded = entry.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) {
      forms.append(encoded)
    }
    switch entry.kind {
    case .secret:
      let characters = Array(entry.value)
      forms += stride(from: 0, through: characters.count - 8, by: 1).map { String(characters[$0..<$0 + 8]) }
    case .adminToken, .appToken:
      let segments = entry.value.split(separator: ".").map(String.init)
      forms += segments.dropFirst().filter { $0.count >= 16 }
      if segments.count == 3 {
        let signature = Array(segments[2])
        forms += stride(from: 0, through: signature.count - 16, by: 16).map { String(signature[$0..<$0 + 16]) }
      }
    }
    return forms
  }

  /// Every regular file under HOME with its text, except the `--secret-out` files (checked apart).
  static func files(_ sandbox: Sandbox, except skipped: Set<String>) -> [(String, String)] {
    ((FileManager.default.enumerator(atPath: sandbox.home)?.allObjects as? [String]) ?? []).compactMap { name in
      guard !skipped.contains(name), let data = FileManager.default.contents(atPath: sandbox.home + "/" + name)
      else { return nil }
      return (name, String(decoding: data, as: UTF8.self))
    }
  }

  /// Each leak: which credential (kind and position), where, and in which form.
  static func leaks(
    of issued: [CredentialLedger.Entry], in places: [(String, String)]
  ) -> [String] {
    var found: [String] = []
    for (index, entry) in issued.enumerated() {
      let forms = needles(entry)
      for (place, text) in places {
        if let needle = forms.first(where: text.contains) {
          found.append("\(entry.kind) #\(index) in \(place) (\(needle.count) characters)")
        }
      }
    }
    return found
  }

  @Test func noTokenOrSecretOfSetupCreateChecksProfileReportsOrFixLeaks() async throws {
    let scenario = try await SharedEmulator.scenario("setup.create")
    let app = "S2S Doctor canary " + UUID().uuidString.prefix(8)
    let arguments = scenario.args + ["--app-name", app]
    let before = try await SharedEmulator.issued().count
    let sandbox = Sandbox()

    // Without a terminal and without --yes (or without --secret-out) nothing is created.
    let refusals = try await onOwnThread { () throws -> [(String, PipedRun)] in
      [
        ("plan", try PipedRun.run(["setup", "--create", "--plan"] + arguments, environment: sandbox.environment)),
        (
          "plan (browser sign-in)",
          try PipedRun.run(
            ["setup", "--create", "--plan", "--sign-in", "browser", "--open-browser"] + arguments,
            environment: try SetupCreateTests.browser(sandbox, arguments: arguments))
        ),
        ("no --yes", try PipedRun.run(["setup", "--create"] + arguments, environment: sandbox.environment)),
        (
          "no --secret-out",
          try PipedRun.run(["setup", "--create", "--yes"] + arguments, environment: sandbox.environment)
        ),
      ]
    }
    #expect(refusals.map(\.1.status) == [0, 0, 64, 64], "\(refusals.map(\.1.stderr))")
    let afterRefusals = try await SharedEmulator.issued().dropFirst(before)
    #expect(!afterRefusals.contains { $0.kind == .secret }, "a refused run created a secret")
    #expect(afterRefusals.contains { $0.kind == .adminToken }, "the plan signed the administrator in")

    // Created for real, then checked, saved as a profile and reported with the new secret.
    let runs = try await onOwnThread { () throws -> [(String, PipedRun)] in
      var runs: [(String, PipedRun)] = []
      let created = try PipedRun.run(
        ["setup", "--create", "--yes", "--secret-out", sandbox.home + "/first.secret"] + arguments,
        environment: sandbox.environment, timeout: 120)
      runs.append(("setup --create --yes", created))
      let secret = try String(contentsOfFile: sandbox.home + "/first.secret", encoding: .utf8)
        .trimmingCharacters(in: .newlines)
      let clientID = try #require(
        created.stderr.split(separator: "\n").first { $0.hasPrefix("Application (client) ID: ") }.map {
          String($0.dropFirst("Application (client) ID: ".count))
        })
      var environment = sandbox.environment
      environment["AZURE_CLIENT_SECRET"] = secret
      let app = ["--client-id", clientID] + scenario.args
      for format in ["json", "html", "markdown", "junit", "console"] {
        runs.append(
          (
            "check \(format)",
            try PipedRun.run(
              ["check", "--verbose", "--format", format, "--output", sandbox.home + "/report." + format] + app,
              environment: environment)
          ))
      }
      runs.append(("check -v", try PipedRun.run(["check", "--verbose"] + app, environment: environment)))
      try
        #"{"deployment":"online","credential":"secret","permissions":["API.ReadWrite.All"],"redirectUri":"none","saveProfile":true,"runChecks":true}"#
        .write(toFile: sandbox.home + "/answers.json", atomically: true, encoding: .utf8)
      runs.append(
        (
          "setup --answers",
          try PipedRun.run(
            ["setup", "--answers", sandbox.home + "/answers.json", "--profile", "canary"] + app,
            environment: environment)
        ))
      // fix: an expiry window longer than the secret's life makes it "expiring", so fix adds one.
      let fix = app + ["--expiry-warning", "400"]
      runs.append(("fix --plan", try PipedRun.run(["fix", "--plan"] + fix, environment: environment)))
      runs.append(("fix (no --yes)", try PipedRun.run(["fix"] + fix, environment: environment)))
      runs.append(
        (
          "fix --yes",
          try PipedRun.run(
            ["fix", "--yes", "--secret-out", sandbox.home + "/second.secret"] + fix, environment: environment,
            timeout: 120)
        ))
      return runs
    }
    let status = Dictionary(runs.map { ($0.0, $0.1.status) }, uniquingKeysWith: { $1 })
    #expect(status["setup --create --yes"] == 0, "\(runs[0].1.stdout)\n\(runs[0].1.stderr)")
    #expect(status["setup --answers"] == 0, "\(runs.first { $0.0 == "setup --answers" }?.1.stderr ?? "")")
    #expect(status["fix (no --yes)"] == 64)
    #expect(status["fix --yes"] == 0, "\(runs.last?.1.stdout ?? "")\n\(runs.last?.1.stderr ?? "")")
    #expect(FileManager.default.fileExists(atPath: sandbox.profilesDirectory + "/canary.json"))
    #expect(FileManager.default.fileExists(atPath: sandbox.home + "/report.html"))

    // What the emulator handed out meanwhile: the administrator's, the app's and two secrets.
    let issued = Array(try await SharedEmulator.issued().dropFirst(before))
    #expect(issued.contains { $0.kind == .adminToken })
    #expect(issued.contains { $0.kind == .appToken })
    let secrets = issued.filter { $0.kind == .secret }.map(\.value)
    // The secrets are in their --secret-out files and nowhere else; nothing is anywhere else.
    let written = try ["first.secret", "second.secret"].map {
      try String(contentsOfFile: sandbox.home + "/" + $0, encoding: .utf8)
    }
    #expect(Set(written).count == 2, "setup --create and fix each added a secret")
    for text in written {
      #expect(secrets.contains { text == $0 + "\n" }, "a --secret-out file holds one issued secret, and only it")
    }
    var places: [(String, String)] = (refusals + runs).flatMap { name, run in
      [("stdout of \(name)", run.stdout), ("stderr of \(name)", run.stderr)]
    }
    places += Self.files(sandbox, except: ["first.secret", "second.secret"]).map { ("file \($0.0)", $0.1) }
    #expect(places.count > 30)
    let leaks = Self.leaks(of: issued, in: places)
    #expect(leaks.isEmpty, "\(leaks)")
  }
}
