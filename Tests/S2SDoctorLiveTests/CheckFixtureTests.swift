import Foundation
import Testing

@testable import S2SDoctorCore
@testable import S2SDoctorEmulator
@testable import S2SDoctorLive
@testable import S2SDoctorOnPrem

/// A recorded tape in `Checks/<check>/fixtures/`, named after the outcome it must produce.
struct TapeFixture: CustomTestStringConvertible, Sendable {
  var file: String
  var tape: Tape
  var testDescription: String { file }

  static let checksFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../Checks").standardizedFileURL

  static let all: [TapeFixture] = {
    let folders = (try? FileManager.default.contentsOfDirectory(atPath: checksFolder.path)) ?? []
    return folders.sorted().flatMap { check -> [TapeFixture] in
      let directory = checksFolder.appendingPathComponent("\(check)/fixtures")
      let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
      return names.sorted().compactMap { name in
        guard name.hasSuffix(".json"), let data = try? Data(contentsOf: directory.appendingPathComponent(name)),
          let tape = try? JSONDecoder().decode(Tape.self, from: data)
        else { return nil }
        return TapeFixture(file: "\(check)/fixtures/\(name)", tape: tape)
      }
    }
  }()
}

/// Fixtures are the tests of checks: each tape, replayed without an emulator, yields its outcome.
@Suite struct CheckFixtureTests {
  @Test(arguments: TapeFixture.all)
  func tapeYieldsTheOutcomeItIsNamedAfter(_ fixture: TapeFixture) async throws {
    let tape = fixture.tape
    #expect(fixture.file.hasPrefix("\(tape.check)/fixtures/\(tape.expect)--"), "name and content disagree")
    // The server files the tape holds, and a throwaway certificate for a certificate run.
    let directory = NSTemporaryDirectory() + "s2s-fixture-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let settings = try tape.replaySettings(in: directory) {
      try RSACertificate.generate(commonName: "S2S Doctor fixture replay").combinedPEM
    }
    let suite = LiveCheckSuite(
      settings: settings, secret: tape.secretShape.map(Secret.init), catalogue: .builtIn,
      transport: ReplayTransport(tape))
    let report = await suite.run(only: [tape.check])
    let result = try #require(report.results.first { $0.check == tape.check })
    let got = result.status == .passed ? "passed" : result.reason ?? result.status.rawValue
    #expect(got == tape.expect, "\(fixture.file): \(result.detail ?? "")")
  }

  /// Every check has a fixture that passes and one for each reason it declares: a tape, or for the
  /// on-premises file checks a server configuration or log (`ServerConfigurationTests` replays those).
  @Test func everyCheckHasAFixtureForEachOutcome() throws {
    let onDisk = TapeFixture.all.map { ($0.tape.check, $0.tape.expect) }
    let fileChecks: Set<String> = ["onprem.server-config", "onprem.server-log"]
    let onDiskCatalogue = try Catalogue.load(directory: TapeFixture.checksFolder)
    var missing: [String] = []
    for check in Catalogue.builtIn.checks {
      let fixtures = onDiskCatalogue.check(check.id)?.fixtures ?? []
      // Only a file the fixture tests replay counts: a tape that does not decode is no fixture.
      let files = fixtures.filter { fileChecks.contains(check.id) && !Self.isTape($0.contents) }.map(\.expect)
      let named = Set(files).union(onDisk.filter { $0.0 == check.id }.map(\.1))
      for expect in ["passed"] + check.reasons where !named.contains(expect) {
        missing.append("\(check.id): \(expect)")
      }
      for fixture in fixtures where !fileChecks.contains(check.id) || Self.isTape(fixture.contents) {
        #expect(
          TapeFixture.all.contains { $0.file == fixture.file }, "\(fixture.file) is not a tape the replay test reads")
      }
    }
    print("fixtures: \(TapeFixture.all.count) tapes; outcomes without a fixture: \(missing.count)")
    for line in missing { print("  no fixture: \(line)") }
    #expect(missing.isEmpty, "outcomes without a fixture: \(missing.joined(separator: "; "))")
  }

  /// A tape, as opposed to a server configuration that happens to be JSON.
  static func isTape(_ text: String) -> Bool {
    guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return false }
    return object["exchanges"] != nil && object["check"] != nil
  }

  @Test func tapesHoldNoSecretAndNoSignedToken() throws {
    for fixture in TapeFixture.all {
      let text = String(decoding: try JSONEncoder().encode(fixture.tape), as: UTF8.self)
      let jwt = try Regex(#"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"#)
      #expect(text.firstMatch(of: jwt) == nil, "\(fixture.file) holds a token")
      #expect(!text.contains("client_secret=") && !text.contains("client_assertion="), "\(fixture.file)")
      #expect(!text.contains("Bearer ey"), "\(fixture.file)")
      if let shape = fixture.tape.secretShape {
        // Three characters of a hint, then the shape: nothing longer of the secret survives.
        #expect(shape.dropFirst(3).allSatisfy { !$0.isLetter || "aAxX".contains($0) }, "\(fixture.file)")
        #expect(shape.dropFirst(3).allSatisfy { !$0.isNumber || $0 == "0" }, "\(fixture.file)")
      }
    }
  }

  @Test func timesAreKeptRelativeAndComeBackRelativeToNow() throws {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let recorded = Tape.recordable(#"{"endDateTime":"2027-01-15T08:00:00Z"}"#, now: now)
    #expect(recorded.contains("{{t:"))
    let later = now.addingTimeInterval(86_400 * 400)
    let replayed = Tape.replayable(recorded, now: later)
    let iso = ISO8601DateFormatter()
    let original = try #require(iso.date(from: "2027-01-15T08:00:00Z"))
    let back = try #require(
      iso.date(from: String(replayed.dropFirst(#"{"endDateTime":""#.count).prefix(20))))
    #expect(abs(back.timeIntervalSince(later) - original.timeIntervalSince(now)) < 1)
  }

  /// The passing companies tape with its answer cut to `count` companies: the detail counts them
  /// in words a person would write ("1 company", "2 companies").
  @Test(arguments: [(1, "1 company: "), (2, "2 companies: ")])
  func companiesAreCountedInGoodEnglish(_ count: Int, _ expected: String) async throws {
    let fixture = try #require(
      TapeFixture.all.first { $0.tape.check == "bc.companies" && $0.tape.expect == "passed" })
    var tape = fixture.tape
    let index = try #require(tape.exchanges.firstIndex { $0.madeBy == "bc.companies" && $0.status == 200 })
    let body = try #require(tape.exchanges[index].body.flatMap { JSONValue.parse(Data($0.utf8)) })
    let recorded = try #require(body["value"]?.array?.first)
    let companies = (1...count).map { number -> JSONValue in
      guard case .object(var company) = recorded, number > 1 else { return recorded }
      company["name"] = .string("Company \(number)")
      return .object(company)
    }
    let names = companies.compactMap { $0["name"]?.string }
    let kept = JSONValue.object(["value": .array(companies)])
    tape.exchanges[index].body = String(decoding: try JSONEncoder().encode(kept), as: UTF8.self)
    let result = try await Self.replay(tape, "bc.companies")
    #expect(result.status == .passed)
    #expect(result.detail == expected + names.joined(separator: ", "), "\(result.detail ?? "")")
  }

  /// `bc.company` judges the list `bc.companies` got (no request of its own): a name, display name
  /// or id passes exactly as written; Business Central names are case-sensitive, so another case
  /// fails and the sentence lists what the app sees.
  @Test(arguments: [
    ("CRONUS USA, Inc.", true), ("9cea0175-670b-495c-9cd5-b26aaed60427", true), ("cronus usa, inc.", false),
    ("CRONUS", false),
  ])
  func theNamedCompanyIsFoundExactlyAsWritten(_ company: String, _ passes: Bool) async throws {
    let fixture = try #require(
      TapeFixture.all.first { $0.tape.check == "bc.company" && $0.tape.expect == "passed" })
    var tape = fixture.tape
    tape.settings.company = company
    let requests = tape.exchanges.count
    let result = try await Self.replay(tape, "bc.company")
    #expect(result.status == (passes ? .passed : .failed), "\(result.detail ?? "")")
    if passes {
      #expect(result.detail?.contains("9cea0175-670b-495c-9cd5-b26aaed60427") == true, "\(result.detail ?? "")")
    } else {
      #expect(result.reason == "bc.company-not-found")
      #expect(result.detail?.contains("the app sees: CRONUS USA, Inc.") == true, "\(result.detail ?? "")")
    }
    #expect(tape.exchanges.count == requests)
  }

  /// A long list in a sentence stops after ten names and says how many more; the evidence keeps all.
  @Test func aLongCompanyListIsShortenedInTheSentenceOnly() async throws {
    let fixture = try #require(
      TapeFixture.all.first { $0.tape.check == "bc.companies" && $0.tape.expect == "passed" })
    var tape = fixture.tape
    let index = try #require(tape.exchanges.firstIndex { $0.madeBy == "bc.companies" && $0.status == 200 })
    let companies = (1...14).map { JSONValue.object(["id": .string("id-\($0)"), "name": .string("Company \($0)")]) }
    let body = JSONValue.object(["value": .array(companies)])
    tape.exchanges[index].body = String(decoding: try JSONEncoder().encode(body), as: UTF8.self)
    let result = try await Self.replay(tape, "bc.companies")
    #expect(result.detail?.hasPrefix("14 companies: Company 1, Company 2") == true, "\(result.detail ?? "")")
    #expect(result.detail?.hasSuffix("Company 10 and 4 more") == true, "\(result.detail ?? "")")
    let names = result.evidence.first { $0.key == "companies.names" }?.value
    #expect(names?.contains("Company 14") == true)
  }

  /// Replays a tape for one check (and its prerequisites) and returns that check's result.
  static func replay(_ tape: Tape, _ check: String) async throws -> CheckResult {
    let suite = LiveCheckSuite(
      settings: tape.settings, secret: tape.secretShape.map(Secret.init), catalogue: .builtIn,
      transport: ReplayTransport(tape))
    let report = await suite.run(only: [check])
    return try #require(report.results.first { $0.check == check })
  }
}
