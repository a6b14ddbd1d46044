import Foundation
import Testing

@testable import S2SDoctorCLI
@testable import S2SDoctorCore
@testable import S2SDoctorEmulator
@testable import S2SDoctorLive

/// Checks are data: a folder names its probe, and the loader refuses what this build cannot run.
@Suite struct PluggableCheckTests {
  static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../Checks/examples").standardizedFileURL.path

  @Test func everyNamedProbeIsRegisteredAndEveryRegisteredProbeIsNamed() {
    #expect(Set(ProbeRegistry.probes.keys) == Set(Catalogue.probeNames))
    #expect(Set(ProbeRegistry.diagnoses.keys) == Set(HTTPFailureRule.diagnoses))
    for check in Catalogue.builtIn.checks {
      #expect(ProbeRegistry.probes[check.probe] != nil, "\(check.id) names probe \(check.probe)")
    }
  }

  /// A copy of the examples with one line of one check.yaml replaced.
  func examplesWith(_ file: String, replacing old: String, by new: String) throws -> String {
    let folder = NSTemporaryDirectory() + "s2s-checks-" + UUID().uuidString
    try FileManager.default.copyItem(atPath: Self.examples, toPath: folder)
    let path = "\(folder)/\(file)/check.yaml"
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text.contains(old), "fixture edit: \(old)")
    try text.replacingOccurrences(of: old, with: new).write(toFile: path, atomically: true, encoding: .utf8)
    return folder
  }

  func loadError(_ folder: String) -> CatalogueError? {
    do {
      _ = try Catalogue.builtIn.adding(checkFolders: [folder])
      return nil
    } catch { return error }
  }

  @Test(arguments: [
    ("probe: http", "probe: htp", "probe 'htp'"),
    ("scope: online", "scope: onlin", "scope 'onlin'"),
    ("  status: [200]", "  status: [200]\n  endpoint: bc-data", "endpoint 'bc-data'"),
    ("  status: [200]", "  status: [200]\n  method: POST", "only reads"),
    ("  url: \"{bcBase}/api", "  url: \"https://example.com/api", "{bcBase}"),
    ("  - bc.endpoint-not-found", "  - bc.endpont-not-found", "bc.endpont-not-found"),
    ("  status: [200]", "  status: [200]\n  colour: red", "colour"),
    ("  status: [200]", "  status: [2x]", "HTTP statuses"),
    (
      "  status: [200]",
      "  status: [200]\n  failures:\n    - status: [404]\n      reason: bc.endpont-not-found\n      words: w",
      "bc.endpont-not-found"
    ),
    (
      "  status: [200]", "  status: [200]\n  failures:\n    - status: [404]\n      reason: bc.endpoint-not-found",
      "words"
    ),
    (
      "  status: [200]",
      "  status: [200]\n  includes:\n    fact: nosuch\n    value: x\n    reason: bc.endpoint-not-found\n    words: w",
      "fact 'nosuch'"
    ),
    ("  status: [200]", "  status: [200]\n  role: API.ReadWrite.All", "withoutRole"),
    (
      "  status: [200]", "  status: [200]\n  failures:\n    - status: [401]\n      diagnosis: onprem-unauthorised",
      "diagnosis 'onprem-unauthorised'"
    ),
    (
      "  status: [200]",
      "  status: [200]\n  failures:\n    - status: [401]\n      endpoint: on-prem\n      diagnosis: onprem-unauthorized",
      "endpoint 'on-prem'"
    ),
    ("  status: [200]", "  status: [200]\n  answerOf: token.roles", "not among this check's requires"),
    ("  status: [200]", "  status: [200]\n  answerOf: bc.companies", "either its own url or answerOf"),
  ])
  func loaderRejectsWhatThisBuildCannotRunNamingFileAndLine(_ old: String, _ new: String, _ says: String) throws {
    let folder = try examplesWith("partner.custom-api", replacing: old, by: new)
    let error = try #require(loadError(folder))
    #expect(error.file.hasSuffix("partner.custom-api/check.yaml"))
    #expect(error.message.contains(says), "\(error)")
    if !says.contains("colour") { #expect(error.line > 0, "\(error)") }
  }

  /// The built-in folder goes through the same loader: an unknown probe or scope, and a claim rule
  /// that is not one test over one claim, are refused with the file and line.
  @Test(arguments: [
    ("token.clock", "probe: token.clock", "probe: token.clokc", "probe 'token.clokc'"),
    ("token.clock", "scope: always", "scope: sometimes", "scope 'sometimes'"),
    ("token.roles", "    - missing: roles", "    - mising: roles", "one test"),
    ("token.roles", "    - missing: roles", "    - missing: roles\n      present: roles", "one test"),
    ("token.roles", "    - missing: roles", "    - missing: {roles: [x]}", "names a claim"),
    ("token.roles", "      scope: automation", "      scope: automaton", "scope 'automaton'"),
    ("token.roles", "  passed: ", "  pased: ", "passed"),
  ])
  func builtInLoaderRejectsWhatThisBuildCannotRunToo(_ check: String, _ old: String, _ new: String, _ says: String)
    throws
  {
    let files = try Catalogue.files(in: URL(fileURLWithPath: Self.examples).deletingLastPathComponent()).map { file in
      file.path == "\(check)/check.yaml" ? (file.path, file.contents.replacingOccurrences(of: old, with: new)) : file
    }
    let edited = files.first { file in file.0 == "\(check)/check.yaml" }
    #expect(edited?.1.contains(new) == true, "fixture edit: \(old)")
    do {
      _ = try Catalogue.load(files: files)
      Issue.record("\(new) must be refused")
    } catch {
      #expect(error.file == "\(check)/check.yaml" && error.line > 0, "\(error)")
      #expect(error.message.contains(says), "\(error)")
    }
  }

  @Test func anAddedCheckCannotReplaceABuiltInOne() throws {
    let folder = try examplesWith("partner.custom-api", replacing: "id: partner.custom-api", by: "id: bc.companies")
    #expect(loadError(folder)?.message.contains("already exists") == true)
  }

  func run(_ scenario: String, checks folder: String) async throws -> RunReport {
    let info = try await SharedEmulator.shared.start()
    let scenario = try #require(info.scenarios[scenario])
    let options = try ConnectionOptions.parse(scenario.args)
    let (settings, secret) = try options.resolve(environment: scenario.env)
    let catalogue = try Catalogue.builtIn.adding(checkFolders: [folder])
    return await LiveCheckSuite(settings: settings, secret: secret, catalogue: catalogue).run()
  }

  @Test func theWorkedExamplesRunAgainstTheEmulator() async throws {
    let report = try await run("ok", checks: Self.examples)
    let custom = try #require(report.results.first { $0.check == "partner.custom-api" })
    #expect(custom.status == .passed, "\(custom)")
    #expect(custom.detail?.contains("1 row read, first 101001") == true, "\(custom.detail ?? "")")
    let odata = try #require(report.results.first { $0.check == "partner.odata-web-service" })
    #expect(odata.status == .passed, "\(odata)")
    #expect(odata.detail?.contains("CRONUS USA, Inc.") == true)
    let plain = try await runScenario(try #require(try await SharedEmulator.shared.start().scenarios["ok"]))
    #expect(report.results.count == plain.results.count + 2)
  }

  @Test func anUnpublishedServiceIsClassifiedThroughTheCatalogue() async throws {
    let folder = try examplesWith(
      "partner.odata-web-service", replacing: "Chart_of_Accounts?", by: "Customer_List?")
    let report = try await run("ok", checks: folder)
    let odata = try #require(report.results.first { $0.check == "partner.odata-web-service" })
    #expect(odata.status == .failed)
    #expect(odata.reason == "bc.endpoint-not-found")
  }

  @Test func anAddedCheckInheritsTheStateOfItsPrerequisites() async throws {
    // Without the app on BC's page the companies check fails; the added check is skipped, not run.
    let report = try await run("bc.app-not-accepted", checks: Self.examples)
    let custom = try #require(report.results.first { $0.check == "partner.custom-api" })
    #expect(custom.status == .skipped)
  }
}
