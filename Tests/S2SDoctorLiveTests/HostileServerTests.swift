import Foundation
import S2SDoctorTestSupport
import Testing

@testable import S2SDoctorCore

/// The hostile server's modes, each against the real binary: every run ends in a named reason
/// within `--timeout` + 5 s, and the canary secret appears in no output or file.
@Suite(.serialized) struct HostileServerTests {
  static let canary = "Cnry~8Q+z/Kd.Xw_4Lm-P=7vT"
  static let client = "5c2a7d1e-3b4f-4a6e-9d8c-7f1e2d3c4b5a"

  struct Run {
    var result: Binary.Result
    var seconds: Double
    var home: String
    var output: String { result.stdout + result.stderr }
  }

  /// `check` against the server (authority and API host), with the canary secret.
  func check(
    _ server: HostileServer, timeout: Int = 2, extra: [String] = [], env: [String: String] = [:]
  ) async throws -> Run {
    let home = temporaryHome()
    let result = try await Binary.run(
      [
        "check", "--tenant", "contoso.onmicrosoft.com", "--client-id", Self.client, "--authority-host", server.url,
        "--bc-api-host", server.url, "--ca-file", server.caFile, "--timeout", String(timeout), "--format", "json",
      ] + extra, env: ["AZURE_CLIENT_SECRET": Self.canary].merging(env) { $1 }, home: home, limit: 30)
    return Run(result: result, seconds: result.seconds, home: home)
  }

  /// Every form of the canary, and every 8-character piece of it (a prefix left by truncation).
  static func leaks(in text: String) -> [String] {
    let chars = Array(canary)
    let pieces = (0...(chars.count - 8)).map { String(chars[$0..<$0 + 8]) }
    return (leakForms(canary) + pieces).filter { text.contains($0) }
  }

  @Test(arguments: [HostileServer.Mode.dripBody, .endlessBody, .dripToken])
  func aBodyThatNeverEndsEndsInATimeout(mode: HostileServer.Mode) async throws {
    let server = try HostileServer(mode)
    defer { server.stop() }
    let run = try await check(server, timeout: 2)
    #expect(run.result.status == 2, "\(mode): \(run.output)")
    #expect(run.output.contains("network.timeout"), "\(mode): \(run.output)")
    // The limit is kept by the client: it hangs up on the answer that never ends within
    // --timeout, as the server sees it (a margin for a loaded machine's timers).
    let held = server.streamsHeld
    #expect(!held.isEmpty, "\(mode): the server sent no never-ending answer")
    for seconds in held {
      #expect(
        seconds.map { $0 < 2 + 3 } == true, "\(mode): the client held the answer \(String(describing: seconds)) s")
    }
    // And the whole run ends: well within the test's 30 s limit even on a loaded machine (a
    // run that waited for the body would be killed at the limit).
    #expect(!run.result.timedOut && run.seconds < 20, "\(mode): took \(run.seconds) s with --timeout 2")
  }

  @Test func aThrottledTokenRequestIsEntraThrottled() async throws {
    let server = try HostileServer(.throttled)
    defer { server.stop() }
    let run = try await check(server)
    #expect(run.result.status == 2, "\(run.output)")
    let report = try #require(JSONValue.parse(Data(run.result.stdout.utf8)))
    let token = report["results"]?.array?.first { $0["check"]?.string == "entra.token" }
    #expect(token?["reason"]?.string == "entra.throttled", "\(run.result.stdout)")
    #expect(token?["status"]?.string == "could-not-test")
  }

  /// Issue 14, point 10: a 429 with a short Retry-After (≤ 5 s) is retried once, also in `check`.
  @Test func aShortRetryAfterIsRetriedOnce() async throws {
    let server = try HostileServer(.throttledOnce)
    defer { server.stop() }
    let run = try await check(server)
    let report = try #require(JSONValue.parse(Data(run.result.stdout.utf8)))
    let token = report["results"]?.array?.first { $0["check"]?.string == "entra.token" }
    #expect(token?["reason"]?.string == "entra.secret-invalid", "\(run.result.stdout)")
    #expect(server.requests.filter { $0.path.contains("/token") }.count == 2)
    // A long one is not waited for in check (it would outlast --timeout): one request only.
    let long = try HostileServer(.throttled)
    defer { long.stop() }
    _ = try await check(long)
    #expect(long.requests.filter { $0.path.contains("/token") }.count == 1)
  }

  /// Issue 14, point 12: in `fleet` a Retry-After is waited once per host, not once per row.
  /// Six registrations (six clients, so six token requests) on one throttled authority, two at
  /// a time: the first answers hold the host back, the rows waiting behind them send nothing
  /// until it is free, and each throttled request is retried once. A Retry-After of 6 s is
  /// longer than `check` waits, so without the host gate the first rows end throttled.
  @Test func fleetWaitsForARetryAfterOncePerHost() async throws {
    let server = try HostileServer(.throttledWindow)
    defer { server.stop() }
    let home = temporaryHome()
    let rows = (1...6).map { index in
      "row\(index),contoso.onmicrosoft.com,5c2a7d1e-3b4f-4a6e-9d8c-7f1e2d3c4b5\(index),production,online,,"
    }
    let inventory = home + "/fleet.csv"
    try (["name,tenant,clientId,environment,deployment,secretEnv,certificate"] + rows).joined(separator: "\n")
      .write(toFile: inventory, atomically: true, encoding: .utf8)
    let result = try await Binary.run(
      [
        "fleet", inventory, "--authority-host", server.url, "--bc-api-host", server.url, "--ca-file",
        server.caFile, "--timeout", "2", "--concurrency", "2", "--format", "json",
      ], env: ["AZURE_CLIENT_SECRET": Self.canary], home: home, limit: 60)
    let seconds = result.seconds
    let report = try #require(JSONValue.parse(Data(result.stdout.utf8)), "\(result.stderr)")
    let reasons = (report["rows"]?.array ?? []).map { $0["primaryReason"]?.string ?? "none" }
    #expect(reasons.count == 6, "\(result.stdout)")
    #expect(reasons.allSatisfy { $0 == "entra.secret-invalid" }, "\(reasons)")
    let throttled = server.throttledAnswers.load(ordering: .relaxed)
    #expect(throttled >= 1 && throttled <= 2, "\(throttled) answers were 429: rows did not wait behind the host")
    let tokenRequests = server.requests.filter { $0.path.contains("/token") }.count
    #expect(tokenRequests == 6 + throttled, "\(tokenRequests) token requests")
    // One 6 s wait for the host, not one per row: from the first token request to the last,
    // as the server saw them (a loaded machine's process start-up is not in it).
    let times = server.requests.filter { $0.path.contains("/token") }.map(\.at)
    let span = (times.max() ?? .distantPast).timeIntervalSince(times.min() ?? .distantPast)
    #expect(span >= 5 && span < 6 + 4, "the token requests spanned \(span) s for one 6 s wait")
    #expect(seconds < 30, "took \(seconds) s")
    #expect(HostileServerTests.leaks(in: result.stdout + result.stderr).isEmpty)
  }

  @Test(arguments: [HostileServer.Mode.echoSecretJSON, .echoSecretText])
  func aServerEchoingTheSecretDoesNotLeakIt(mode: HostileServer.Mode) async throws {
    let server = try HostileServer(mode)
    defer { server.stop() }
    var texts: [(String, String)] = []
    for format in ["json", "console", "markdown", "html", "text", "junit"] {
      let run = try await check(server, extra: ["--format", format, "-v"])
      #expect(run.result.status == 1 || run.result.status == 2, "\(mode) \(format): \(run.output)")
      texts.append(("\(format) output", run.output))
      texts += allFiles(under: run.home)
    }
    let sent = server.requests.filter { $0.body.contains("client_secret=") }
    #expect(!sent.isEmpty, "the server never saw the token request, so nothing was echoed")
    for (label, text) in texts {
      #expect(Self.leaks(in: text).isEmpty, "\(mode) \(label): \(Self.leaks(in: text))")
    }
  }

  @Test func plainHTTPHostsAreRefusedBeforeAnythingIsSent() async throws {
    let plain = try HostileServer(.plainHTTP)
    defer { plain.stop() }
    let base = ["check", "--tenant", "contoso.onmicrosoft.com", "--client-id", Self.client, "--timeout", "2"]
    let cases: [(args: [String], env: [String: String], names: String)] = [
      (["--authority-host", plain.url], [:], "--authority-host"),
      ([], ["AZURE_AUTHORITY_HOST": plain.url], "AZURE_AUTHORITY_HOST"),
      (["--bc-api-host", plain.url], [:], "--bc-api-host"),
      (["--authority-host", "HTTP://127.0.0.1:\(plain.port)"], [:], "--authority-host"),
    ]
    for item in cases {
      let r = try await Binary.run(
        base + item.args, env: ["AZURE_CLIENT_SECRET": Self.canary].merging(item.env) { $1 }, home: temporaryHome())
      #expect(r.status == 64, "\(item.names): \(r.status) \(r.stderr)")
      #expect(r.stderr.contains(item.names) && r.stderr.contains("only https"), "\(r.stderr)")
    }
    #expect(plain.requests.isEmpty, "a request reached the http:// server: \(plain.requests.map(\.path))")
  }

  @Test func onPremisesHTTPNeedsItsOwnFlagAndIsAWarning() async throws {
    let plain = try HostileServer(.plainHTTP)
    let entra = try HostileServer(.throttled)
    defer {
      plain.stop()
      entra.stop()
    }
    let args = [
      "check", "--tenant", "contoso.onmicrosoft.com", "--client-id", Self.client, "--authority-host", entra.url,
      "--ca-file", entra.caFile, "--bc-url", plain.url + "/BC", "--timeout", "2", "--format", "json",
    ]
    let refused = try await check(entra, extra: [])  // warm-up: the authority alone works
    #expect(refused.result.status == 2)
    let without = try await Binary.run(args, env: ["AZURE_CLIENT_SECRET": Self.canary], home: temporaryHome())
    let report = try #require(JSONValue.parse(Data(without.stdout.utf8)), "\(without.stderr)")
    let target = report["results"]?.array?.first { $0["check"]?.string == "input.target" }
    #expect(target?["reason"]?.string == "input.server-url-invalid", "\(without.stdout)")
    #expect(target?["detail"]?.string?.contains("--allow-http-bc-url") == true)
    let with = try await Binary.run(
      args + ["--allow-http-bc-url"], env: ["AZURE_CLIENT_SECRET": Self.canary], home: temporaryHome())
    let allowed = try #require(JSONValue.parse(Data(with.stdout.utf8)), "\(with.stderr)")
    let warned = allowed["results"]?.array?.first { $0["check"]?.string == "input.target" }
    #expect(warned?["status"]?.string == "warning", "\(with.stdout)")
    #expect(warned?["reason"]?.string == "network.cleartext-http")
    // The flag is for an on-premises URL only.
    let online = try await Binary.run(
      ["check", "--tenant", "contoso.onmicrosoft.com", "--client-id", Self.client, "--allow-http-bc-url"],
      env: ["AZURE_CLIENT_SECRET": Self.canary], home: temporaryHome())
    #expect(online.status == 64)
  }

  @Test func inputIsCapped() async throws {
    // 65 MB to explain, from a file and on standard input: refused with a message.
    let home = temporaryHome()
    let big = home + "/big.log"
    try Data(repeating: UInt8(ascii: "x"), count: (64 << 20) + 1024).write(to: URL(fileURLWithPath: big))
    let fromFile = try await Binary.run(["explain", "--from", big], home: home)
    #expect(fromFile.status == 64, "\(fromFile.status)")
    #expect(fromFile.stderr.contains("larger than 64 MB"), "\(fromFile.stderr)")
    let (status, message) = try await onOwnThread {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: Binary.path)
      process.arguments = ["explain", "-"]
      process.environment = ["HOME": home, "PATH": "/usr/bin:/bin"]
      process.standardInput = FileHandle(forReadingAtPath: big)
      let err = Pipe()
      process.standardError = err
      process.standardOutput = FileHandle.nullDevice
      try process.run()
      let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      return (process.terminationStatus, message)
    }
    #expect(status == 64)
    #expect(message.contains("larger than 64 MB"), "\(message)")
  }

  @Test func aSecretFileFromWindowsWorksAndInvisibleCharactersAreNamed() async throws {
    let server = try HostileServer(.throttled)
    defer { server.stop() }
    let home = temporaryHome()
    // Notepad: UTF-8 with BOM and CRLF. Only the token endpoint can tell that it was sent as is.
    let windows = home + "/secret-windows.txt"
    try Data(("\u{FEFF}" + Self.canary + "\r\n").utf8).write(to: URL(fileURLWithPath: windows))
    let ok = try await check(server, extra: ["--client-secret-file", windows], env: ["AZURE_CLIENT_SECRET": ""])
    let sent = server.requests.filter { $0.method == "POST" }
    #expect(sent.count == 1, "\(ok.output)")
    #expect(sent.first.flatMap { HostileServer.formValue("client_secret", in: $0.body) } == Self.canary)
    // A zero-width space inside: named by input.credential, and no token request is made.
    let damaged = home + "/secret-damaged.txt"
    try Data((String(Self.canary.prefix(5)) + "\u{200B}" + Self.canary.dropFirst(5) + "\n").utf8)
      .write(to: URL(fileURLWithPath: damaged))
    let before = server.requests.filter { $0.method == "POST" }.count
    let bad = try await check(server, extra: ["--client-secret-file", damaged], env: ["AZURE_CLIENT_SECRET": ""])
    let report = try #require(JSONValue.parse(Data(bad.result.stdout.utf8)), "\(bad.output)")
    let credential = report["results"]?.array?.first { $0["check"]?.string == "input.credential" }
    #expect(credential?["reason"]?.string == "input.secret-has-stray-characters", "\(bad.result.stdout)")
    #expect(credential?["detail"]?.string?.contains("U+200B") == true)
    #expect(server.requests.filter { $0.method == "POST" }.count == before, "a token was requested anyway")
  }
}

/// Issue 14, point 10 (in part): usage errors that used to run or pass.
@Suite struct UsageErrorTests {
  @Test func checkWithNoTargetPointsToSetup() async throws {
    let r = try await Binary.run(["check"], home: temporaryHome())
    #expect(r.status == 64, "\(r.status) \(r.stdout)")
    #expect(r.stderr.contains("s2s-doctor setup"), "\(r.stderr)")
    // The subcommand's usage, not the root's.
    #expect(r.stderr.contains("Usage: s2s-doctor check <options>"), "\(r.stderr)")
    #expect(!r.stderr.contains("Usage: s2s-doctor <subcommand>"), "\(r.stderr)")
  }

  @Test(arguments: ["check", "setup", "fleet", "export http", "profile delete"])
  func helpShowsExamples(_ command: String) async throws {
    let r = try await Binary.run(command.split(separator: " ").map(String.init) + ["--help"], home: temporaryHome())
    #expect(r.status == 0)
    #expect(r.stdout.contains("Example"), "\(r.stdout)")
    #expect(r.stdout.contains("  s2s-doctor \(command) "), "\(r.stdout)")
  }

  @Test func profileDeleteRemovesTheProfile() async throws {
    let home = temporaryHome()
    let folder = home + "/config/s2s-doctor/profiles"
    try FileManager.default.createDirectory(
      atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    chmod(home + "/config/s2s-doctor", 0o700)
    let file = folder + "/contoso.json"
    FileManager.default.createFile(
      atPath: file, contents: Data(#"{"name":"contoso","settings":{"tenant":"contoso.onmicrosoft.com"}}"#.utf8),
      attributes: [.posixPermissions: 0o600])
    #expect(try await Binary.run(["profile", "list"], home: home).stdout.contains("contoso"))
    let deleted = try await Binary.run(["profile", "delete", "contoso"], home: home)
    #expect(deleted.status == 0, "\(deleted.stderr)")
    #expect(!FileManager.default.fileExists(atPath: file))
    let again = try await Binary.run(["profile", "delete", "contoso"], home: home)
    #expect(again.status == 64)
    #expect(again.stderr.contains("No profile named 'contoso'"), "\(again.stderr)")
    #expect(again.stderr.contains("Usage: s2s-doctor profile delete"), "\(again.stderr)")
  }

  @Test func demoWithAnUnknownScenarioIsAUsageError() async throws {
    let r = try await Binary.run(["demo", "--scenarios", "nosuch"], home: temporaryHome())
    #expect(r.status == 64, "\(r.status) \(r.stderr)")
    #expect(r.stderr.contains("No scenario named 'nosuch'"), "\(r.stderr)")
    #expect(r.stderr.contains("Usage: s2s-doctor demo"), "\(r.stderr)")
  }
}
