import Foundation

/// One registration of a fleet inventory (a CSV row or a JSON object).
public struct InventoryRow: Sendable, Equatable {
  public var line: Int
  public var name: String
  public var tenant: String
  public var clientID: String
  public var environments: [String]
  public var deployment: Deployment
  public var secretEnv: String
  public var certificate: String?
}

/// A row that could not be used, with the line it came from.
public struct InventoryProblem: Sendable, Equatable, Encodable, CustomStringConvertible {
  public var line: Int
  public var message: String
  public var description: String { "line \(line): \(message)" }
}

/// Reads fleet inventories: CSV with the header `name,tenant,clientId,environment,deployment,secretEnv,certificate`
/// or a JSON array of objects with those keys. Malformed rows are reported and skipped, never fatal.
public enum Inventory {
  /// The variable a row's secret comes from when it names none.
  public static let defaultSecretEnv = "AZURE_CLIENT_SECRET"

  public static let columns = ["name", "tenant", "clientId", "environment", "deployment", "secretEnv", "certificate"]
  static let required = ["name", "tenant", "clientId"]

  public struct Parsed: Sendable {
    public var rows: [InventoryRow]
    public var problems: [InventoryProblem]
  }

  /// A whole-file problem (no header, not an array): the message names the file and what to change.
  public struct FileError: Error, CustomStringConvertible, Sendable {
    public var description: String
  }

  public static func parse(_ text: String, file: String = "inventory") throws(FileError) -> Parsed {
    let trimmed = text.drop { $0 == "\u{FEFF}" || $0.isWhitespace }
    if trimmed.first == "[" { return try parseJSON(String(trimmed), file: file) }
    return try parseCSV(text, file: file)
  }

  static func parseJSON(_ text: String, file: String) throws(FileError) -> Parsed {
    guard let value = JSONValue.parse(text), let array = value.array else {
      throw FileError(
        description: "\(file) is not a JSON array of objects (or CSV). Each object needs name, tenant and clientId.")
    }
    // Line numbers: the line where each object starts.
    var starts: [Int] = []
    var line = 1
    var depth = 0
    var inString = false
    var escaped = false
    for byte in text.utf8 {
      if byte == 0x0A { line += 1 }
      if inString {
        if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false }
        continue
      }
      if byte == 0x22 { inString = true }
      if byte == UInt8(ascii: "{") {
        if depth == 1 { starts.append(line) }
        depth += 1
      } else if byte == UInt8(ascii: "[") {
        depth += 1
      } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
        depth -= 1
      }
    }
    var parsed = Parsed(rows: [], problems: [])
    for (index, item) in array.enumerated() {
      let at = index < starts.count ? starts[index] : 0
      guard let object = item.object else {
        parsed.problems.append(.init(line: at, message: "entry \(index + 1) is not an object"))
        continue
      }
      let unknown = object.keys.filter { !columns.contains($0) }.sorted()
      if !unknown.isEmpty {
        parsed.problems.append(
          .init(
            line: at,
            message:
              "unknown key\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")); expected \(columns.joined(separator: ", "))"
          ))
        continue
      }
      var fields: [String: String] = [:]
      for (key, value) in object { if let s = value.string { fields[key] = s } }
      append(fields, line: at, into: &parsed)
    }
    return parsed
  }

  /// Records are handled as they are read, never all held at once: a 10,000-row inventory
  /// would otherwise keep every field of every row alive twice while the rows are built.
  static func parseCSV(_ text: String, file: String) throws(FileError) -> Parsed {
    var names: [String]?
    var headerError: FileError?
    var parsed = Parsed(rows: [], problems: [])
    csvRecords(text, delimiter: delimiter(of: text)) { record in
      guard headerError == nil else { return }
      guard let names else {
        // Column names in any case (Excel and people write "ClientID", "TENANT").
        let header = record.fields.map { name in
          let trimmed = name.trimmedSpaces
          return columns.first { $0.lowercased() == trimmed.lowercased() } ?? trimmed
        }
        headerError = headerProblem(header, line: record.line, file: file)
        names = header
        return
      }
      if record.fields.allSatisfy({ $0.trimmedSpaces.isEmpty }) { return }
      if record.fields.first?.hasPrefix("#") == true { return }
      if let problem = record.problem {
        parsed.problems.append(.init(line: record.line, message: problem))
        return
      }
      if record.fields.count > names.count {
        parsed.problems.append(
          .init(line: record.line, message: "\(record.fields.count) fields, but the header has \(names.count)"))
        return
      }
      var fields: [String: String] = [:]
      for (index, value) in record.fields.enumerated() { fields[names[index]] = value }
      append(fields, line: record.line, into: &parsed)
    }
    if let headerError { throw headerError }
    guard names != nil else {
      throw FileError(description: "\(file) is empty. Start it with the header line: \(columns.joined(separator: ","))")
    }
    return parsed
  }

  static func headerProblem(_ names: [String], line: Int, file: String) -> FileError? {
    for column in required where !names.contains(column) {
      return FileError(
        description:
          "\(file): the header (line \(line)) lacks '\(column)'. Expected: \(columns.joined(separator: ","))")
    }
    let unknown = names.filter { !columns.contains($0) && !$0.isEmpty }
    if !unknown.isEmpty {
      return FileError(
        description:
          "\(file): unknown column\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")) in the header (line \(line)). Expected: \(columns.joined(separator: ","))"
      )
    }
    return nil
  }

  static func append(_ raw: [String: String], line: Int, into parsed: inout Parsed) {
    let fields = raw.mapValues { $0.trimmedSpaces }
    for key in required where (fields[key] ?? "").isEmpty {
      parsed.problems.append(.init(line: line, message: "'\(key)' is empty"))
      return
    }
    let deploymentText = (fields["deployment"] ?? "").lowercased()
    let deployment: Deployment
    switch deploymentText {
    case "", "online": deployment = .online
    case "onprem", "on-prem", "onpremises": deployment = .onprem
    default:
      parsed.problems.append(.init(line: line, message: "deployment '\(deploymentText)' is neither online nor onprem"))
      return
    }
    let environments = (fields["environment"] ?? "").split(separator: ";").map {
      $0.trimmedSpaces
    }.filter { !$0.isEmpty }
    let secretEnv = (fields["secretEnv"] ?? "").isEmpty ? Self.defaultSecretEnv : fields["secretEnv"]!
    guard Self.isSecretVariable(secretEnv) else {
      parsed.problems.append(
        .init(
          line: line,
          message:
            "secretEnv '\(secretEnv)' is refused: it must be AZURE_CLIENT_SECRET or S2S_SECRET_<NAME> (capital letters, digits, _), so that an inventory cannot send another variable to a token endpoint"
        ))
      return
    }
    parsed.rows.append(
      InventoryRow(
        line: line, name: fields["name"]!, tenant: fields["tenant"]!, clientID: fields["clientId"]!,
        environments: environments.isEmpty ? ["production"] : environments, deployment: deployment,
        secretEnv: secretEnv, certificate: (fields["certificate"] ?? "").isEmpty ? nil : fields["certificate"]))
  }

  /// The variables a row may take its secret from: `AZURE_CLIENT_SECRET`, or
  /// `S2S_SECRET_<NAME>` with NAME of capital letters, digits and `_`. Any other variable (a cloud
  /// key, a database password) is never read, whatever an inventory says.
  public static func isSecretVariable(_ name: String) -> Bool {
    if name == "AZURE_CLIENT_SECRET" { return true }
    let prefix = "S2S_SECRET_"
    guard name.hasPrefix(prefix), name.count > prefix.count else { return false }
    return name.dropFirst(prefix.count).unicodeScalars.allSatisfy {
      ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
    }
  }

  struct Record {
    var line: Int
    var fields: [String]
    var problem: String?
  }

  /// RFC 4180 records: quoted fields may hold commas, quotes ("") and line breaks.
  /// `;` when the header line has semicolons and no comma (a spreadsheet saved in a locale
  /// whose list separator is `;`), else `,`.
  static func delimiter(of text: String) -> Unicode.Scalar {
    var semicolon = false
    for c in text.unicodeScalars {
      if c == "\n" { break }
      if c == "," { return "," }
      if c == ";" { semicolon = true }
    }
    return semicolon ? ";" : ","
  }

  static func csvRecords(_ text: String, delimiter: Unicode.Scalar = ",", _ handle: (Record) -> Void) {
    var fields: [String] = []
    var field = ""
    // Whether `field` holds more than spaces: kept as it grows, so that a quote is judged in
    // constant time (trimming the field at every quote made a field full of quotes quadratic).
    var fieldHasText = false
    var inQuotes = false
    var line = 1
    var recordLine = 1
    var problem: String?
    var chars = text.unicodeScalars.makeIterator()
    var pending: Unicode.Scalar? = chars.next()
    if pending == "\u{FEFF}" { pending = chars.next() }
    func endRecord() {
      fields.append(field)
      handle(Record(line: recordLine, fields: fields, problem: problem))
      fields = []
      field = ""
      fieldHasText = false
      problem = nil
    }
    while let c = pending {
      pending = chars.next()
      if inQuotes {
        if c == "\"" {
          if pending == "\"" {
            field.unicodeScalars.append("\"")
            fieldHasText = true
            pending = chars.next()
          } else {
            inQuotes = false
          }
        } else {
          if c == "\n" { line += 1 }
          field.unicodeScalars.append(c)
          if !c.properties.isWhitespace { fieldHasText = true }
        }
        continue
      }
      switch c {
      case delimiter:
        fields.append(field)
        field = ""
        fieldHasText = false
      case "\"":
        if !fieldHasText {
          field = ""
          inQuotes = true
        } else {
          problem = problem ?? "a quote in the middle of an unquoted field"
          field.unicodeScalars.append(c)
          fieldHasText = true
        }
      case "\r":
        if pending == "\n" { continue }
        endRecord()
        line += 1
        recordLine = line
      case "\n":
        endRecord()
        line += 1
        recordLine = line
      default:
        field.unicodeScalars.append(c)
        if !c.properties.isWhitespace { fieldHasText = true }
      }
    }
    if inQuotes { problem = "a quoted field is not closed" }
    if !field.isEmpty || !fields.isEmpty || inQuotes { endRecord() }
  }
}

/// One line of a fleet report: a registration in one environment.
public struct FleetRow: Sendable, Codable, Equatable {
  public var name: String
  public var tenant: String
  public var clientId: String
  public var environment: String
  public var status: Status
  public var primaryReason: String?
  public var detail: String?
  public var line: Int
  /// The catalogue's fix for `primaryReason` (shared with the catalogue, not copied per row).
  public var fix: String?
  /// Who acts on the fix (`entra-admin`, `bc-admin`, …).
  public var whoFixes: String?
  /// The admin consent URL for this customer's tenant and the app, filled in (online rows).
  public var consentUrl: String?
  /// The environment's *Microsoft Entra Applications* page, when a BC administrator fixes it there.
  public var bcPage: String?

  public init(
    name: String, tenant: String, clientId: String, environment: String, status: Status, primaryReason: String?,
    detail: String?, line: Int, fix: String? = nil, whoFixes: String? = nil, consentUrl: String? = nil,
    bcPage: String? = nil
  ) {
    self.name = name
    self.tenant = tenant
    self.clientId = clientId
    self.environment = environment
    self.status = status
    self.primaryReason = primaryReason
    self.detail = detail
    self.line = line
    self.fix = fix
    self.whoFixes = whoFixes
    self.consentUrl = consentUrl
    self.bcPage = bcPage
  }
}

public struct FleetReport: Sendable, Codable {
  public var schemaVersion = 1
  public var rows: [FleetRow]
  public var skippedRows: [SkippedRow]
  public var summary: FleetSummary
  public var interrupted: Bool

  public struct SkippedRow: Sendable, Codable, Equatable {
    public var line: Int
    public var message: String
  }

  public struct FleetSummary: Sendable, Codable, Equatable {
    public var registrations = 0
    public var passed = 0
    public var warning = 0
    public var failed = 0
    public var couldNotTest = 0
    public var skipped = 0
    public var malformedRows = 0
    public var byReason: [String: Int] = [:]
  }

  public init(rows: [FleetRow], problems: [InventoryProblem], interrupted: Bool) {
    self.rows = rows
    self.skippedRows = problems.map { SkippedRow(line: $0.line, message: $0.message) }
    self.interrupted = interrupted
    var summary = FleetSummary()
    summary.registrations = rows.count
    summary.malformedRows = problems.count
    for row in rows {
      switch row.status {
      case .passed: summary.passed += 1
      case .warning: summary.warning += 1
      case .failed: summary.failed += 1
      case .couldNotTest: summary.couldNotTest += 1
      case .skipped: summary.skipped += 1
      }
      if let reason = row.primaryReason { summary.byReason[reason, default: 0] += 1 }
    }
    self.summary = summary
  }

  public var exitStatus: ExitStatus {
    if interrupted { return .interrupted }
    if summary.failed > 0 { return .checkFailed }
    if summary.couldNotTest > 0 { return .couldNotTest }
    return .ok
  }
}
