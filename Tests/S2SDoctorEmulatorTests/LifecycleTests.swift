import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import S2SDoctorEmulator

@Suite("Lifecycle")
struct LifecycleTests {
  @Test func refusesNonLoopbackHostsAndUnknownScenarios() {
    var options = EmulatorOptions()
    options.host = "0.0.0.0"
    #expect(throws: EmulatorError.self) { _ = try Emulator(options: options) }
    options.host = "127.0.0.1"
    options.defaultScenario = "no-such-scenario"
    #expect(throws: EmulatorError.self) { _ = try Emulator(options: options) }
  }

  @Test func plainHTTPWithDefaultScenarioAndCleanStop() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("emu-\(UUID().uuidString)")
    var options = EmulatorOptions()
    options.tls = false
    options.caFile = directory.appendingPathComponent("nested/ca.pem").path
    options.defaultScenario = "entra.secret-expired"
    let emulator = try Emulator(options: options)
    let info = try await emulator.start()
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect(info.baseURL.hasPrefix("http://127.0.0.1:"))
    #expect(info.caFile == nil)
    #expect(info.scenarios["network.tls-untrusted"] == nil)
    #expect(try info.jsonLine().contains(#""caFile":null"#))
    #expect(try JSONDecoder().decode(EmulatorInfo.self, from: Data(try info.jsonLine().utf8)).caFile == nil)
    let defaultScenario = try #require(info.scenarios["default"])
    #expect(defaultScenario.expect == "entra.secret-expired")
    let args = ScenarioArguments(defaultScenario.args)
    #expect(args["--client-id"] == World.defaultClientID)
    #expect(args["--ca-file"] == nil)

    let client = try TestHTTP.client(caFile: nil)
    let fetched = try await TestHTTP.postForm(
      "\(info.baseURL)/\(World.mainTenantID)/oauth2/v2.0/token",
      [
        ("grant_type", "client_credentials"), ("client_id", World.defaultClientID),
        ("client_secret", try #require(defaultScenario.env["AZURE_CLIENT_SECRET"])),
        ("scope", EntraTests.scope),
      ], client: client)
    try EntraTests.expectEntraError(fetched, status: 401, error: "invalid_client", code: 7000222)
    #expect(await MiniCheck.diagnose(defaultScenario) == "entra.secret-expired")
    // The certificate files sit next to the requested CA path.
    #expect(
      FileManager.default.fileExists(
        atPath: directory.appendingPathComponent("nested/s2s-doctor-emulator-client.pem").path))

    try await client.shutdown()
    await emulator.stop()
    await emulator.stop()
    let port = Int(info.baseURL.split(separator: ":").last ?? "") ?? 0
    await #expect(throws: (any Error).self) {
      _ = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port)
        .get()
    }
  }

  @Test func temporaryDirectoryIsRemovedAtStop() async throws {
    let emulator = try Emulator(options: EmulatorOptions())
    let info = try await emulator.start()
    let caFile = try #require(info.caFile)
    #expect(FileManager.default.fileExists(atPath: caFile))
    let pem = try String(contentsOfFile: caFile, encoding: .utf8)
    #expect(pem.hasPrefix("-----BEGIN CERTIFICATE-----"))
    await emulator.stop()
    #expect(!FileManager.default.fileExists(atPath: caFile))
  }

  @Test func abandonedTemporaryDirectoriesAreRemoved() async throws {
    let base = FileManager.default.temporaryDirectory
    func directory(_ owner: String?) throws -> URL {
      let url = base.appendingPathComponent("s2s-doctor-emulator-test-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
      if let owner { try Data(owner.utf8).write(to: url.appendingPathComponent("owner.pid")) }
      return url
    }
    let abandoned = try directory("2147483646")  // above any pid_max: no such process
    let alive = try directory(String(ProcessInfo.processInfo.processIdentifier))
    let unmarked = try directory(nil)
    defer { for url in [abandoned, alive, unmarked] { try? FileManager.default.removeItem(at: url) } }

    let emulator = try Emulator(options: EmulatorOptions())
    let info = try await emulator.start()
    let own = try #require(info.caFile.map { URL(fileURLWithPath: $0).deletingLastPathComponent() })
    #expect(FileManager.default.fileExists(atPath: own.appendingPathComponent("owner.pid").path))
    await emulator.stop()
    #expect(!FileManager.default.fileExists(atPath: abandoned.path))
    #expect(FileManager.default.fileExists(atPath: alive.path))
    #expect(FileManager.default.fileExists(atPath: unmarked.path))
  }

  @Test func everyConnectionHasNoDelay() async throws {
    _ = try await EntraTests.tokenURL()
    _ = try await TestHTTP.get(try await Shared.info().baseURL + "/common/discovery/keys")
    let counts = try await Shared.emulator().connections.snapshot
    #expect(counts.accepted > 0)
    #expect(counts.noDelay == counts.accepted)
  }

  /// A bounded smoke run of the hot paths (the real benchmark lives elsewhere): 200 token and
  /// 200 companies requests on one keep-alive connection.
  @Test func hotPathsAreQuick() async throws {
    let form = try await EntraTests.secretForm("ok")
    let url = try await EntraTests.tokenURL()
    let companies = try await BusinessCentralTests.companiesURL()
    let clock = ContinuousClock()
    var token = ""
    let elapsed = try await clock.measure {
      for _ in 0..<200 {
        let fetched = try await TestHTTP.postForm(url, form)
        token = fetched.json?["access_token"] as? String ?? ""
      }
      for _ in 0..<200 {
        let fetched = try await TestHTTP.get(companies, headers: BusinessCentralTests.bearer(token))
        #expect(fetched.status == 200)
      }
    }
    print("200 token + 200 companies requests: \(elapsed)")
    // Generous: this shared 2-core machine is often busy; the benchmark measures for real.
    #expect(elapsed < .seconds(60))
  }
}
