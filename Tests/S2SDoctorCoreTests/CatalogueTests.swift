import Foundation
import Testing

@testable import S2SDoctorCore

@Suite struct CatalogueTests {
  /// The reason ids the spec requires, read from ../shared/spec/failure-reasons.md when present,
  /// else from the copy of that list kept in this test (CI's clone has shared/ beside it).
  static let specReasons: [String] = {
    let spec = repositoryRoot.deletingLastPathComponent()
      .appendingPathComponent("shared/spec/failure-reasons.md")
    guard let text = try? String(contentsOf: spec, encoding: .utf8) else { return [] }
    var ids: [String] = []
    for line in text.split(separator: "\n") where line.hasPrefix("| `") {
      let id = line.dropFirst(3).prefix { $0 != "`" }
      if id.contains(".") { ids.append(String(id)) }
    }
    return ids
  }()

  @Test func snapshotTheBinaryStartsFromEqualsTheYAML() throws {
    let yaml = try Catalogue.load(files: checksFiles)
    // The snapshot is the YAML without fixtures (tests stay in Checks/, out of the binary).
    #expect(try yaml.snapshotJSON() == CatalogueSnapshot.json, "The snapshot is out of date: run `make generate`.")
    #expect(Catalogue.builtIn.checks.allSatisfy { $0.fixtures.isEmpty })
    #expect(Catalogue.builtIn.reasons == yaml.reasons && Catalogue.builtIn.reasonOrder == yaml.reasonOrder)
    #expect(Catalogue.builtIn.checks.map(\.id) == yaml.checks.map(\.id))
  }

  /// Swift code names reasons and checks through `Reason` and `CheckID`, so a misspelt id does not
  /// compile. This scan finds any id written as a string literal in Sources/ instead.
  @Test func noReasonOrCheckIdIsWrittenAsALiteral() throws {
    let catalogue = Catalogue.builtIn
    let ids = Set(catalogue.reasonOrder + catalogue.checks.map(\.id))
    // Every literal shaped like an id of a known family (`token.…`, `bc.…`) is an id written by
    // hand or a typo of one, unless it is an evidence key listed here or a scenario variant
    // named `<id>-<variant>` (the emulator's `entra.tenant-not-found-token`).
    let families = Set(ids.map { String($0.prefix { $0 != "." }) })
    let evidenceKeys: Set<String> = [
      "token.aud", "token.tid", "token.exp", "token.iss", "token.scp", "token.idtyp", "token.appid", "token.ver",
      "token.url", "onprem.instance",
    ]
    let isVariant = { (value: String) in ids.contains { value.hasPrefix($0 + "-") } }
    let sources = repositoryRoot.appendingPathComponent("Sources")
    let literal = try Regex(#""([a-z]+\.[a-z0-9-]+)""#)
    var found: [String] = []
    let walker = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
    while let file = walker?.nextObject() as? URL {
      guard file.pathExtension == "swift", !file.path.contains("/Generated/") else { continue }
      let text = try String(contentsOf: file, encoding: .utf8)
      for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        for match in line.matches(of: literal) {
          let value = String(line[match.range].dropFirst().dropLast())
          if families.contains(String(value.prefix { $0 != "." })), !evidenceKeys.contains(value), !isVariant(value) {
            found.append("\(file.lastPathComponent):\(number + 1): \(value)")
          }
        }
      }
    }
    #expect(
      found.isEmpty,
      "ids written as literals (use Reason.x / CheckID.x, or list a non-id):\n\(found.joined(separator: "\n"))")
    #expect(Reason.bcAppNotAccepted == "bc.app-not-accepted")
    #expect(catalogue.reasonOrder.count > 90 && ids.count > catalogue.reasonOrder.count)
  }

  @Test func everySpecReasonIsDefined() throws {
    let catalogue = Catalogue.builtIn
    #expect(Self.specReasons.count >= 60, "could not read the spec's reason list")
    for id in Self.specReasons {
      #expect(catalogue.reason(id) != nil, "reason \(id) from failure-reasons.md is not defined in Checks/reasons")
    }
  }

  @Test(arguments: Catalogue.builtIn.reasonOrder)
  func reasonIsComplete(_ id: String) throws {
    let reason = try #require(Catalogue.builtIn.reason(id))
    #expect(reason.summary.count >= 15, "\(id): summary is too short")
    #expect(reason.why.count >= 20, "\(id): why is missing or too short")
    #expect(reason.fix.count >= 15, "\(id): fix is missing or too short")
    #expect(!reason.steps.isEmpty, "\(id): needs at least one concrete step")
    #expect(!reason.docs.isEmpty, "\(id): needs at least one documentation link")
    for link in reason.docs {
      #expect(link.hasPrefix("https://"), "\(id): link \(link) is not https")
    }
  }

  @Test func everyCheckIsConsistent() throws {
    let catalogue = Catalogue.builtIn
    var seen = Set<String>()
    for check in catalogue.checks {
      #expect(seen.insert(check.id).inserted, "duplicate check id \(check.id)")
      #expect(Catalogue.isValidID(check.id), "check id \(check.id) is not area.name")
      #expect(!check.title.isEmpty && !check.rationale.isEmpty, "\(check.id): title and rationale are required")
      for reason in check.reasons {
        #expect(catalogue.reason(reason) != nil, "\(check.id): reason \(reason) is not defined")
      }
    }
  }

  @Test func loaderRejectsUnknownKeysNamingFileAndLine() throws {
    // A complete, valid reason (a copy of bc.app-not-accepted) plus one unknown key, so that the
    // only thing wrong is the unknown key and the error must be about it.
    let bc = try #require(checksFiles.first { $0.path == "reasons/bc.yaml" }?.contents)
    let lines = bc.split(separator: "\n", omittingEmptySubsequences: false)
    let start = try #require(lines.firstIndex { $0 == "bc.app-not-accepted:" })
    let end =
      lines[(start + 1)...].firstIndex { !$0.isEmpty && !$0.hasPrefix(" ") && !$0.hasPrefix("#") } ?? lines.endIndex
    var block = lines[start..<end].map(String.init)
    while block.last?.isEmpty == true { block.removeLast() }
    block[0] = "x.one:"
    let valid = block.joined(separator: "\n") + "\n"
    let invalid = valid + "  colour: red\n"
    func files(_ extra: String) -> [(path: String, contents: String)] {
      checksFiles.map { file in
        file.path == "catalogue.yaml"
          ? (file.path, file.contents.replacingOccurrences(of: "reasons: [", with: "reasons: [extra, "))
          : file
      } + [("reasons/extra.yaml", extra)]
    }
    // The copy alone loads: the failure below is the unknown key's.
    #expect(try Catalogue.load(files: files(valid)).reason("x.one") != nil)
    let error = try #require(throws: CatalogueError.self) { try Catalogue.load(files: files(invalid)) }
    #expect(error.file == "reasons/extra.yaml")
    #expect(error.line == block.count + 1, "\(error)")
    #expect(error.message.contains("colour"), "\(error)")
  }

  @Test func loaderRejectsDuplicateIdsAndDanglingLinks() {
    let base = checksFiles
    let duplicate = base.map { file in
      file.path == "reasons/token.yaml"
        ? (
          file.path,
          file.contents + "\n"
            + (base.first { $0.path == "reasons/token.yaml" }!.contents.components(separatedBy: "\n\n").first {
              $0.hasPrefix("token.")
            } ?? "")
        )
        : file
    }
    #expect(throws: CatalogueError.self) { try Catalogue.load(files: duplicate) }

    let dangling = base.map { file in
      file.path == "links.yaml" ? (file.path, "only-one: https://example.com/\n") : file
    }
    do {
      _ = try Catalogue.load(files: dangling)
      Issue.record("a dangling link must be an error")
    } catch {
      #expect(error.message.contains("links.yaml"), "\(error)")
      #expect(error.line > 0)
    }
  }

  @Test func loaderRejectsDanglingPrerequisites() {
    var files = checksFiles.filter { !$0.path.hasSuffix("check.yaml") && $0.path != "catalogue.yaml" }
    files.append(("catalogue.yaml", "reasons: [input, network, entra, token, bc, onprem, consent]\nchecks: [a.one]\n"))
    files.append(
      (
        "a.one/check.yaml",
        "id: a.one\ntitle: T\nrationale: R\nrequires: [a.zero]\nreasons: []\nprobe: http\nhttp: {url: \"{bcBase}/x\", passed: ok}\n"
      ))
    do {
      _ = try Catalogue.load(files: files)
      Issue.record("a dangling prerequisite must be an error")
    } catch {
      #expect(error.file == "a.one/check.yaml")
      #expect(error.message.contains("a.zero"))
    }
  }
}
