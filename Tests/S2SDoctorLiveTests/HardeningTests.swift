import Foundation
import S2SDoctorEmulator
import S2SDoctorTestSupport
import Testing

@testable import S2SDoctorCore

/// Runs the built `s2s-doctor` binary as a user would.
struct Binary {
  static let path: String = {
    // S2S_DOCTOR_BIN runs the suites against another build (the release binary, or an older one
    // to see that a test fails without its fix).
    if let override = ProcessInfo.processInfo.environment["S2S_DOCTOR_BIN"] { return override }
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("s2s-doctor").path
    if FileManager.default.isExecutableFile(atPath: beside) { return beside }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug/s2s-doctor").path
  }()

  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
    /// The child's own run time (start to exit).
    var seconds: Double = 0
    /// True when the child outlived its limit and was killed.
    var timedOut = false
  }

  static func run(
    _ args: [String], env: [String: String] = [:], stdin: String? = nil, home: String, limit: Double = 120,
    umask: String? = nil
  ) async throws -> Result {
    var environment = [
      "HOME": home, "XDG_CONFIG_HOME": home + "/config", "XDG_STATE_HOME": home + "/state", "PATH": "/usr/bin:/bin",
      "LANG": "C.UTF-8",
    ]
    for (k, v) in env { environment[k] = v }
    // A umask is set for the child alone (through sh): the test process's own umask is shared by
    // every test running beside this one.
    let (program, arguments) =
      umask.map { ("/bin/sh", ["-c", "umask \($0) && exec \"$0\" \"$@\"", path] + args) } ?? (path, args)
    let result = try await ProcessRun.run(
      program, arguments, environment: environment, stdin: Data((stdin ?? "").utf8), limit: limit)
    return Result(
      status: result.status, stdout: result.stdout, stderr: result.stderr, seconds: result.seconds,
      timedOut: result.timedOut)
  }
}

func temporaryHome() -> String {
  let path = NSTemporaryDirectory() + "s2s-home-" + UUID().uuidString
  try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// Every form in which a leaked secret could appear.
func leakForms(_ secret: String) -> [String] {
  var forms = [secret, Data(secret.utf8).base64EncodedString(), Redactor.formEncode(secret)]
  if let p = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) { forms.append(p) }
  return forms
}

/// All file contents under a folder (profiles, history, reports).
func allFiles(under folder: String) -> [(String, String)] {
  guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
  var result: [(String, String)] = []
  while let name = walker.nextObject() as? String {
    let full = folder + "/" + name
    if let data = FileManager.default.contents(atPath: full) {
      result.append((full, String(decoding: data, as: UTF8.self)))
    }
  }
  return result
}

@Suite struct HardeningTests {
  @Test func secretAndTokenAppearInNoOutputOrFile() async throws {
    let info = try await SharedEmulator.shared.start()
    let home = temporaryHome()
    var outputs: [(String, String)] = []
    for name in ["ok", "entra.secret-invalid", "bc.app-not-accepted"] {
      let scenario = try #require(info.scenarios[name])
      let env = scenario.env
      for format in ["console", "json", "markdown", "html", "junit", "text"] {
        let r = try await Binary.run(["check", "-v", "--format", format] + scenario.args, env: env, home: home)
        outputs.append(("\(name) \(format)", r.stdout + r.stderr))
      }
      let file = home + "/report-\(name).html"
      _ = try await Binary.run(["check", "--format", "html", "--output", file] + scenario.args, env: env, home: home)
      // Only the flags each command uses (the others are refused, exit 64).
      func only(_ flags: Set<String>) -> [String] {
        stride(from: 0, to: scenario.args.count - 1, by: 2).flatMap { i in
          flags.contains(scenario.args[i]) ? [scenario.args[i], scenario.args[i + 1]] : []
        }
      }
      let exported = try await Binary.run(
        ["export", "http"] + only(["--tenant", "--client-id", "--authority-host", "--bc-api-host"]), env: env,
        home: home)
      #expect(exported.status == 0, "\(exported.stderr)")
      outputs.append(("\(name) export http", exported.stdout + exported.stderr))
      let consent = try await Binary.run(
        ["consent-url"] + only(["--tenant", "--client-id", "--authority-host"]), env: env, home: home)
      #expect(consent.status == 0, "\(consent.stderr)")
      outputs.append(("\(name) consent-url", consent.stdout + consent.stderr))
    }
    // explain of a pasted log that contains the secret and a token.
    let ok = try #require(info.scenarios["ok"])
    let secret = try #require(ok.env["AZURE_CLIENT_SECRET"])
    let pasted =
      "POST /token client_secret=\(Redactor.formEncode(secret)) → 200 access_token eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2FwaS5idXNpbmVzc2NlbnRyYWwuZHluYW1pY3MuY29tIn0.c2lnbmF0dXJlc2lnbmF0dXJl then 401 Authentication_InvalidCredentials"
    for format in ["text", "json"] {
      let r = try await Binary.run(["explain", "-", "--format", format], env: ok.env, stdin: pasted, home: home)
      outputs.append(("explain \(format)", r.stdout + r.stderr))
    }
    let files = allFiles(under: home)
    for (label, text) in outputs + files {
      for form in leakForms(secret) {
        #expect(!text.contains(form), "\(label): the canary secret leaked (\(form.prefix(6))…)")
      }
      #expect(!text.contains("eyJ0eXAiOiJKV1Qi") && !text.contains("eyJhbGciOiJSUzI1NiIs"), "\(label): a token leaked")
    }
    #expect(outputs.count >= 20)
  }

  @Test func secretAsAFlagValueIsRefused() async throws {
    let home = temporaryHome()
    let r = try await Binary.run(
      [
        "check", "--tenant", "contoso.onmicrosoft.com", "--client-id", UUID().uuidString, "--client-secret",
        "CanarySecretValue+/=",
      ], home: home)
    #expect(r.status == 64)
    #expect(r.stderr.contains("--client-secret is refused"))
    #expect(!(r.stdout + r.stderr).contains("CanarySecretValue"))
  }

  @Test func thereIsNoInsecureMode() async throws {
    let r = try await Binary.run(["check", "--insecure"], home: temporaryHome())
    #expect(r.status == 64)
  }

  @Test func theToolStartsNoChildProcesses() async throws {
    // A secret can only reach a child's environment if there is a child: the sources start none,
    // except the browser of `--sign-in browser`, whose environment is an allow-list (the
    // end-to-end test in SetupCreateTests checks that the secret is not in it).
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    for (path, text) in allFiles(under: root.appendingPathComponent("Sources").path) where path.hasSuffix(".swift") {
      if path.hasSuffix("/S2SDoctorCLI/BrowserLauncher.swift") {
        #expect(text.components(separatedBy: "Process()").count == 2, "one child process, the browser")
        #expect(text.contains("process.environment = inherited.filter { allowedEnvironment.contains($0.key) }"))
        let list =
          text.components(separatedBy: "allowedEnvironment: Set<String> = [").last?
          .components(separatedBy: "]").first ?? "SECRET"
        for word in ["SECRET", "TOKEN", "PASSWORD", "PROXY", "AZURE"] {
          #expect(!list.uppercased().contains(word), "\(word) is allowed through to the browser")
        }
        continue
      }
      for needle in ["Process()", "posix_spawn(", "popen(", "system(", "execv"] {
        #expect(!text.contains(needle), "\(path) starts a child process (\(needle))")
      }
    }
  }

  @Test func killDuringProfileWritesNeverLeavesACorruptProfile() async throws {
    let home = temporaryHome()
    for attempt in 0..<6 {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: Binary.path)
      process.arguments = ["profile", "_stress", "--prefix", "p", "--count", "5", "--rounds", "400"]
      process.environment = ["HOME": home, "XDG_CONFIG_HOME": home + "/config"]
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      try await Task.sleep(for: .milliseconds(60 + attempt * 37))
      kill(process.processIdentifier, SIGKILL)
      await ProcessRun.waitForExit(process)
      for (path, text) in allFiles(under: home + "/config/s2s-doctor/profiles") where path.hasSuffix(".json") {
        let data = Data(text.utf8)
        #expect((try? JSONDecoder().decode(Profile.self, from: data)) != nil, "attempt \(attempt): \(path) is corrupt")
        let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600, "\(path) has mode \(String(mode ?? 0, radix: 8))")
      }
    }
  }

  @Test func concurrentRunsKeepEachOthersProfiles() async throws {
    let home = temporaryHome()
    let runs = ["a", "b", "c"].map { prefix -> Process in
      let process = Process()
      process.executableURL = URL(fileURLWithPath: Binary.path)
      process.arguments = ["profile", "_stress", "--prefix", prefix, "--count", "20"]
      process.environment = ["HOME": home, "XDG_CONFIG_HOME": home + "/config"]
      return process
    }
    for run in runs { try run.run() }
    for run in runs { await ProcessRun.waitForExit(run) }
    let names = ProfileStore(directory: home + "/config/s2s-doctor/profiles").list()
    #expect(names.count == 60, "\(names.count) profiles survived of 60")
  }
}

@Suite struct ParserFuzzTests {
  static let cases = Int(ProcessInfo.processInfo.environment["S2S_FUZZ_CASES"] ?? "") ?? 10_000

  @Test func inventoryParserSurvivesHostileInput() {
    var rng = SplitMix64Live(seed: 7)
    let seeds = [
      "name,tenant,clientId,environment,deployment,secretEnv,certificate\nA,contoso.onmicrosoft.com,11111111-2222-3333-4444-555555555555,prod;sandbox,online,S1,\n",
      #"[{"name":"a","tenant":"t","clientId":"c","environment":"p"},{"name":"b"}]"#,
      "name,tenant,clientId\n\"quoted, name\",\"t\"\"x\",c\r\n",
    ].map { Array($0.utf8) }
    for _ in 0..<Self.cases {
      var bytes = seeds[Int(rng.next() % UInt64(seeds.count))]
      for _ in 0..<Int(rng.next() % 6) where !bytes.isEmpty {
        let at = Int(rng.next() % UInt64(bytes.count))
        switch rng.next() % 4 {
        case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
        case 1: bytes.insert(contentsOf: Array("\",\n;\r[{".utf8).shuffled(using: &rng).prefix(3), at: at)
        case 2: bytes.removeSubrange(at..<min(bytes.count, at + Int(rng.next() % 20)))
        default: bytes = Array(bytes.prefix(at))
        }
      }
      let text = String(decoding: bytes, as: UTF8.self)
      if let parsed = try? Inventory.parse(text) {
        #expect(parsed.rows.allSatisfy { !$0.name.isEmpty && !$0.tenant.isEmpty && !$0.environments.isEmpty })
      }
    }
  }

  @Test func profileDecoderSurvivesHostileInput() async throws {
    var settings = ConnectionSettings()
    settings.tenant = "contoso.onmicrosoft.com"
    let seed = Array(try JSONEncoder().encode(Profile(name: "x", settings: settings)))
    var rng = SplitMix64Live(seed: 9)
    for _ in 0..<Self.cases {
      var bytes = seed
      for _ in 0..<Int(1 + rng.next() % 4) {
        let at = Int(rng.next() % UInt64(bytes.count))
        bytes[at] = UInt8(truncatingIfNeeded: rng.next())
      }
      if rng.next() % 3 == 0 { bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count)))) }
      _ = try? JSONDecoder().decode(Profile.self, from: Data(bytes))
    }
    #expect(throws: (any Error).self) { try JSONDecoder().decode(Profile.self, from: Data("{".utf8)) }
  }
}

struct SplitMix64Live: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
