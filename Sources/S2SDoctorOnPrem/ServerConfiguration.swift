import Foundation
import S2SDoctorCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The settings of one Business Central server instance, read from what an administrator can
/// hand over: the instance's `CustomSettings.config`, or `Get-NAVServerConfiguration` output saved
/// as text (table or `Format-List`) or as JSON (`ConvertTo-Json`).
///
/// The format is detected from the content. Every reader is strict, linear and safe on hostile
/// input: a broken file is a `ParseError` naming the file and the line, never a crash.
public struct ServerConfiguration: Sendable, Equatable {
  /// One `key = value` pair, with the line it was read from (0 when the format has no lines).
  public struct Setting: Sendable, Equatable {
    public var key: String
    public var value: String
    public var line: Int
    /// The value was cut off by PowerShell's table view (it ends in `...` or `…`).
    public var truncated: Bool
  }

  public enum Format: String, Sendable, Equatable {
    case customSettings = "CustomSettings.config (XML)"
    case table = "Get-NAVServerConfiguration (table)"
    case list = "Get-NAVServerConfiguration (Format-List)"
    case json = "Get-NAVServerConfiguration (JSON)"
  }

  /// A file that cannot be read as a Business Central server configuration.
  public struct ParseError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
      case unreadable, empty, tooLarge, binary, malformed, notBusinessCentral
    }

    public var file: String
    /// 1-based; 0 when no line applies (a file that cannot be opened).
    public var line: Int
    public var message: String
    public var kind: Kind

    public init(file: String, line: Int, message: String, kind: Kind) {
      self.file = file
      self.line = line
      self.message = message
      self.kind = kind
    }

    /// `CustomSettings.config:12: unclosed element <add>`
    public var description: String {
      line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
    }
  }

  /// A Business Central version, as far as the file tells it.
  public struct ProductVersion: Sendable, Equatable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    /// The full text as found, e.g. `18.4.24516.0`.
    public var text: String
    /// Where it was found: a key name, a comment, a header line.
    public var source: String

    /// A `NN.0.build.revision` number that is not labelled as the application version is most
    /// likely the platform (server) build, whose minor is 0 in every cumulative update: it does
    /// not say which update (18.11, 19.5) is installed.
    public var isPlatformBuild: Bool

    public var description: String { text }
  }

  public let file: String
  public let format: Format
  /// Every setting in file order (a key given twice appears twice; `value(_:)` returns the last).
  public let settings: [Setting]
  /// The version found in the file, if any (a key, a comment or a header line).
  public let version: ProductVersion?
  /// A server instance named outside the settings (`-ServerInstance X` in a saved transcript).
  public let instanceHint: String?
  private let index: [String: Int]

  init(
    file: String, format: Format, settings: [Setting], version: ProductVersion?,
    instanceHint: String?
  ) {
    self.file = file
    self.format = format
    self.settings = settings
    var index: [String: Int] = [:]
    for (position, setting) in settings.enumerated() { index[setting.key.lowercased()] = position }
    self.index = index
    self.version = version
    self.instanceHint = instanceHint
  }

  /// The keys in file order, each once, as spelled in the file.
  public var keys: [String] {
    var seen = Set<String>()
    return settings.map(\.key).filter { seen.insert($0.lowercased()).inserted }
  }

  /// The value of `key` (case-insensitive); the last one when the key is given twice.
  public func value(_ key: String) -> String? { setting(key)?.value }

  public func setting(_ key: String) -> Setting? {
    index[key.lowercased()].map { settings[$0] }
  }

  /// The server instance name: the `ServerInstance` setting, else a transcript's `-ServerInstance`.
  public var serverInstance: String? {
    if let value = value("ServerInstance")?.trimmedSpaces, !value.isEmpty {
      return value
    }
    return instanceHint
  }

  // MARK: loading

  /// Larger files are not server configurations (CustomSettings.config is about 80 KB).
  public static let maximumSize = 16 << 20

  /// Reads and parses a configuration file. The CLI calls this up-front (exit 64 on error).
  public static func load(path: String) throws(ParseError) -> ServerConfiguration {
    let data: Data
    do {
      guard let handle = FileHandle(forReadingAtPath: path) else {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        throw ParseError(
          file: path, line: 0,
          message: !exists
            ? "no such file"
            : isDirectory.boolValue ? "this is a folder, not a file" : "the file cannot be read (permissions?)",
          kind: .unreadable)
      }
      defer { try? handle.close() }
      data = try handle.read(upToCount: maximumSize + 1) ?? Data()
    } catch let error as ParseError {
      throw error
    } catch {
      throw ParseError(
        file: path, line: 0, message: "the file cannot be read: \(error.localizedDescription)", kind: .unreadable)
    }
    if data.count > maximumSize {
      throw ParseError(
        file: path, line: 0,
        message: "the file is larger than \(maximumSize >> 20) MB, so it is not a server configuration",
        kind: .tooLarge)
    }
    return try parse(data: data, file: path)
  }

  /// Decodes UTF-8 (with or without BOM), UTF-16 (PowerShell 5's `>` and `Out-File` write
  /// UTF-16LE) or Windows-1252, then parses. Binary data is an error.
  public static func parse(data: Data, file: String) throws(ParseError) -> ServerConfiguration {
    let text = try TextDecoding.decode(Array(data), file: file)
    return try parse(text, file: file)
  }

  /// Parses a configuration; the format is detected from the content.
  public static func parse(_ text: String, file: String) throws(ParseError) -> ServerConfiguration {
    var bytes = Array(text.utf8)
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
    guard let first = bytes.firstIndex(where: { !isSpace($0) }) else {
      try fail(file, 1, "empty file", .empty)
    }
    let lines = LineIndex(bytes)
    let parsed: Parsed
    switch bytes[first] {
    case UInt8(ascii: "<"): parsed = try XMLSettings.parse(bytes, lines: lines, file: file)
    case UInt8(ascii: "{"), UInt8(ascii: "["): parsed = try JSONSettings.parse(bytes, lines: lines, file: file)
    default: parsed = try TextSettings.parse(bytes, file: file)
    }
    let configuration = ServerConfiguration(
      file: file, format: parsed.format, settings: parsed.settings,
      version: VersionFinder.find(settings: parsed.settings, notes: parsed.notes),
      instanceHint: parsed.instanceHint)
    try configuration.requireBusinessCentral(line: parsed.rootLine, hint: parsed.foreignHint)
    return configuration
  }

  /// Keys only a Business Central (or Dynamics NAV) server instance has.
  static let businessCentralKeys: Set<String> = [
    "serverinstance", "clientservicescredentialtype", "databaseserver", "databaseinstance",
    "validaudiences", "clientservicesport", "soapservicesport", "odataservicesport",
    "managementservicesport", "developerservicesport", "apiservicesenabled", "odataservicesenabled",
    "soapservicesenabled", "adopenidmetadatalocation", "clientservicesfederationmetadatalocation",
    "publicwebbaseurl", "publicodatabaseurl", "publicsoapbaseurl", "servicesdefaultcompany",
    "nasservicesstartupcodeunit", "wsfederationloginendpoint", "multitenant",
  ]

  private func requireBusinessCentral(line: Int, hint: String?) throws(ParseError) {
    let found = settings.contains { Self.businessCentralKeys.contains($0.key.lowercased()) }
    guard !found else { return }
    var message = "this is not a Business Central server configuration"
    if let hint { message += " (\(hint))" }
    message +=
      settings.isEmpty
      ? ": it holds no settings"
      : ": none of ServerInstance, ClientServicesCredentialType, ValidAudiences, DatabaseServer … is set"
    message +=
      ". Give the server instance's CustomSettings.config, or the output of Get-NAVServerConfiguration -ServerInstance <instance> (as text or ConvertTo-Json)"
    throw ParseError(file: file, line: max(line, 1), message: message, kind: .notBusinessCentral)
  }

  static func fail(_ file: String, _ line: Int, _ message: String, _ kind: ParseError.Kind = .malformed)
    throws(ParseError) -> Never
  {
    throw ParseError(file: file, line: line, message: message, kind: kind)
  }

  static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

  /// What a reader hands back before the Business Central check.
  struct Parsed {
    var format: Format
    var settings: [Setting] = []
    /// Free text that may name a version (XML comments, transcript lines).
    var notes: [String] = []
    var instanceHint: String?
    var rootLine = 1
    /// Set when the file is recognisably something else (an IIS web.config, navsettings.json).
    var foreignHint: String?
  }
}
