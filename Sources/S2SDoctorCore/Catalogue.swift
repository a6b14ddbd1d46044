import Foundation
import Yams

/// A problem in the check catalogue, located by file and line.
public struct CatalogueError: Error, CustomStringConvertible, Sendable, Equatable {
  public var file: String
  public var line: Int
  public var message: String

  public init(file: String, line: Int, message: String) {
    self.file = file
    self.line = line
    self.message = message
  }

  public var description: String { "\(file):\(line): \(message)" }
}

/// The check catalogue: every check declaration and every failure reason with its fix.
///
/// The data lives in `Checks/` and is embedded into the binary by `scripts/embed.py`
/// (`make generate`), so a binary copied alone still knows every fix.
public struct Catalogue: Sendable, Codable, Equatable {
  public let checks: [CheckDeclaration]
  public let reasons: [String: ReasonDefinition]
  /// Reason ids in the order they are defined (area files in `catalogue.yaml` order).
  public let reasonOrder: [String]
  public let links: [String: String]

  public func check(_ id: String) -> CheckDeclaration? { checks.first { $0.id == id } }
  public func reason(_ id: String) -> ReasonDefinition? { reasons[id] }

  /// The catalogue compiled into this binary.
  ///
  /// Read from the JSON snapshot that `catalogue-gen` (`make generate`) derives from the
  /// validated YAML of `Checks/`: parsing and validating the YAML at every start took a third of a
  /// `check` run. A test and `make test` keep the snapshot equal to the YAML.
  public static let builtIn: Catalogue = {
    // S2S_DOCTOR_TRACE=catalogue says when the embedded catalogue is decoded (a test holds
    // `--version` to never decoding it: cold start pays for nothing it does not use).
    if ProcessInfo.processInfo.environment["S2S_DOCTOR_TRACE"]?.split(separator: ",").contains("catalogue") == true {
      FileHandle.standardError.write(Data("s2s-doctor: trace: decoding the embedded catalogue\n".utf8))
    }
    do {
      return try Catalogue.decodeSnapshot(CatalogueSnapshot.json)
    } catch {
      // The tests keep this unreachable; a broken build must still say why.
      FileHandle.standardError.write(Data("s2s-doctor: the embedded catalogue is invalid: \(error)\n".utf8))
      exit(70)
    }
  }()

  /// The snapshot form: compact JSON with sorted keys, so that regenerating it is reproducible.
  /// Fixtures are tests: they stay in `Checks/` and out of the shipped binary.
  public func snapshotJSON() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let shipped = Catalogue(
      checks: checks.map { check in
        var copy = check
        copy.fixtures = []
        return copy
      }, reasons: reasons, reasonOrder: reasonOrder, links: links)
    return String(decoding: try encoder.encode(shipped), as: UTF8.self)
  }

  public static func decodeSnapshot(_ json: String) throws -> Catalogue {
    try JSONDecoder().decode(Catalogue.self, from: Data(json.utf8))
  }

  /// The Swift source of `CatalogueSnapshot` for this catalogue (`s2s-doctor _catalogue-snapshot`).
  public func snapshotSource() throws -> String {
    let json = try snapshotJSON()
    var hashes = "#"
    while json.contains("\"" + hashes) { hashes += "#" }
    func constants(_ ids: [String]) -> String {
      ids.sorted().map { "  public static let \(Self.constantName($0)) = \"\($0)\"" }.joined(separator: "\n")
    }
    return """
      // GENERATED from Checks/ by catalogue-gen (make generate). Do not edit.
      // swift-format-ignore-file

      enum CatalogueSnapshot {
        static let json = \(hashes)"\(json)"\(hashes)
      }

      /// Every reason id the catalogue defines. Swift code names a reason only through these, so a
      /// misspelt or removed id does not compile (a test finds any reason id written as a literal).
      public enum Reason {
      \(constants(reasonOrder))
      }

      /// Every built-in check id, as constants.
      public enum CheckID {
      \(constants(checks.map(\.id)))
      }

      """
  }

  /// `bc.app-not-accepted` → `bcAppNotAccepted`.
  public static func constantName(_ id: String) -> String {
    let parts = id.split(whereSeparator: { $0 == "." || $0 == "-" }).map(String.init)
    return (parts.first ?? "") + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
  }

  /// Loads a catalogue from a `Checks/` folder on disk (used by tests and `make generate`).
  public static func load(directory: URL) throws -> Catalogue {
    try load(files: try files(in: directory))
  }

  /// The files of a `Checks/` folder as (relative path, contents), sorted; the worked examples
  /// and the README are not part of the catalogue.
  public static func files(in directory: URL) throws -> [(path: String, contents: String)] {
    var files: [(path: String, contents: String)] = []
    let root = directory.standardizedFileURL.path
    guard let walker = FileManager.default.enumerator(atPath: root) else {
      throw CatalogueError(file: root, line: 0, message: "cannot read the catalogue folder")
    }
    while let relative = walker.nextObject() as? String {
      let full = root + "/" + relative
      var isDir: ObjCBool = false
      guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue
      else { continue }
      // Worked examples of added checks are not part of the built-in catalogue.
      if relative == "README.md" || relative.hasPrefix("examples/") { continue }
      files.append((relative, try String(contentsOfFile: full, encoding: .utf8)))
    }
    return files.sorted { $0.path < $1.path }
  }

  /// Loads and validates a catalogue from (relative path, contents) pairs.
  public static func load(files: [(path: String, contents: String)]) throws(CatalogueError)
    -> Catalogue
  {
    let byPath = Dictionary(files.map { ($0.path, $0.contents) }, uniquingKeysWith: { a, _ in a })
    guard let linksText = byPath["links.yaml"] else {
      throw CatalogueError(file: "links.yaml", line: 0, message: "missing file")
    }
    guard let indexText = byPath["catalogue.yaml"] else {
      throw CatalogueError(file: "catalogue.yaml", line: 0, message: "missing file")
    }

    // links.yaml: alias -> URL
    var links: [String: String] = [:]
    let linksMap = try YAMLReader.rootMapping(linksText, file: "links.yaml")
    for (key, value, line) in try YAMLReader.pairs(linksMap, file: "links.yaml") {
      guard let url = value.string, url.hasPrefix("https://") else {
        throw CatalogueError(
          file: "links.yaml", line: line, message: "link '\(key)' must be an https URL")
      }
      links[key] = url
    }

    // catalogue.yaml: the order of reason files and of checks.
    let index = try YAMLObject(
      try YAMLReader.rootMapping(indexText, file: "catalogue.yaml"), file: "catalogue.yaml")
    let reasonFiles = try index.strings("reasons", required: true)
    let checkIds = try index.strings("checks", required: true)
    try index.finish()

    var reasons: [String: ReasonDefinition] = [:]
    var reasonOrder: [String] = []
    var reasonLines: [String: (String, Int)] = [:]
    for name in reasonFiles {
      let path = "reasons/\(name).yaml"
      guard let text = byPath[path] else {
        throw CatalogueError(
          file: "catalogue.yaml", line: index.line(of: "reasons"),
          message: "reason file '\(path)' does not exist")
      }
      let root = try YAMLReader.rootMapping(text, file: path)
      for (id, value, line) in try YAMLReader.pairs(root, file: path) {
        if let (otherFile, otherLine) = reasonLines[id] {
          throw CatalogueError(
            file: path, line: line,
            message: "duplicate reason id '\(id)' (first defined at \(otherFile):\(otherLine))")
        }
        guard Self.isValidID(id) else {
          throw CatalogueError(
            file: path, line: line, message: "reason id '\(id)' is not of the form area.name")
        }
        guard let mapping = value.mapping else {
          throw CatalogueError(file: path, line: line, message: "reason '\(id)' must be a mapping")
        }
        let reason = try parseReason(id: id, try YAMLObject(mapping, file: path), links: links)
        reasons[id] = reason
        reasonOrder.append(id)
        reasonLines[id] = (path, line)
      }
    }

    var checks: [CheckDeclaration] = []
    var seenChecks: Set<String> = []
    for id in checkIds {
      let path = "\(id)/check.yaml"
      guard seenChecks.insert(id).inserted else {
        throw CatalogueError(
          file: "catalogue.yaml", line: index.line(of: "checks"),
          message: "check '\(id)' is listed twice")
      }
      guard let text = byPath[path] else {
        throw CatalogueError(
          file: "catalogue.yaml", line: index.line(of: "checks"),
          message: "check '\(id)' has no declaration at \(path)")
      }
      let object = try YAMLObject(try YAMLReader.rootMapping(text, file: path), file: path)
      let declaredID = try object.string("id", required: true)
      guard declaredID == id else {
        throw CatalogueError(
          file: path, line: object.line(of: "id"),
          message: "id '\(declaredID)' differs from its folder name '\(id)'")
      }
      let fixtures = files.filter { $0.path.hasPrefix("\(id)/fixtures/") }.map { file in
        let name = String(file.path.dropFirst("\(id)/fixtures/".count))
        let stem = name.split(separator: ".", omittingEmptySubsequences: false).dropLast()
          .joined(separator: ".")
        let expect = stem.components(separatedBy: "--").first ?? stem
        return Fixture(expect: expect, file: file.path, contents: file.contents)
      }
      let declaration = try parseCheck(id: id, object, path: path, fixtures: fixtures, reasons: reasons)
      for fixture in fixtures where fixture.expect != "passed" && reasons[fixture.expect] == nil {
        throw CatalogueError(
          file: fixture.file, line: 0,
          message: "fixture name '\(fixture.expect)' is neither 'passed' nor a reason id")
      }
      checks.append(declaration)
    }
    // Prerequisites must exist and come earlier in the catalogue (so the graph has no cycle).
    for (position, check) in checks.enumerated() {
      for requirement in check.requires {
        guard let at = checks.firstIndex(where: { $0.id == requirement }) else {
          throw CatalogueError(
            file: "\(check.id)/check.yaml", line: 0,
            message: "prerequisite '\(requirement)' is not a check in the catalogue")
        }
        guard at < position else {
          throw CatalogueError(
            file: "\(check.id)/check.yaml", line: 0,
            message: "prerequisite '\(requirement)' must come before '\(check.id)' in catalogue.yaml")
        }
      }
    }
    // Every check folder on disk must be listed.
    let folders = Set(
      files.compactMap { file -> String? in
        guard file.path.hasSuffix("/check.yaml") else { return nil }
        return String(file.path.dropLast("/check.yaml".count))
      })
    for folder in folders.sorted() where !seenChecks.contains(folder) {
      throw CatalogueError(
        file: "\(folder)/check.yaml", line: 1,
        message: "check '\(folder)' is not listed in catalogue.yaml")
    }
    return Catalogue(checks: checks, reasons: reasons, reasonOrder: reasonOrder, links: links)
  }

  /// The probes this build registers (`S2SDoctorLive.ProbeRegistry` holds one for each name; a
  /// test keeps the two lists equal). `http` is the declarative probe a check folder describes.
  public static let probeNames: [String] = [
    CheckID.inputTenant, CheckID.inputClientId, CheckID.inputCredential, CheckID.inputTarget, CheckID.inputRedirectUri,
    CheckID.entraTenant,
    CheckID.entraToken, CheckID.registrationRead, CheckID.registrationCredentials, CheckID.registrationServicePrincipal,
    CheckID.registrationPermissions, CheckID.registrationRedirectUri, CheckID.registrationAudience,
    CheckID.tokenClock, CheckID.onpremServerConfig,
    CheckID.onpremServerLog,
    "http", "claims",
  ]

  /// One check declaration, validated: its probe, scope and reasons must exist.
  static func parseCheck(
    id: String, _ object: YAMLObject, path: String, fixtures: [Fixture], reasons: [String: ReasonDefinition]
  ) throws(CatalogueError) -> CheckDeclaration {
    var declaration = CheckDeclaration(
      id: id,
      title: try object.string("title", required: true),
      rationale: try object.string("rationale", required: true),
      requires: try object.strings("requires"),
      reasons: try object.strings("reasons"),
      scope: try object.optionalString("scope", required: false) ?? "always",
      fixtures: fixtures)
    declaration.probe = try object.string("probe", required: true)
    guard Self.probeNames.contains(declaration.probe) else {
      throw CatalogueError(
        file: path, line: object.line(of: "probe"),
        message: "probe '\(declaration.probe)' is not one of \(Self.probeNames.joined(separator: ", "))")
    }
    guard CheckDeclaration.scopes.contains(declaration.scope) else {
      throw CatalogueError(
        file: path, line: object.line(of: "scope"),
        message: "scope '\(declaration.scope)' is not one of \(CheckDeclaration.scopes.joined(separator: ", "))")
    }
    if let node = object.node("http") {
      guard declaration.probe == "http", let mapping = node.mapping else {
        throw CatalogueError(
          file: path, line: object.line(of: "http"), message: "http: is a mapping, and only for probe: http")
      }
      declaration.http = try parseHTTP(
        try YAMLObject(mapping, file: path), path: path, requires: declaration.requires, reasons: reasons)
    } else if declaration.probe == "http" {
      throw CatalogueError(file: path, line: object.line(of: "probe"), message: "probe: http needs an http: mapping")
    }
    if let node = object.node("claims") {
      guard declaration.probe == "claims", let mapping = node.mapping else {
        throw CatalogueError(
          file: path, line: object.line(of: "claims"), message: "claims: is a mapping, and only for probe: claims")
      }
      declaration.claims = try parseClaims(try YAMLObject(mapping, file: path), path: path)
    } else if declaration.probe == "claims" {
      throw CatalogueError(
        file: path, line: object.line(of: "probe"), message: "probe: claims needs a claims: mapping")
    }
    try object.finish()
    let ownReasons =
      [declaration.http?.emptyReason, declaration.http?.includes?.reason].compactMap { $0 }
      + (declaration.claims?.failures.map(\.reason) ?? [])
      + (declaration.http?.failures.map(\.reason).filter { !$0.isEmpty } ?? [])
    for reason in declaration.reasons + ownReasons where reasons[reason] == nil {
      throw CatalogueError(
        file: path, line: object.line(of: "reasons"),
        message: "reason '\(reason)' is not defined in Checks/reasons")
    }
    return declaration
  }

  static func parseHTTP(
    _ object: YAMLObject, path: String, requires: [String], reasons: [String: ReasonDefinition]
  ) throws(CatalogueError) -> HTTPProbeSpec {
    var spec = HTTPProbeSpec()
    spec.method = (try object.optionalString("method", required: false) ?? "GET").uppercased()
    guard HTTPProbeSpec.methods.contains(spec.method) else {
      throw CatalogueError(
        file: path, line: object.line(of: "method"),
        message: "method '\(spec.method)' is not allowed: a check only reads (GET or HEAD)")
    }
    spec.answerOf = try object.optionalString("answerOf", required: false)
    if let earlier = spec.answerOf, !requires.contains(earlier) {
      throw CatalogueError(
        file: path, line: object.line(of: "answerOf"),
        message: "answerOf names '\(earlier)', which is not among this check's requires")
    }
    spec.url = try object.string("url", required: spec.answerOf == nil)
    if spec.answerOf != nil && !spec.url.isEmpty {
      throw CatalogueError(
        file: path, line: object.line(of: "url"), message: "a check reads either its own url or answerOf, not both")
    }
    spec.token = try object.optionalString("token", required: false) ?? "bc"
    guard HTTPProbeSpec.tokens.contains(spec.token) else {
      throw CatalogueError(
        file: path, line: object.line(of: "token"), message: "token '\(spec.token)' is not one of bc, none")
    }
    // The Business Central token goes only to Business Central: the URL must start at {bcBase}
    // (or {bcHost}, the same host, for the admin center).
    if spec.answerOf == nil && spec.token == "bc"
      && !["{bcBase}/", "{bcBase}{apiPath}", "{bcHost}/"].contains(where: spec.url.hasPrefix)
    {
      throw CatalogueError(
        file: path, line: object.line(of: "url"),
        message:
          "url must start with {bcBase}/ or {bcHost}/ when the probe sends the Business Central token (token: bc)")
    }
    spec.endpoint = try object.optionalString("endpoint", required: false) ?? "bc-api"
    guard Explainer.endpoints.contains(spec.endpoint) else {
      throw CatalogueError(
        file: path, line: object.line(of: "endpoint"),
        message: "endpoint '\(spec.endpoint)' is not one of \(Explainer.endpoints.joined(separator: ", "))")
    }
    let statuses = try object.statuses("status")
    if !statuses.isEmpty { spec.status = statuses }
    spec.nonEmpty = try object.optionalString("nonEmpty", required: false)
    if let facts = object.node("facts") {
      guard let mapping = facts.mapping else {
        throw CatalogueError(file: path, line: object.line(of: "facts"), message: "facts: name: json.path pairs")
      }
      for (key, value) in mapping {
        guard let name = key.string, let jsonPath = value.string else {
          throw CatalogueError(file: path, line: object.line(of: "facts"), message: "facts: name: json.path pairs")
        }
        spec.facts[name] = jsonPath
      }
    }
    spec.passed = try object.string("passed", required: true)
    spec.empty = try object.optionalString("empty", required: false) ?? ""
    spec.emptyReason = try object.optionalString("emptyReason", required: false)
    spec.exists = try object.optionalString("exists", required: false)
    spec.companies = try object.optionalString("companies", required: false)
    spec.evidence = try object.optionalString("evidence", required: false)
    spec.role = try object.optionalString("role", required: false)
    spec.withoutRole = try object.optionalString("withoutRole", required: spec.role != nil) ?? ""
    if let node = object.node("failures") {
      guard let items = node.sequence else {
        throw CatalogueError(
          file: path, line: object.line(of: "failures"), message: "failures: a list of {status, phrases, reason, words}"
        )
      }
      for item in items {
        guard let mapping = item.mapping else {
          throw CatalogueError(
            file: path, line: item.mark?.line ?? object.line(of: "failures"),
            message: "failures: a list of {status, phrases, reason, words}")
        }
        let entry = try YAMLObject(mapping, file: path)
        var rule = HTTPFailureRule()
        rule.status = try entry.statuses("status")
        rule.phrases = try entry.strings("phrases")
        rule.endpoints = try entry.strings("endpoint")
        for endpoint in rule.endpoints where !Explainer.endpoints.contains(endpoint) {
          throw CatalogueError(
            file: path, line: entry.line(of: "endpoint"),
            message: "endpoint '\(endpoint)' is not one of \(Explainer.endpoints.joined(separator: ", "))")
        }
        rule.codes = try entry.strings("codes")
        rule.notCodes = try entry.strings("notCodes")
        rule.diagnosis = try entry.optionalString("diagnosis", required: false)
        if let diagnosis = rule.diagnosis {
          guard HTTPFailureRule.diagnoses.contains(diagnosis) else {
            throw CatalogueError(
              file: path, line: entry.line(of: "diagnosis"),
              message:
                "diagnosis '\(diagnosis)' is not one of \(HTTPFailureRule.diagnoses.joined(separator: ", "))")
          }
        }
        // A registered diagnosis chooses the reason and its words; any other rule names both.
        rule.reason = try entry.string("reason", required: rule.diagnosis == nil)
        rule.words = try entry.string("words", required: rule.diagnosis == nil)
        try entry.finish()
        guard !rule.status.isEmpty else {
          throw CatalogueError(
            file: path, line: item.mark?.line ?? object.line(of: "failures"), message: "a failure needs its status")
        }
        spec.failures.append(rule)
      }
    }
    if let node = object.node("includes") {
      guard let mapping = node.mapping else {
        throw CatalogueError(
          file: path, line: object.line(of: "includes"), message: "includes: a mapping of fact, value, reason, words")
      }
      let entry = try YAMLObject(mapping, file: path)
      var rule = HTTPIncludesRule()
      rule.facts = try entry.strings("fact", required: true)
      rule.value = try entry.string("value", required: true)
      rule.caseSensitive = try entry.optionalString("caseSensitive", required: false) == "true"
      rule.reason = try entry.string("reason", required: true)
      rule.words = try entry.string("words", required: true)
      try entry.finish()
      for fact in rule.facts where spec.facts[fact] == nil {
        throw CatalogueError(
          file: path, line: object.line(of: "includes"),
          message: "includes names fact '\(fact)', which facts: lacks")
      }
      spec.includes = rule
    }
    try object.finish()
    return spec
  }

  static func parseClaims(_ object: YAMLObject, path: String) throws(CatalogueError) -> ClaimsProbeSpec {
    var spec = ClaimsProbeSpec()
    let shape = "failures: a list of rules, each one test (\(ClaimRule.tests.joined(separator: ", "))), reason, words"
    guard let items = object.node("failures")?.sequence else {
      throw CatalogueError(file: path, line: object.line(of: "failures"), message: shape)
    }
    for item in items {
      let line = item.mark?.line ?? object.line(of: "failures")
      guard let mapping = item.mapping else { throw CatalogueError(file: path, line: line, message: shape) }
      let entry = try YAMLObject(mapping, file: path)
      var rule = ClaimRule()
      let tests = ClaimRule.tests.filter { entry.node($0) != nil }
      guard tests.count == 1, let test = tests.first, let node = entry.node(test) else {
        throw CatalogueError(file: path, line: line, message: shape)
      }
      rule.test = test
      if let claim = node.string, ["missing", "present"].contains(test) {
        rule.claim = claim
      } else if let pairs = node.mapping, pairs.count == 1, let pair = pairs.first, let claim = pair.key.string,
        !["missing", "present"].contains(test)
      {
        rule.claim = claim
        rule.values = pair.value.sequence?.compactMap(\.string) ?? pair.value.string.map { [$0] } ?? []
      } else {
        throw CatalogueError(
          file: path, line: entry.line(of: test),
          message:
            "\(test): names a claim (missing: roles), or one claim and its values (without: {roles: [API.ReadWrite.All]})"
        )
      }
      rule.scope = try entry.optionalString("scope", required: false)
      if let scope = rule.scope, !CheckDeclaration.scopes.contains(scope) {
        throw CatalogueError(
          file: path, line: entry.line(of: "scope"),
          message: "scope '\(scope)' is not one of \(CheckDeclaration.scopes.joined(separator: ", "))")
      }
      rule.reason = try entry.string("reason", required: true)
      rule.words = try entry.string("words", required: true)
      try entry.finish()
      spec.failures.append(rule)
    }
    spec.passed = try object.string("passed", required: true)
    try object.finish()
    return spec
  }

  static func isValidID(_ id: String) -> Bool {
    let parts = id.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 2 else { return false }
    return parts.allSatisfy { part in
      !part.isEmpty && part.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }
    }
  }

  private static func parseReason(id: String, _ object: YAMLObject, links: [String: String])
    throws(CatalogueError) -> ReasonDefinition
  {
    let whoText = try object.string("whoFixes", required: true)
    guard let who = WhoFixes(rawValue: whoText) else {
      throw CatalogueError(
        file: object.file, line: object.line(of: "whoFixes"),
        message:
          "whoFixes '\(whoText)' is not one of \(WhoFixes.allCases.map(\.rawValue).joined(separator: ", "))"
      )
    }
    var docs: [String] = []
    for alias in try object.strings("docs", required: true) {
      guard let url = links[alias] else {
        throw CatalogueError(
          file: object.file, line: object.line(of: "docs"),
          message: "link '\(alias)' of reason '\(id)' is not defined in links.yaml")
      }
      docs.append(url)
    }
    var rules: [MatchRule] = []
    if let sequence = object.node("match")?.sequence {
      for item in sequence {
        guard let mapping = item.mapping else {
          throw CatalogueError(
            file: object.file, line: item.mark?.line ?? 0, message: "a match rule must be a mapping")
        }
        let rule = try YAMLObject(mapping, file: object.file)
        var parsed = MatchRule()
        parsed.aadsts = try rule.ints("aadsts")
        parsed.bc = try rule.strings("bc")
        parsed.oauthError = try rule.strings("oauthError")
        parsed.http = try rule.ints("http")
        parsed.text = try rule.strings("text")
        parsed.endpoint = try rule.strings("endpoint")
        parsed.url = try rule.strings("url")
        for tag in parsed.url where !URLFacts.knownTags.contains(tag) {
          throw CatalogueError(
            file: object.file, line: rule.line(of: "url"),
            message: "url shape '\(tag)' is not one of \(URLFacts.knownTags.sorted().joined(separator: ", "))")
        }
        for endpoint in parsed.endpoint where !Explainer.endpoints.contains(endpoint) {
          throw CatalogueError(
            file: object.file, line: rule.line(of: "endpoint"),
            message: "endpoint '\(endpoint)' is not one of \(Explainer.endpoints.joined(separator: ", "))")
        }
        parsed.unless = try rule.strings("unless")
        parsed.boost = try rule.ints("boost").first ?? 0
        try rule.finish()
        rules.append(parsed)
      }
    }
    let reason = ReasonDefinition(
      id: id,
      summary: try object.string("summary", required: true),
      why: try object.string("why", required: true),
      fix: try object.string("fix", required: true),
      steps: try object.strings("steps", required: true),
      whoFixes: who,
      docs: docs,
      match: rules,
      distinguish: try object.optionalString("distinguish", required: false) ?? "")
    try object.finish()
    return reason
  }
}

/// Strict access to one YAML mapping: remembers the keys read so unknown keys are errors.
final class YAMLObject {
  let file: String
  private var entries: [String: (node: Node, line: Int)] = [:]
  private var order: [String] = []
  private var read: Set<String> = []

  init(_ mapping: Node.Mapping, file: String) throws(CatalogueError) {
    self.file = file
    for (key, value, line) in try YAMLReader.pairs(mapping, file: file) {
      entries[key] = (value, line)
      order.append(key)
    }
  }

  func line(of key: String) -> Int { entries[key]?.line ?? 0 }

  /// Where the mapping starts (its first key): the line a missing key is reported on.
  var startLine: Int { order.first.flatMap { entries[$0]?.line } ?? 0 }

  func node(_ key: String) -> Node? {
    read.insert(key)
    return entries[key]?.node
  }

  func optionalString(_ key: String, required: Bool) throws(CatalogueError) -> String? {
    read.insert(key)
    guard let entry = entries[key] else {
      if required { throw CatalogueError(file: file, line: startLine, message: "missing key '\(key)'") }
      return nil
    }
    guard let text = entry.node.string, !text.trimmedSpaces.isEmpty else {
      throw CatalogueError(
        file: file, line: entry.line, message: "'\(key)' must be a non-empty string")
    }
    return text.trimmedWhitespace
  }

  func string(_ key: String, required: Bool = true) throws(CatalogueError) -> String {
    guard let value = try optionalString(key, required: required) else { return "" }
    return value
  }

  func strings(_ key: String, required: Bool = false) throws(CatalogueError) -> [String] {
    read.insert(key)
    guard let entry = entries[key] else {
      if required { throw CatalogueError(file: file, line: startLine, message: "missing key '\(key)'") }
      return []
    }
    if let scalar = entry.node.string, entry.node.sequence == nil { return [scalar] }
    guard let sequence = entry.node.sequence else {
      throw CatalogueError(file: file, line: entry.line, message: "'\(key)' must be a list")
    }
    var result: [String] = []
    for item in sequence {
      guard let text = item.string else {
        throw CatalogueError(
          file: file, line: item.mark?.line ?? entry.line,
          message: "'\(key)' must be a list of strings")
      }
      result.append(text.trimmedWhitespace)
    }
    if required && result.isEmpty {
      throw CatalogueError(file: file, line: entry.line, message: "'\(key)' must not be empty")
    }
    return result
  }

  /// HTTP statuses: whole numbers, or `2xx` for a whole class.
  func statuses(_ key: String) throws(CatalogueError) -> [Int] {
    var result: [Int] = []
    for text in try strings(key) {
      if text.count == 3, text.hasSuffix("xx"), let digit = Int(text.prefix(1)), (1...5).contains(digit) {
        result += Array(digit * 100...digit * 100 + 99)
      } else if let value = Int(text), (100...599).contains(value) {
        result.append(value)
      } else {
        throw CatalogueError(
          file: file, line: line(of: key), message: "'\(key)' must hold HTTP statuses (404) or classes (2xx)")
      }
    }
    return result
  }

  func ints(_ key: String) throws(CatalogueError) -> [Int] {
    let texts = try strings(key)
    var result: [Int] = []
    for text in texts {
      guard let value = Int(text) else {
        throw CatalogueError(
          file: file, line: line(of: key), message: "'\(key)' must hold whole numbers")
      }
      result.append(value)
    }
    return result
  }

  /// Fails on the first key that was never read: a typo must not be silently ignored.
  func finish() throws(CatalogueError) {
    for key in order where !read.contains(key) {
      throw CatalogueError(file: file, line: line(of: key), message: "unknown key '\(key)'")
    }
  }
}

enum YAMLReader {
  static func rootMapping(_ text: String, file: String) throws(CatalogueError) -> Node.Mapping {
    let root: Node?
    do {
      root = try Yams.compose(yaml: text)
    } catch let error as YamlError {
      throw CatalogueError(file: file, line: Self.line(of: error), message: "invalid YAML: \(error)")
    } catch {
      throw CatalogueError(file: file, line: 0, message: "invalid YAML: \(error)")
    }
    guard let mapping = root?.mapping else {
      throw CatalogueError(file: file, line: 1, message: "the document must be a mapping")
    }
    return mapping
  }

  /// The entries of a mapping with their line numbers; duplicate keys are errors.
  static func pairs(_ mapping: Node.Mapping, file: String) throws(CatalogueError) -> [(
    String, Node, Int
  )] {
    var seen: [String: Int] = [:]
    var result: [(String, Node, Int)] = []
    for (key, value) in mapping {
      let line = key.mark?.line ?? 0
      guard let name = key.string else {
        throw CatalogueError(file: file, line: line, message: "keys must be strings")
      }
      if let first = seen[name] {
        throw CatalogueError(
          file: file, line: line, message: "duplicate key '\(name)' (first at line \(first))")
      }
      seen[name] = line
      result.append((name, value, line))
    }
    return result
  }

  private static func line(of error: YamlError) -> Int {
    switch error {
    case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
      return mark.line
    default:
      return 0
    }
  }
}
