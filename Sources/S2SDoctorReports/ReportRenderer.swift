import Foundation
import Mustache
import S2SDoctorCore

/// The formats `check --format` and `report --format` write.
public enum ReportFormat: String, CaseIterable, Sendable {
  /// The doctor-style console text (`ConsoleText.report`).
  case console
  /// The run report itself (`RunReport`, schemaVersion 1), redacted.
  case json
  /// `Templates/markdown.mustache`: paste into a ticket.
  case markdown
  /// `Templates/html.mustache`: one self-contained, printable page.
  case html
  /// `Templates/junit.mustache`: one testcase per check, for CI.
  case junit
  /// `Templates/text.mustache`: a short plain-text ticket summary.
  case text

  /// The embedded template for a template-based format, e.g. `markdown.mustache`.
  public var templateName: String? {
    switch self {
    case .console, .json: nil
    default: rawValue
    }
  }

  /// The usual file extension of this format.
  public var fileExtension: String {
    switch self {
    case .console, .text: "txt"
    case .json: "json"
    case .markdown: "md"
    case .html: "html"
    case .junit: "xml"
    }
  }
}

/// Why a report could not be read or rendered. Every message names the file it is about.
public enum ReportError: Error, Equatable, Sendable, CustomStringConvertible {
  case unreadable(path: String, why: String)
  case invalidRunReport(path: String, why: String)
  case unsupportedSchema(path: String, found: Int?)
  case invalidTemplate(path: String, line: Int, column: Int, why: String)
  case missingTemplate(name: String)

  public var description: String {
    switch self {
    case .unreadable(let path, let why):
      "Cannot read \(path): \(why)."
    case .invalidRunReport(let path, let why):
      "\(path) is not an s2s-doctor run report (\(why)). Save one with `s2s-doctor check --format json --output FILE`."
    case .unsupportedSchema(let path, let found):
      "\(path) has schemaVersion \(found.map(String.init) ?? "(missing)"); this s2s-doctor reads schemaVersion \(ReportRenderer.supportedSchemaVersion). Re-run the checks with this version, or render it with the version that wrote it."
    case .invalidTemplate(let path, let line, let column, let why):
      "\(path):\(line):\(column): invalid Mustache template: \(why)."
    case .missingTemplate(let name):
      "No built-in template named \(name)."
    }
  }
}

/// Renders a `RunReport` in every format, always redacted.
///
/// Every string of the report passes through `ReportSanitizer` before a template sees it, and the
/// finished text passes through `Redactor.shared` once more.
public enum ReportRenderer {
  public static let supportedSchemaVersion = 1

  /// Renders `report` in `format`. `verbose`, `color` and `width` only apply to `console`.
  public static func render(
    _ report: RunReport, format: ReportFormat, redactIDs: Bool = false, verbose: Bool = false,
    color: Bool = false, width: Int = ConsoleText.defaultWidth
  ) throws -> String {
    let sanitizer = ReportSanitizer(redactIDs: redactIDs, target: report.target)
    switch format {
    case .console:
      // The values are cleaned one by one; the finished text keeps the tool's own colour.
      let text = ConsoleText.report(report.sanitized(sanitizer), verbose: verbose, color: color, width: width)
      return sanitizer.finish(text)
    case .json:
      let data = try JSONEncoder.stable.encode(report.sanitized(sanitizer))
      return finish(String(decoding: data, as: UTF8.self) + "\n", sanitizer)
    case .markdown, .html, .junit, .text:
      let name = format.rawValue
      let library = try builtInLibrary()
      guard let template = library.getTemplate(named: name) else {
        throw ReportError.missingTemplate(name: name)
      }
      let context = ReportContext(report: report, redactIDs: redactIDs)
      return finish(template.render(context, library: library), sanitizer)
    }
  }

  /// Renders `report` with the user's Mustache template at `templateFile`.
  ///
  /// The template reads the same `ReportContext` as the built-in ones, and can include them as
  /// partials (`{{> markdown}}`, `{{> text}}`, …).
  public static func render(_ report: RunReport, templateFile: String, redactIDs: Bool) throws
    -> String
  {
    guard let data = FileManager.default.contents(atPath: templateFile) else {
      throw ReportError.unreadable(path: templateFile, why: readFailure(templateFile))
    }
    return try render(
      report, template: String(decoding: data, as: UTF8.self), named: templateFile,
      redactIDs: redactIDs)
  }

  /// Reads and parses the template at `templateFile` without rendering: for `check` to refuse a
  /// bad `--template` before it runs the checks.
  public static func validateTemplate(file templateFile: String) throws {
    guard let data = FileManager.default.contents(atPath: templateFile) else {
      throw ReportError.unreadable(path: templateFile, why: readFailure(templateFile))
    }
    _ = try parse(String(decoding: data, as: UTF8.self), path: templateFile)
  }

  /// Renders `report` with Mustache `template` text; `named` is used in error messages.
  public static func render(
    _ report: RunReport, template text: String, named: String = "template", redactIDs: Bool
  ) throws -> String {
    let library = try builtInLibrary()
    let template = try parse(text, path: named)
    let sanitizer = ReportSanitizer(redactIDs: redactIDs, target: report.target)
    let context = ReportContext(report: report, redactIDs: redactIDs)
    return finish(template.render(context, library: library), sanitizer)
  }

  /// The context templates see, as JSON: for writing and debugging templates.
  public static func contextJSON(_ report: RunReport, redactIDs: Bool) throws -> String {
    let data = try JSONEncoder.stable.encode(ReportContext(report: report, redactIDs: redactIDs))
    return String(decoding: data, as: UTF8.self) + "\n"
  }

  /// Reads a run report written by `check --format json`.
  public static func load(runReportAt path: String) throws(ReportError) -> RunReport {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw .unreadable(path: path, why: readFailure(path))
    }
    return try decodeRunReport(data, path: path)
  }

  /// Decodes a run report; `path` names it in error messages.
  public static func decodeRunReport(_ data: Data, path: String) throws(ReportError) -> RunReport {
    struct Version: Decodable { var schemaVersion: Int? }
    let version: Version
    do {
      version = try JSONDecoder().decode(Version.self, from: data)
    } catch {
      throw .invalidRunReport(path: path, why: describe(error))
    }
    guard version.schemaVersion == supportedSchemaVersion else {
      throw .unsupportedSchema(path: path, found: version.schemaVersion)
    }
    do {
      var report = try JSONDecoder().decode(RunReport.self, from: data)
      // A run saved before the Business Central page was part of the report gains it now.
      report.results = RunReport.withEntraApplicationsPage(report.results, target: report.target)
      return report
    } catch {
      throw .invalidRunReport(path: path, why: describe(error))
    }
  }

  // MARK: templates

  /// The embedded templates, by name without `.mustache`, for rendering and as partials.
  public static func builtInLibrary() throws -> MustacheLibrary {
    try cachedLibrary.get()
  }

  /// The embedded template sources, by file name (`markdown.mustache`, …).
  public static var builtInTemplates: [(path: String, contents: String)] { EmbeddedTemplates.files }

  private static let cachedLibrary: Result<MustacheLibrary, ReportError> = {
    registerContentTypes()
    var library = MustacheLibrary()
    for file in EmbeddedTemplates.files where file.path.hasSuffix(".mustache") {
      let name = String(file.path.dropLast(".mustache".count))
      do {
        library.register(try parse(file.contents, path: "Templates/" + file.path), named: name)
      } catch let error as ReportError {
        return .failure(error)
      } catch {
        return .failure(.invalidTemplate(path: file.path, line: 0, column: 0, why: "\(error)"))
      }
    }
    return .success(library)
  }()

  static func parse(_ text: String, path: String) throws -> MustacheTemplate {
    registerContentTypes()
    do {
      return try MustacheTemplate(string: text)
    } catch let error as MustacheTemplate.ParserError {
      throw ReportError.invalidTemplate(
        path: path, line: error.context.lineNumber, column: error.context.columnNumber,
        why: describeParser(error.error))
    }
  }

  private static let contentTypesRegistered: Bool = {
    MustacheContentTypes.register(MarkdownContentType(), named: "MARKDOWN")
    MustacheContentTypes.register(XMLContentType(), named: "XML")
    return true
  }()

  /// Adds `{{% CONTENT_TYPE: MARKDOWN }}` and `{{% CONTENT_TYPE: XML }}` to Mustache's HTML and TEXT.
  public static func registerContentTypes() { _ = contentTypesRegistered }

  // MARK: helpers

  /// Templates print no control characters of their own: drop any that got through.
  private static func finish(_ text: String, _ sanitizer: ReportSanitizer) -> String {
    ReportSanitizer.dropInvalidXMLCharacters(sanitizer.finish(text))
  }

  private static func readFailure(_ path: String) -> String {
    var isDirectory: ObjCBool = false
    if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      return "no such file"
    }
    return isDirectory.boolValue ? "it is a directory" : "permission denied"
  }

  private static func describe(_ error: Error) -> String {
    switch error {
    case DecodingError.dataCorrupted(let context):
      return "not valid JSON" + at(context)
    case DecodingError.keyNotFound(let key, let context):
      return "missing field \(path(context.codingPath + [key]))"
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
      return "wrong type at \(path(context.codingPath)): \(context.debugDescription)"
    default:
      return "\(error)"
    }
  }

  private static func at(_ context: DecodingError.Context) -> String {
    context.codingPath.isEmpty ? "" : " at \(path(context.codingPath))"
  }

  private static func path(_ keys: [CodingKey]) -> String {
    keys.isEmpty
      ? "the top level"
      : keys.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
        .trimmingCharacters(in: CharacterSet(charactersIn: "."))
  }

  private static func describeParser(_ error: Error) -> String {
    guard let error = error as? MustacheTemplate.Error else { return "\(error)" }
    switch error {
    case .sectionCloseNameIncorrect:
      return "a section is closed with another name than it was opened"
    case .unfinishedName: return "a tag is not closed"
    case .expectedSectionEnd: return "a section is not closed"
    case .invalidSetDelimiter: return "bad set-delimiter tag"
    case .transformAppliedToInheritanceSection: return "a transform on an inheritance section"
    case .illegalTokenInsideInheritSection: return "illegal tag inside an inheritance section"
    case .textInsideInheritSection: return "text inside an inheritance section"
    case .invalidConfigVariableSyntax: return "bad {{% … }} pragma"
    case .unrecognisedConfigVariable:
      return "unknown pragma or content type (known: CONTENT_TYPE: HTML, TEXT, MARKDOWN, XML)"
    }
  }
}

/// Markdown: backslash-escapes the characters that would start formatting, links, HTML or a
/// table cell boundary, and turns line breaks into `<br>` so a value stays inside its table cell.
struct MarkdownContentType: MustacheContentType {
  func escapeText(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.count)
    for c in text {
      switch c {
      case "\\", "`", "*", "_", "[", "]", "<", ">", "|", "#", "~":
        out.append("\\")
        out.append(c)
      case "\r\n", "\n", "\r":
        out += "<br>"
      default:
        out.append(c)
      }
    }
    return out
  }
}

/// XML 1.0: the five predefined entities; invalid characters were dropped earlier by the sanitizer.
struct XMLContentType: MustacheContentType {
  func escapeText(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.count)
    for scalar in ReportSanitizer.dropInvalidXMLCharacters(text).unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&apos;"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }
}
