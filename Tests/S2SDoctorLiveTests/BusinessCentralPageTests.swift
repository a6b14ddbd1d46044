import Foundation
import Testing

@testable import S2SDoctorCLI
@testable import S2SDoctorCore
@testable import S2SDoctorLive
@testable import S2SDoctorReports

/// Task 2 and partners: the failures a Business Central administrator mends carry the
/// environment's *Microsoft Entra Applications* page and its checklist; fleet rows carry the
/// fix, who fixes it and the customer's admin consent URL.
@Suite struct BusinessCentralPageTests {
  static func argument(_ flag: String, _ args: [String]) -> String? {
    guard let index = args.firstIndex(of: flag), index + 1 < args.count else { return nil }
    return args[index + 1]
  }

  @Test func everyBusinessCentralSideFailureLinksItsEnvironmentsPage() async throws {
    let info = try await SharedEmulator.shared.start()
    let names = info.scenarios.filter { EntraApplicationsPage.reasons.contains($0.value.expect) }.keys.sorted()
    #expect(names.count >= 3, "\(names)")
    for name in names {
      let scenario = try #require(info.scenarios[name])
      let report = try await runScenario(scenario)
      let primary = try #require(report.primary)
      #expect(primary.reason == scenario.expect)
      let page = try #require(primary.entraApplicationsPage, "\(name) has no Business Central page")
      let tenant = try #require(Self.argument("--tenant", scenario.args))
      let environment = Self.argument("--environment", scenario.args) ?? "production"
      #expect(page.url == "https://businesscentral.dynamics.com/\(tenant)/\(environment)/?page=9860")
      let clientID = try #require(Self.argument("--client-id", scenario.args))
      let checklist = page.checklist.joined(separator: "\n")
      for needle in [
        clientID, "Description", "partner", "Enabled", "D365 AUTOMATION", "EXTEN. MGT. - ADMIN", "never SUPER",
        "Grant Consent",
      ] {
        #expect(checklist.contains(needle), "\(name): the checklist lacks \(needle)")
      }
      let console = ConsoleText.report(report, verbose: false, color: false, width: 200)
      #expect(console.contains("→ In Business Central: " + page.url), "\(name)")
      #expect(console.contains("☐ New, then Client ID: \(clientID)."))
      let json = try #require(JSONValue.parse(String(decoding: try JSONEncoder.stable.encode(report), as: UTF8.self)))
      let result = json["results"]?.array?.first { $0["reason"]?.string == scenario.expect }
      #expect(result?["entraApplicationsPage"]?["url"]?.string == page.url)
    }
  }

  @Test func otherFailuresAndOnPremisesHaveNoPage() async throws {
    let info = try await SharedEmulator.shared.start()
    for name in ["entra.secret-invalid", "token.roles-missing", "ok"] {
      let other = try #require(info.scenarios[name])
      let report = try await runScenario(other)
      #expect(report.results.allSatisfy { $0.entraApplicationsPage == nil }, "\(name)")
    }
    // The same BC-side failure on-premises: no shared web client address, so no link.
    let target = TargetInfo(
      tenant: "contoso.onmicrosoft.com", clientId: "11111111-2222-3333-4444-555555555555", environment: nil,
      company: nil, deployment: "onprem", authorityHost: "https://login.microsoftonline.com", bcApiHost: nil,
      bcUrl: "https://bc.contoso.com/BC", credential: "none")
    let scenario = try #require(info.scenarios["bc.app-not-accepted"])
    var failed = try #require(try await runScenario(scenario).primary)
    failed.entraApplicationsPage = nil
    let report = RunReport(
      tool: .init(version: "t", platform: "p"), target: target, startedAt: Date(), finishedAt: Date(), results: [failed]
    )
    #expect(report.results[0].entraApplicationsPage == nil)
  }

  @Test func fleetRowsCarryTheFixWhoFixesItAndTheConsentURL() async throws {
    let info = try await SharedEmulator.shared.start()
    let names = ["ok", "bc.app-not-accepted", "entra.secret-invalid", "token.roles-missing"]
    let (csv, env, _) = inventory(from: info, names: names)
    let parsed = try Inventory.parse(csv, file: "fleet.csv")
    var base = ConnectionSettings()
    let ok = try #require(info.scenarios["ok"])
    base.authorityHost = info.baseURL
    base.bcAPIHost = info.baseURL
    base.caFile = Self.argument("--ca-file", ok.args)
    let result = await FleetRunner(base: base, concurrency: 2, environment: env).run(FleetRunner.targets(parsed.rows))
    let rows = Dictionary(uniqueKeysWithValues: result.rows.map { ($0.name, $0) })

    for row in result.rows {
      #expect(row.consentUrl == "\(info.baseURL)/\(row.tenant)/adminconsent?client_id=\(row.clientId)", "\(row.name)")
      if let reason = row.primaryReason {
        let definition = try #require(Catalogue.builtIn.reason(reason))
        #expect(row.fix == definition.fix && row.whoFixes == definition.whoFixes.rawValue, "\(row.name)")
      }
    }
    #expect(rows["ok"]?.fix == nil && rows["ok"]?.whoFixes == nil)
    let bc = try #require(rows["bc.app-not-accepted"])
    #expect(bc.whoFixes == "bc-admin")
    #expect(bc.bcPage == "https://businesscentral.dynamics.com/\(bc.tenant)/production/?page=9860")
    #expect(rows["entra.secret-invalid"]?.bcPage == nil)

    let report = FleetReport(rows: result.rows, problems: [], interrupted: false)
    let json = try #require(JSONValue.parse(FleetText.render(report, format: .json)))
    #expect(json["schemaVersion"]?.int == 1)
    let jsonRow = try #require(json["rows"]?.array?.first { $0["name"]?.string == "bc.app-not-accepted" })
    for key in [
      "name", "tenant", "clientId", "environment", "status", "primaryReason", "fix", "whoFixes", "consentUrl", "bcPage",
    ] {
      #expect(jsonRow[key] != nil, "the JSON row lacks \(key)")
    }

    let table = FleetText.render(report, format: .table)
    #expect(table.contains("What to fix, per customer:"))
    #expect(table.contains("bc.app-not-accepted / production: bc.app-not-accepted"))
    #expect(table.contains("  Who fixes it: Business Central administrator"))
    #expect(table.contains("  Admin consent: \(bc.consentUrl ?? "-")"))
    #expect(table.contains("  In Business Central: \(bc.bcPage ?? "-")"))

    let lines = FleetText.render(report, format: .csv).split(separator: "\n").map(String.init)
    #expect(
      lines.first == "name,tenant,clientId,environment,status,primaryReason,detail,fix,whoFixes,consentUrl,bcPage")
    let csvRow = try #require(lines.first { $0.hasPrefix("bc.app-not-accepted,") })
    #expect(csvRow.hasSuffix(",bc-admin,\(bc.consentUrl ?? "-"),\(bc.bcPage ?? "-")"), "\(csvRow)")
  }
}
