import Foundation
import S2SDoctorEmulator
import Testing

@testable import S2SDoctorCLI
@testable import S2SDoctorCore
@testable import S2SDoctorLive
@testable import S2SDoctorReports

/// Builds an inventory from emulator scenarios: one row per scenario, its secret in its own
/// environment variable, as a partner would list customer tenants.
func inventory(from info: EmulatorInfoLike, names: [String]) -> (
  csv: String, env: [String: String], expect: [String: String]
) {
  var csv = "name,tenant,clientId,environment,deployment,secretEnv,certificate\n"
  var env: [String: String] = [:]
  var expect: [String: String] = [:]
  for (index, name) in names.enumerated() {
    guard let scenario = info.scenarios[name] else { continue }
    func arg(_ flag: String) -> String? {
      guard let i = scenario.args.firstIndex(of: flag), i + 1 < scenario.args.count else { return nil }
      return scenario.args[i + 1]
    }
    let variable = "S2S_SECRET_\(index)"
    env[variable] = scenario.env["AZURE_CLIENT_SECRET"]
    let certificate = arg("--certificate") ?? ""
    csv +=
      "\(name),\(arg("--tenant") ?? ""),\(arg("--client-id") ?? ""),\(arg("--environment") ?? "production"),online,\(variable),\(certificate)\n"
    expect[name] = scenario.expect
  }
  return (csv, env, expect)
}

typealias EmulatorInfoLike = S2SDoctorEmulator.EmulatorInfo

@Suite struct FleetTests {
  /// Scenarios whose flags a fleet row can express (same hosts, no extra flags).
  static let fleetScenarios = [
    "ok", "ok-domain", "ok-certificate", "entra.secret-invalid", "entra.app-not-found", "entra.secret-expired",
    "entra.tenant-not-found", "token.roles-missing", "token.api-role-missing", "token.audience-not-bc",
    "token.tenant-mismatch", "bc.app-not-accepted", "bc.permission-missing", "bc.no-companies-visible",
    "bc.environment-not-found", "bc.tenant-unavailable", "input.client-id-invalid",
  ]

  @Test func mixedInventoryRowsMatchTheirScenarios() async throws {
    let info = try await SharedEmulator.shared.start()
    let (csv, env, expect) = inventory(from: info, names: Self.fleetScenarios)
    let broken = csv + "missing,,\n" + "broken-row,\"unclosed\n"
    let parsed = try Inventory.parse(broken, file: "fleet.csv")
    #expect(parsed.rows.count == Self.fleetScenarios.count)
    #expect(parsed.problems.count == 2, "\(parsed.problems)")
    #expect(parsed.problems.allSatisfy { $0.line > Self.fleetScenarios.count })

    var base = ConnectionSettings()
    let ok = try #require(info.scenarios["ok"])
    base.authorityHost = info.baseURL
    base.bcAPIHost = info.baseURL
    base.caFile = ok.args[ok.args.firstIndex(of: "--ca-file")! + 1]
    let runner = FleetRunner(base: base, concurrency: 8, environment: env)
    let result = await runner.run(FleetRunner.targets(parsed.rows))
    #expect(!result.interrupted)
    for row in result.rows {
      let expected = try #require(expect[row.name])
      if expected == "passed" {
        #expect(row.status == .passed, "\(row.name): \(row.primaryReason ?? "") \(row.detail ?? "")")
      } else {
        #expect(row.primaryReason == expected, "\(row.name): \(row.primaryReason ?? "nil") \(row.detail ?? "")")
      }
    }
    let report = FleetReport(rows: result.rows, problems: parsed.problems, interrupted: false)
    #expect(report.exitStatus == .checkFailed)
    #expect(report.summary.malformedRows == 2)
  }

  @Test func oneTokenPerTenantAndClientAcrossEnvironments() async throws {
    let info = try await SharedEmulator.shared.start()
    let ok = try #require(info.scenarios["ok"])
    func arg(_ flag: String) -> String { ok.args[ok.args.firstIndex(of: flag)! + 1] }
    let csv = """
      name,tenant,clientId,environment,deployment,secretEnv,certificate
      contoso,\(arg("--tenant")),\(arg("--client-id")),production;production;production,online,S2S_SECRET_1,
      """
    let parsed = try Inventory.parse(csv)
    #expect(parsed.rows.first?.environments.count == 3)
    var base = ConnectionSettings()
    base.authorityHost = info.baseURL
    base.bcAPIHost = info.baseURL
    base.caFile = arg("--ca-file")
    let runner = FleetRunner(base: base, concurrency: 3, environment: ["S2S_SECRET_1": ok.env["AZURE_CLIENT_SECRET"]!])
    let result = await runner.run(FleetRunner.targets(parsed.rows))
    #expect(result.rows.count == 3)
    #expect(result.rows.allSatisfy { $0.status == .passed })
    #expect(result.tokenRequests == 1, "one token for one tenant and client")
  }

  @Test func secretEnvNamesOnlyTheToolsSecretVariables() throws {
    let header = "name,tenant,clientId,environment,deployment,secretEnv,certificate\n"
    let row = ",contoso.onmicrosoft.com,11111111-2222-3333-4444-555555555555,production,online,"
    let csv =
      header
      + [
        "AZURE_CLIENT_SECRET", "S2S_SECRET_CONTOSO_2", "", "AWS_SECRET_ACCESS_KEY", "HOME", "S2S_SECRET_",
        "s2s_secret_x",
      ]
      .enumerated().map { "r\($0)" + row + $1 + ",\n" }.joined()
    let parsed = try Inventory.parse(csv)
    #expect(parsed.rows.map(\.secretEnv) == ["AZURE_CLIENT_SECRET", "S2S_SECRET_CONTOSO_2", "AZURE_CLIENT_SECRET"])
    #expect(parsed.problems.count == 4)
    #expect(parsed.problems.allSatisfy { $0.message.contains("S2S_SECRET_<NAME>") })
  }

  @Test func fleetJSONHasTheDocumentedShape() throws {
    let rows = [
      FleetRow(
        name: "a", tenant: "t", clientId: "c", environment: "production", status: .failed,
        primaryReason: "entra.secret-invalid", detail: nil, line: 2)
    ]
    let report = FleetReport(rows: rows, problems: [InventoryProblem(line: 3, message: "x")], interrupted: false)
    let json = try #require(JSONValue.parse(S2SDoctorReports.FleetText.render(report, format: .json)))
    #expect(json["schemaVersion"]?.int == 1)
    let row = try #require(json["rows"]?.array?.first)
    for key in ["name", "tenant", "clientId", "environment", "status", "primaryReason"] {
      #expect(row[key] != nil, "row lacks \(key)")
    }
    #expect(json["summary"]?["failed"]?.int == 1)
  }

  @Test func fleetJSONWrittenRowByRowEqualsTheEncoderOutput() throws {
    let rows = (0..<5).map { i in
      FleetRow(
        name: "cust \"\(i)\" / é\n\u{1}", tenant: "t\(i)", clientId: "c",
        environment: i == 2 ? "prod;uat" : "production",
        status: i == 0 ? .passed : .failed, primaryReason: i == 0 ? nil : "entra.secret-invalid",
        detail: i == 3 ? "line 1\nline 2\t\\ [REDACTED]" : nil, line: i + 2)
    }
    let problems = [InventoryProblem(line: 9, message: "missing tenant"), InventoryProblem(line: 10, message: "x")]
    for (rows, problems) in [(rows, problems), (rows, []), (Array(rows.prefix(1)), []), ([], problems)] {
      let report = FleetReport(rows: rows, problems: problems, interrupted: rows.count == 1)
      let whole = String(decoding: try JSONEncoder.stable.encode(report), as: UTF8.self) + "\n"
      #expect(S2SDoctorReports.FleetText.json(report) == whole)
    }
  }
}
