import Foundation
import Testing

@testable import S2SDoctorCore

struct ExplainFixture: CustomTestStringConvertible, Sendable {
  var file: String
  var expect: String
  var text: String
  var status: Int?
  var endpoint: String?
  var testDescription: String { file }

  static let all: [ExplainFixture] = {
    let folder = fixturesFolder("explain")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.sorted().compactMap { name in
      guard name.hasSuffix(".txt"),
        let raw = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
      else { return nil }
      var text = raw
      var status: Int?
      var endpoint: String?
      if raw.hasPrefix("#! ") {
        let header = raw.prefix { $0 != "\n" }
        text = String(raw.dropFirst(header.count + 1))
        for pair in header.dropFirst(3).split(separator: " ") {
          let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
          if kv.count == 2 && kv[0] == "status" { status = Int(kv[1]) }
          if kv.count == 2 && kv[0] == "endpoint" { endpoint = kv[1] }
        }
      }
      let expect = String(name.dropLast(4)).components(separatedBy: "--")[0]
      return ExplainFixture(file: name, expect: expect, text: text, status: status, endpoint: endpoint)
    }
  }()
}

@Suite struct ExplainTests {
  let explainer = Explainer()

  @Test(arguments: ExplainFixture.all)
  func fixtureYieldsItsReason(_ fixture: ExplainFixture) {
    let result = explainer.explain(fixture.text, status: fixture.status, endpoint: fixture.endpoint)
    if fixture.expect == "none" {
      #expect(result.diagnoses.isEmpty, "\(fixture.file): expected nothing, got \(result.diagnoses.map(\.reason))")
      #expect(result.exitStatus == .nothingToDiagnose)
    } else {
      #expect(
        result.diagnoses.first?.reason == fixture.expect,
        "\(fixture.file): got \(result.diagnoses.map { "\($0.reason)(\($0.matched))" })")
    }
  }

  @Test func fixturesExist() { #expect(ExplainFixture.all.count >= 100) }

  /// Every AADSTS code and BC error code the spec lists: the bare code gives the reason.
  @Test(arguments: CatalogueTests.specReasons)
  func bareCodesOfTheSpecMapToTheirReason(_ id: String) throws {
    let spec = try String(
      contentsOf: repositoryRoot.deletingLastPathComponent().appendingPathComponent(
        "shared/spec/failure-reasons.md"), encoding: .utf8)
    guard let line = spec.split(separator: "\n").first(where: { $0.hasPrefix("| `\(id)`") }) else {
      return
    }
    let signals = line.split(separator: "|").dropFirst(1).first.map(String.init) ?? ""
    var codes: [String] = []
    var rest = Substring(signals)
    while let r = rest.range(of: "AADSTS") {
      let digits = rest[r.upperBound...].prefix { $0.isNumber }
      if !digits.isEmpty { codes.append("AADSTS" + digits) }
      rest = rest[r.upperBound...]
    }
    for code in codes {
      // Both forms: AADSTS7000215 and the bare number.
      #expect(explainer.explain(code).diagnoses.first?.reason == id, "\(code) → \(id)")
      #expect(explainer.explain(String(code.dropFirst(6))).diagnoses.first?.reason == id, "\(code) bare → \(id)")
    }
    if line.contains("bc `"), id.hasPrefix("bc.") {
      let code = line.components(separatedBy: "bc `").dropFirst().first?.prefix { $0 != "`" } ?? ""
      if !code.isEmpty && code != "Internal_ServerError" {
        #expect(explainer.explain(String(code)).diagnoses.first?.reason == id, "\(code) → \(id)")
      }
    }
  }

  @Test func unknownAADSTSCodeGivesLookupLink() {
    let result = explainer.explain("AADSTS9999999: something new")
    #expect(result.diagnoses.first?.reason == "entra.unknown-error")
    #expect(result.diagnoses.first?.docs.first == "https://login.microsoftonline.com/error?code=9999999")
  }

  @Test func nothingRecognisableIsExit3() {
    let result = explainer.explain("the weather is nice today")
    #expect(result.diagnoses.isEmpty)
    #expect(result.exitStatus == .nothingToDiagnose)
  }

  @Test func reasonAndCheckIdsAreAnswered() {
    #expect(explainer.explain("entra.secret-invalid").diagnoses.first?.reason == "entra.secret-invalid")
  }

  @Test func signalsCarryIdsForSupport() {
    let body = #"""
      {"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 0b6f3b9e-8c27-4c1d-9a8e-6b0c1f0e2a00\r\nCorrelation ID: 5a1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\r\nTimestamp: 2024-05-03 10:11:12Z","error_codes":[7000215],"timestamp":"2024-05-03 10:11:12Z","trace_id":"0b6f3b9e-8c27-4c1d-9a8e-6b0c1f0e2a00","correlation_id":"5a1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d","error_uri":"https://login.microsoftonline.com/error?code=7000215"}
      """#
    let result = explainer.explain(body)
    #expect(result.signals.aadsts == [7000215])
    #expect(result.signals.oauthError == "invalid_client")
    #expect(result.signals.correlationId == "5a1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
    #expect(result.signals.traceId == "0b6f3b9e-8c27-4c1d-9a8e-6b0c1f0e2a00")
    #expect(result.signals.timestamp == "2024-05-03 10:11:12Z")
    #expect(result.diagnoses.first?.confidence == "high")
  }

  @Test func severalCodesInOneMessageAreAllRanked() {
    let text =
      "first AADSTS700016: app not found, then later AADSTS7000222: The provided client secret keys are expired."
    let reasons = explainer.explain(text).diagnoses.map(\.reason)
    #expect(reasons.prefix(2) == ["entra.app-not-found", "entra.secret-expired"])
  }
}
