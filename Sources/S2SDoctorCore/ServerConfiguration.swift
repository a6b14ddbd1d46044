import Foundation

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

// MARK: - line numbers

/// Offsets of line starts, for turning a byte offset into a 1-based line number.
struct LineIndex {
  private var starts: [Int] = [0]

  init(_ bytes: [UInt8]) {
    starts = [0] + ByteScan.offsets(of: 0x0A, in: bytes).map { $0 + 1 }
  }

  func line(at offset: Int) -> Int {
    var low = 0
    var high = starts.count
    while low < high {
      let mid = (low + high) / 2
      if starts[mid] <= offset { low = mid + 1 } else { high = mid }
    }
    return max(low, 1)
  }
}

/// Byte searches with `memchr`, fast in debug builds too.
enum ByteScan {
  /// The offsets of every `byte` in `bytes[..<before]`.
  static func offsets(of byte: UInt8, in bytes: [UInt8], before end: Int? = nil) -> [Int] {
    let limit = min(end ?? bytes.count, bytes.count)
    var found: [Int] = []
    bytes.withUnsafeBytes { raw in
      guard let base = raw.baseAddress, limit > 0 else { return }
      var offset = 0
      while offset < limit, let hit = memchr(base + offset, Int32(byte), limit - offset) {
        let at = base.distance(to: UnsafeRawPointer(hit))
        found.append(at)
        offset = at + 1
      }
    }
    return found
  }

  /// The first offset of `byte` in `bytes[from..<to]`.
  static func first(_ byte: UInt8, in bytes: [UInt8], from: Int, to: Int) -> Int? {
    guard from < to, to <= bytes.count else { return nil }
    return bytes.withUnsafeBytes { raw -> Int? in
      guard let base = raw.baseAddress, let hit = memchr(base + from, Int32(byte), to - from) else { return nil }
      return base.distance(to: UnsafeRawPointer(hit))
    }
  }
}

// MARK: - text decoding

enum TextDecoding {
  /// Turns file bytes into text, or throws for binary data.
  static func decode(_ bytes: [UInt8], file: String) throws(ServerConfiguration.ParseError) -> String {
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
      return try utf8OrLegacy(Array(bytes.dropFirst(3)), file: file)
    }
    if bytes.starts(with: [0xFF, 0xFE]) { return utf16(bytes.dropFirst(2), bigEndian: false) }
    if bytes.starts(with: [0xFE, 0xFF]) { return utf16(bytes.dropFirst(2), bigEndian: true) }
    // UTF-16 without a byte order mark: ASCII text with every other byte zero.
    if bytes.count >= 4 {
      let sample = bytes.prefix(512)
      let evenZeros = stride(from: 0, to: sample.count, by: 2).filter { sample[$0] == 0 }.count
      let oddZeros = stride(from: 1, to: sample.count, by: 2).filter { sample[$0] == 0 }.count
      let half = sample.count / 2
      if oddZeros * 10 >= half * 9 && evenZeros == 0 { return utf16(bytes[...], bigEndian: false) }
      if evenZeros * 10 >= half * 9 && oddZeros == 0 { return utf16(bytes[...], bigEndian: true) }
    }
    return try utf8OrLegacy(bytes, file: file)
  }

  private static func utf8OrLegacy(_ bytes: [UInt8], file: String) throws(ServerConfiguration.ParseError) -> String {
    // Control characters other than tab, CR, LF and form feed mean binary data.
    let control = bytes.withUnsafeBufferPointer { buffer -> Int? in
      for i in 0..<buffer.count {
        let b = buffer[i]
        if b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D && b != 0x0C { return i }
      }
      return nil
    }
    if let offset = control {
      let line = ByteScan.offsets(of: 0x0A, in: bytes, before: offset).count + 1
      throw ServerConfiguration.ParseError(
        file: file, line: line,
        message: String(
          format: "binary data (byte 0x%02X), not a text file: this is not a server configuration", bytes[offset]),
        kind: .binary)
    }
    if let text = String(validating: bytes, as: UTF8.self) { return text }
    // Windows-1252 (CustomSettings.config saved by an ANSI editor).
    return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar(cp1252($0)) ?? "\u{FFFD}" }))
  }

  private static func cp1252(_ byte: UInt8) -> UInt32 {
    let table: [UInt32] = [
      0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
      0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
      0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
    ]
    if byte >= 0x80 && byte < 0xA0 { return table[Int(byte - 0x80)] }
    return UInt32(byte)
  }

  static func utf16(_ bytes: ArraySlice<UInt8>, bigEndian: Bool) -> String {
    var units: [UInt16] = []
    units.reserveCapacity(bytes.count / 2)
    var index = bytes.startIndex
    while index + 1 < bytes.endIndex {
      let a = UInt16(bytes[index])
      let b = UInt16(bytes[index + 1])
      units.append(bigEndian ? (a << 8 | b) : (b << 8 | a))
      index += 2
    }
    return String(decoding: units, as: UTF16.self)
  }
}

// MARK: - CustomSettings.config (XML)

/// A small strict reader for the XML of `CustomSettings.config`: elements, attributes, comments,
/// processing instructions and CDATA. No DTDs and no custom entities (nothing to expand).
enum XMLSettings {
  static let maximumDepth = 256

  static func parse(_ b: [UInt8], lines: LineIndex, file: String) throws(ServerConfiguration.ParseError)
    -> ServerConfiguration.Parsed
  {
    var result = ServerConfiguration.Parsed(format: .customSettings)
    var stack: [(name: String, line: Int, isAppSettings: Bool)] = []
    var insideAppSettings = 0
    var rootClosed = false
    var sawRoot = false
    var elementNames = Set<String>()
    let n = b.count
    var i = 0

    func line(_ offset: Int) -> Int { lines.line(at: offset) }
    func fail(_ offset: Int, _ message: String) throws(ServerConfiguration.ParseError) -> Never {
      try ServerConfiguration.fail(file, line(offset), message)
    }
    func starts(_ literal: String, at offset: Int) -> Bool {
      var k = offset
      for byte in literal.utf8 {
        guard k < n, b[k] == byte else { return false }
        k += 1
      }
      return true
    }
    func find(_ literal: String, from offset: Int) -> Int? {
      let needle = Array(literal.utf8)
      var k = offset
      while k + needle.count <= n {
        if b[k] == needle[0] {
          var match = true
          for j in 1..<needle.count where b[k + j] != needle[j] {
            match = false
            break
          }
          if match { return k }
        }
        k += 1
      }
      return nil
    }
    func isNameStart(_ c: UInt8) -> Bool {
      (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x3A || c >= 0x80
    }
    func isNameChar(_ c: UInt8) -> Bool {
      isNameStart(c) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x2E
    }
    func name(at offset: inout Int) throws(ServerConfiguration.ParseError) -> String? {
      guard offset < n, isNameStart(b[offset]) else { return nil }
      let start = offset
      while offset < n, isNameChar(b[offset]) { offset += 1 }
      // Names go into error messages: a hostile file must not make them huge.
      if offset - start > 200 { try fail(start, "a name longer than 200 characters") }
      return String(decoding: b[start..<offset], as: UTF8.self)
    }
    func skipSpace(_ offset: inout Int) {
      while offset < n, ServerConfiguration.isSpace(b[offset]) { offset += 1 }
    }
    func describe(_ c: UInt8) -> String {
      c >= 0x21 && c < 0x7F ? "'\(Character(Unicode.Scalar(c)))'" : String(format: "byte 0x%02X", c)
    }

    while i < n {
      if b[i] != UInt8(ascii: "<") {
        // Character data up to the next tag.
        let start = i
        while i < n, b[i] != UInt8(ascii: "<") { i += 1 }
        if stack.isEmpty {
          if let offset = (start..<i).first(where: { !ServerConfiguration.isSpace(b[$0]) }) {
            try fail(offset, sawRoot ? "text after the root element" : "text before the root element: this is not XML")
          }
        } else {
          _ = try decodeEntities(b[start..<i], file: file, line: line(start))
        }
        continue
      }
      let tagStart = i
      if starts("<!--", at: i) {
        guard let end = find("-->", from: i + 4) else { try fail(tagStart, "unclosed comment (<!-- without -->)") }
        if result.notes.count < 200 {
          result.notes.append(String(decoding: b[(i + 4)..<end].prefix(2000), as: UTF8.self))
        }
        i = end + 3
        continue
      }
      if starts("<?", at: i) {
        guard let end = find("?>", from: i + 2) else {
          try fail(tagStart, "unclosed processing instruction (<? without ?>)")
        }
        i = end + 2
        continue
      }
      if starts("<![CDATA[", at: i) {
        if stack.isEmpty { try fail(tagStart, "CDATA section outside the root element") }
        guard let end = find("]]>", from: i + 9) else { try fail(tagStart, "unclosed CDATA section") }
        i = end + 3
        continue
      }
      if starts("<!", at: i) {
        try fail(tagStart, "DOCTYPE and other declarations are not allowed in a server configuration")
      }
      if starts("</", at: i) {
        var k = i + 2
        guard let closing = try name(at: &k) else {
          try fail(tagStart, "malformed closing tag: '</' must be followed by an element name")
        }
        skipSpace(&k)
        guard k < n, b[k] == UInt8(ascii: ">") else {
          try fail(
            tagStart,
            k < n
              ? "malformed closing tag </\(closing): expected '>'"
              : "unclosed tag </\(closing): the file ends before '>'")
        }
        guard let open = stack.last else { try fail(tagStart, "closing tag </\(closing)> has no opening tag") }
        guard open.name == closing else {
          try ServerConfiguration.fail(
            file, open.line, "unclosed element <\(open.name)> (found </\(closing)> at line \(line(tagStart)))")
        }
        stack.removeLast()
        if open.isAppSettings { insideAppSettings -= 1 }
        if stack.isEmpty { rootClosed = true }
        i = k + 1
        continue
      }
      // A start tag.
      var k = i + 1
      guard let element = try name(at: &k) else {
        try fail(
          tagStart, k < n ? "'<' followed by \(describe(b[k])), not by an element name" : "the file ends after '<'")
      }
      if rootClosed { try fail(tagStart, "a second root element <\(element)>: an XML file has exactly one") }
      var attributes: [(String, String)] = []
      // Names seen, for the duplicate check in constant time (a linear search per attribute made
      // an element with 100,000 attributes take minutes).
      var attributeNames = Set<String>()
      var selfClosing = false
      while true {
        let before = k
        skipSpace(&k)
        guard k < n else { try fail(tagStart, "unclosed element <\(element)>: the file ends inside the tag") }
        if b[k] == UInt8(ascii: "/") {
          guard k + 1 < n, b[k + 1] == UInt8(ascii: ">") else {
            try fail(k, "in <\(element)>: '/' must be followed by '>'")
          }
          selfClosing = true
          k += 2
          break
        }
        if b[k] == UInt8(ascii: ">") {
          k += 1
          break
        }
        if b[k] == UInt8(ascii: "<") { try fail(tagStart, "unclosed element <\(element)>: '<' before the tag's '>'") }
        if k == before && !attributes.isEmpty {
          try fail(k, "in <\(element)>: attributes must be separated by white space")
        }
        let attributeStart = k
        guard let attribute = try name(at: &k) else { try fail(k, "unexpected \(describe(b[k])) in <\(element)>") }
        skipSpace(&k)
        guard k < n, b[k] == UInt8(ascii: "=") else {
          try fail(k < n ? k : attributeStart, "attribute '\(attribute)' of <\(element)> has no value (expected '=')")
        }
        k += 1
        skipSpace(&k)
        guard k < n, b[k] == UInt8(ascii: "\"") || b[k] == UInt8(ascii: "'") else {
          try fail(
            k < n ? k : attributeStart, "the value of attribute '\(attribute)' of <\(element)> must be in quotes")
        }
        let quote = b[k]
        let valueStart = k + 1
        var end = valueStart
        while end < n, b[end] != quote {
          if b[end] == UInt8(ascii: "<") {
            try fail(end, "'<' in the value of attribute '\(attribute)' of <\(element)> (missing closing quote?)")
          }
          end += 1
        }
        guard end < n else { try fail(attributeStart, "attribute '\(attribute)' of <\(element)> has no closing quote") }
        let value = try decodeEntities(b[valueStart..<end], file: file, line: line(valueStart))
        guard attributeNames.insert(attribute).inserted else {
          try fail(attributeStart, "duplicate attribute '\(attribute)' in <\(element)>")
        }
        attributes.append((attribute, value))
        k = end + 1
      }
      let elementLine = line(tagStart)
      if stack.isEmpty {
        sawRoot = true
        result.rootLine = elementLine
      }
      elementNames.insert(element.lowercased())
      let lower = element.lowercased()
      if lower == "add" && insideAppSettings > 0 {
        guard let key = attributes.first(where: { $0.0 == "key" })?.1 else {
          try ServerConfiguration.fail(file, elementLine, "<add> without a key attribute")
        }
        let value = attributes.first(where: { $0.0 == "value" })?.1 ?? ""
        result.settings.append(.init(key: key, value: value, line: elementLine, truncated: false))
      }
      if !selfClosing {
        guard stack.count < maximumDepth else {
          try ServerConfiguration.fail(file, elementLine, "elements nested deeper than \(maximumDepth) levels")
        }
        let isAppSettings = lower == "appsettings"
        if isAppSettings { insideAppSettings += 1 }
        stack.append((element, elementLine, isAppSettings))
      } else if stack.isEmpty {
        rootClosed = true
      }
      i = k
    }
    if let open = stack.last { try ServerConfiguration.fail(file, open.line, "unclosed element <\(open.name)>") }
    if !sawRoot {
      try ServerConfiguration.fail(file, lines.line(at: max(n - 1, 0)), "no root element: expected <appSettings>")
    }
    if elementNames.contains("system.webserver") || elementNames.contains("system.web") {
      result.foreignHint = "it looks like an IIS or ASP.NET web.config"
    } else if !elementNames.contains("appsettings") {
      result.foreignHint = "it has no <appSettings> element"
    }
    return result
  }

  /// Decodes `&amp; &lt; &gt; &quot; &apos; &#N; &#xN;`; any other `&` is an error.
  static func decodeEntities(_ bytes: ArraySlice<UInt8>, file: String, line: Int) throws(ServerConfiguration.ParseError)
    -> String
  {
    guard bytes.contains(UInt8(ascii: "&")) else { return String(decoding: bytes, as: UTF8.self) }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var i = bytes.startIndex
    while i < bytes.endIndex {
      let c = bytes[i]
      guard c == UInt8(ascii: "&") else {
        out.append(c)
        i += 1
        continue
      }
      guard let semicolon = bytes[i..<min(i + 12, bytes.endIndex)].firstIndex(of: UInt8(ascii: ";")) else {
        try ServerConfiguration.fail(file, line, "'&' that starts no entity (write &amp; for a literal '&')")
      }
      let entity = String(decoding: bytes[(i + 1)..<semicolon], as: UTF8.self)
      switch entity {
      case "amp": out.append(UInt8(ascii: "&"))
      case "lt": out.append(UInt8(ascii: "<"))
      case "gt": out.append(UInt8(ascii: ">"))
      case "quot": out.append(UInt8(ascii: "\""))
      case "apos": out.append(UInt8(ascii: "'"))
      default:
        var scalar: Unicode.Scalar?
        if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
          scalar = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
        } else if entity.hasPrefix("#") {
          scalar = UInt32(entity.dropFirst(), radix: 10).flatMap(Unicode.Scalar.init)
        } else {
          try ServerConfiguration.fail(
            file, line, "unknown entity &\(entity); (only &amp; &lt; &gt; &quot; &apos; and &#…; are allowed)")
        }
        guard let scalar, scalar.value != 0 else {
          try ServerConfiguration.fail(file, line, "invalid character reference &\(entity);")
        }
        out.append(contentsOf: Array(String(Character(scalar)).utf8))
      }
      i = semicolon + 1
    }
    return String(decoding: out, as: UTF8.self)
  }
}

// MARK: - Get-NAVServerConfiguration as text

/// The two text shapes PowerShell prints:
///
///     key                          value          key   : ValidAudiences
///     ---                          -----          value : https://api.businesscentral.dynamics.com
///     ApiServicesEnabled           True
///
/// and `Name : Value` lines (a hashtable or `Get-NAVServerInstance | Format-List`). Long
/// Format-List values wrap onto indented continuation lines; table values may end in `...`.
enum TextSettings {
  static func parse(_ bytes: [UInt8], file: String) throws(ServerConfiguration.ParseError)
    -> ServerConfiguration.Parsed
  {
    var result = ServerConfiguration.Parsed(format: .list)
    // Split into lines (CR LF or LF), keeping them as byte slices.
    var lines: [ArraySlice<UInt8>] = []
    var start = 0
    for offset in ByteScan.offsets(of: 0x0A, in: bytes) {
      lines.append(bytes[start..<(offset > start && bytes[offset - 1] == 0x0D ? offset - 1 : offset)])
      start = offset + 1
    }
    lines.append(bytes[start..<bytes.count])

    var inTable = false
    var sawTable = false
    var pendingKey: (key: String, line: Int)?
    var last: Int?  // the setting a continuation line extends
    var firstSetting: Int?
    var index = 0
    while index < lines.count {
      let raw = lines[index]
      let lineNumber = index + 1
      index += 1
      let text = String(decoding: raw, as: UTF8.self)
      let trimmed = text.trimmedSpaces
      if trimmed.isEmpty {
        inTable = false
        last = nil
        continue
      }
      // A table header followed by its dashes.
      let words = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.lowercased() }
      if (words == ["key", "value"] || words == ["name", "value"]) && index < lines.count {
        let dashes = lines[index]
        if dashes.contains(UInt8(ascii: "-"))
          && dashes.allSatisfy({ $0 == UInt8(ascii: "-") || $0 == 0x20 || $0 == 0x09 })
        {
          inTable = true
          sawTable = true
          last = nil
          index += 1
          continue
        }
      }
      let indented = raw.first == 0x20 || raw.first == 0x09
      if inTable && !indented {
        let parts = trimmed.split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" })
        let key = String(parts[0])
        let value = parts.count > 1 ? String(parts[1]).trimmedSpaces : ""
        if !key.hasSuffix("...") && !key.hasSuffix("…") {
          result.settings.append(
            .init(key: key, value: value, line: lineNumber, truncated: value.hasSuffix("...") || value.hasSuffix("…")))
          firstSetting = firstSetting ?? lineNumber
        }
        continue
      }
      if indented, let last {
        // A wrapped Format-List value continues at the value column.
        result.settings[last].value += trimmed
        continue
      }
      if !indented, let (name, value) = listEntry(text) {
        switch name.lowercased() {
        case "key", "name":
          pendingKey = (value, lineNumber)
          last = nil
        case "value":
          if let pending = pendingKey {
            result.settings.append(.init(key: pending.key, value: value, line: pending.line, truncated: false))
            firstSetting = firstSetting ?? pending.line
            last = result.settings.count - 1
            pendingKey = nil
          }
        default:
          result.settings.append(.init(key: name, value: value, line: lineNumber, truncated: false))
          firstSetting = firstSetting ?? lineNumber
          last = result.settings.count - 1
        }
        continue
      }
      // Anything else: a prompt, a command line, a banner. Keep it for the version and instance.
      last = nil
      if result.notes.count < 200 { result.notes.append(String(trimmed.prefix(2000))) }
      if result.instanceHint == nil { result.instanceHint = instanceArgument(trimmed) }
    }
    if sawTable { result.format = .table }
    result.rootLine = firstSetting ?? 1
    return result
  }

  /// `Name : Value` with a name like a setting key (letters, digits, `_ . -`, no spaces).
  static func listEntry(_ line: String) -> (String, String)? {
    guard let colon = line.firstIndex(of: ":") else { return nil }
    let name = line[..<colon].trimmedSpaces
    guard let first = name.first, first.isASCII, first.isLetter, name.count <= 100,
      name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-") })
    else { return nil }
    // "C:\…" or "https://…" are values, not "name : value".
    let rest = line[line.index(after: colon)...]
    if name.count == 1 && rest.first == "\\" { return nil }
    if rest.hasPrefix("//") { return nil }
    return (name, rest.trimmedSpaces)
  }

  /// `-ServerInstance BC` (or `-ServerInstance 'BC'`) in a saved command line.
  static func instanceArgument(_ line: String) -> String? {
    guard let range = line.range(of: "-ServerInstance", options: .caseInsensitive) else { return nil }
    let rest = line[range.upperBound...].drop(while: { $0 == " " || $0 == ":" })
    let value = rest.prefix { !$0.isWhitespace }.trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
    guard !value.isEmpty, value.count <= 64, !value.hasPrefix("-"), !value.hasPrefix("$") else { return nil }
    return value
  }
}

// MARK: - Get-NAVServerConfiguration as JSON

/// `ConvertTo-Json` output: `[{"key": "ValidAudiences", "value": "…"}, …]`, the same wrapped as
/// `{"value": [...], "Count": n}`, or one object mapping keys to values.
enum JSONSettings {
  static func parse(_ bytes: [UInt8], lines: LineIndex, file: String) throws(ServerConfiguration.ParseError)
    -> ServerConfiguration.Parsed
  {
    guard let document = JSONValue.parse(Data(bytes)) else {
      let (line, message) =
        JSONLocator.firstError(bytes, lines: lines)
        ?? (1, "malformed JSON (nested too deep or invalid text)")
      try ServerConfiguration.fail(file, line, message)
    }
    var result = ServerConfiguration.Parsed(format: .json)
    func text(_ value: JSONValue) -> String {
      switch value {
      case .string(let s): s
      case .bool(let b): b ? "True" : "False"
      case .null: ""
      case .array(let items): items.compactMap(\.string).joined(separator: ";")
      default: value.string ?? ""
      }
    }
    func field(_ object: [String: JSONValue], _ names: [String]) -> JSONValue? {
      object.first { entry in names.contains(entry.key.lowercased()) }?.value
    }
    var items: [JSONValue]?
    switch document {
    case .array(let array): items = array
    case .object(let object):
      if object.keys.contains(where: { $0.lowercased() == "navwebsettings" }) {
        result.foreignHint = "it is a web server instance's navsettings.json, not the server instance's settings"
        return result
      }
      if let wrapped = field(object, ["value"])?.array, field(object, ["count"]) != nil {
        items = wrapped
      } else if let key = field(object, ["key", "name"])?.string, let value = field(object, ["value"]) {
        items = [.object(["key": .string(key), "value": value])]
      } else {
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
          result.settings.append(.init(key: key, value: text(value), line: 0, truncated: false))
        }
      }
    default:
      try ServerConfiguration.fail(
        file, 1, "this JSON is not a server configuration: expected an array of {key, value} objects or one object",
        .notBusinessCentral)
    }
    for item in items ?? [] {
      guard case .object(let object) = item, let key = field(object, ["key", "name"])?.string else { continue }
      result.settings.append(
        .init(key: key, value: field(object, ["value"]).map(text) ?? "", line: 0, truncated: false))
    }
    return result
  }
}

/// Finds where a JSON text goes wrong, for an error message with a line number. It validates the
/// syntax only (the values come from `JSONValue.parse`) and keeps its stack on the heap.
enum JSONLocator {
  static func firstError(_ b: [UInt8], lines: LineIndex) -> (Int, String)? {
    enum Expect { case value, key, colon, commaOrEnd }
    var stack: [UInt8] = []
    var expect = Expect.value
    var i = 0
    let n = b.count
    if b.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
    func error(_ offset: Int, _ message: String) -> (Int, String) {
      (lines.line(at: min(offset, max(n - 1, 0))), message)
    }
    func describe(_ c: UInt8) -> String {
      c >= 0x21 && c < 0x7F ? "'\(Character(Unicode.Scalar(c)))'" : String(format: "byte 0x%02X", c)
    }
    var done = false
    while true {
      while i < n, ServerConfiguration.isSpace(b[i]) { i += 1 }
      guard i < n else {
        if let open = stack.last {
          return error(
            n,
            "the JSON ends inside \(open == UInt8(ascii: "{") ? "an object" : "an array") (missing '\(open == UInt8(ascii: "{") ? "}" : "]")')"
          )
        }
        return done ? nil : error(n, "the JSON ends before a value")
      }
      let c = b[i]
      if done { return error(i, "unexpected \(describe(c)) after the end of the JSON document") }
      switch expect {
      case .value, .key:
        // (An empty object or array is consumed when it opens, so '}' here is a trailing comma.)
        if expect == .key && c != UInt8(ascii: "\"") {
          return error(i, "expected a \"key\" in quotes, found \(describe(c))")
        }
        switch c {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
          stack.append(c)
          i += 1
          while i < n, ServerConfiguration.isSpace(b[i]) { i += 1 }
          if i < n, b[i] == (c == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
            stack.removeLast()
            i += 1
            expect = .commaOrEnd
            if stack.isEmpty { done = true }
            continue
          }
          expect = c == UInt8(ascii: "{") ? .key : .value
          continue
        case UInt8(ascii: "\""):
          let start = i
          i += 1
          while i < n, b[i] != UInt8(ascii: "\"") {
            if b[i] < 0x20 { return error(i, "a control character (line break?) inside a string") }
            if b[i] == UInt8(ascii: "\\") {
              guard i + 1 < n else { return error(start, "unterminated string") }
              let e = b[i + 1]
              guard "\"\\/bfnrtu".utf8.contains(e) else {
                return error(i, "invalid escape \\\(Character(Unicode.Scalar(e))) in a string")
              }
              i += 1
            }
            i += 1
          }
          guard i < n else { return error(start, "unterminated string") }
          i += 1
          if expect == .key {
            expect = .colon
            continue
          }
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
          let word = c == UInt8(ascii: "t") ? "true" : c == UInt8(ascii: "f") ? "false" : "null"
          guard b[i...].starts(with: word.utf8) else { return error(i, "unexpected \(describe(c)): expected a value") }
          i += word.utf8.count
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
          let start = i
          if b[i] == UInt8(ascii: "-") { i += 1 }
          let digits = i
          while i < n, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) { i += 1 }
          if i == digits { return error(start, "malformed number") }
          if i < n, b[i] == UInt8(ascii: ".") {
            i += 1
            let fraction = i
            while i < n, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) { i += 1 }
            if i == fraction { return error(start, "malformed number") }
          }
          if i < n, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < n, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            let exponent = i
            while i < n, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) { i += 1 }
            if i == exponent { return error(start, "malformed number") }
          }
        default:
          return error(i, "unexpected \(describe(c)): expected a value")
        }
        expect = .commaOrEnd
        if stack.isEmpty { done = true }
      case .colon:
        guard c == UInt8(ascii: ":") else { return error(i, "expected ':' after a key, found \(describe(c))") }
        i += 1
        expect = .value
      case .commaOrEnd:
        guard let open = stack.last else { return error(i, "unexpected \(describe(c))") }
        let close = open == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
        if c == UInt8(ascii: ",") {
          i += 1
          expect = open == UInt8(ascii: "{") ? .key : .value
        } else if c == close {
          stack.removeLast()
          i += 1
          if stack.isEmpty { done = true }
        } else {
          return error(i, "expected ',' or '\(Character(Unicode.Scalar(close)))', found \(describe(c))")
        }
      }
    }
  }
}

// MARK: - version

/// Finds the Business Central version a file states: a version key, or a comment or transcript
/// line such as `Business Central 18.4 (Platform 18.0.24515.0 + Application 18.4.24516.0)`.
enum VersionFinder {
  static let keys = ["ApplicationVersion", "ServerVersion", "ProductVersion", "Version", "BuildVersion"]
  /// Words that must come right before a version number in free text.
  static let anchors = ["application version", "application", "business central", "version", "build", "bc"]

  static func find(settings: [ServerConfiguration.Setting], notes: [String]) -> ServerConfiguration.ProductVersion? {
    for key in keys {
      if let setting = settings.last(where: { $0.key.caseInsensitiveCompare(key) == .orderedSame }),
        let version = parse(
          setting.value.trimmedSpaces, source: "setting \(setting.key)",
          labelledApplication: setting.key.lowercased() == "applicationversion")
      {
        return version
      }
    }
    for note in notes {
      if let version = inText(note) { return version }
    }
    return nil
  }

  /// The first version right after an anchor word ("Application 18.4.24516.0", "Version: 18.4").
  static func inText(_ text: String) -> ServerConfiguration.ProductVersion? {
    let lower = Array(text.lowercased().utf8.prefix(4000))
    for anchor in anchors {
      let needle = Array(anchor.utf8)
      var from = 0
      while from + needle.count <= lower.count {
        guard let at = indexOf(needle, in: lower, from: from) else { break }
        from = at + 1
        // The anchor must be a whole word.
        if at > 0, isWordByte(lower[at - 1]) { continue }
        var i = at + needle.count
        if i < lower.count, isWordByte(lower[i]) { continue }
        var skipped = 0
        while i < lower.count, skipped < 4, [0x20, 0x3A, 0x3D, 0x09, 0x76].contains(lower[i]) {  // space : = tab v
          i += 1
          skipped += 1
        }
        var end = i
        while end < lower.count, (lower[end] >= 0x30 && lower[end] <= 0x39) || lower[end] == 0x2E { end += 1 }
        let candidate = String(decoding: lower[i..<end], as: UTF8.self)
        let source = "“\(text.trimmedWhitespace.prefix(80))”"
        if let version = parse(candidate, source: source, labelledApplication: anchor.hasPrefix("application")) {
          return version
        }
      }
    }
    return nil
  }

  static func parse(_ text: String, source: String, labelledApplication: Bool = false)
    -> ServerConfiguration.ProductVersion?
  {
    var candidate = text
    while candidate.hasSuffix(".") { candidate.removeLast() }
    let parts = candidate.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count >= 2, parts.count <= 4,
      parts.allSatisfy({ !$0.isEmpty && $0.count <= 9 && $0.allSatisfy(\.isNumber) }),
      let major = Int(parts[0]), let minor = Int(parts[1]), (7...99).contains(major), minor <= 99
    else { return nil }
    return .init(
      major: major, minor: minor, text: candidate, source: source,
      isPlatformBuild: minor == 0 && parts.count >= 3 && !labelledApplication)
  }

  private static func isWordByte(_ b: UInt8) -> Bool {
    (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x5F
  }

  private static func indexOf(_ needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
    guard !needle.isEmpty, hay.count >= needle.count else { return nil }
    var i = from
    while i + needle.count <= hay.count {
      if hay[i] == needle[0] && hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
      i += 1
    }
    return nil
  }
}

// MARK: - the checks

extension ServerConfiguration {
  /// The `onprem.server-config` check: loads `settings.serverConfig` and checks it against the
  /// token's claims (`nil` when no token could be had). A file that cannot be parsed is
  /// `could-not-test` here; the CLI rejects it earlier with exit 64 via `load(path:)`.
  public static func diagnose(settings: ConnectionSettings, claims: TokenClaims?) -> Outcome {
    guard let path = settings.serverConfig, !path.isEmpty else {
      return .couldNotTest(nil, "no server configuration was given (--server-config)")
    }
    do {
      return try load(path: path).diagnose(settings: settings, claims: claims)
    } catch {
      return .couldNotTest(nil, "\(error.description)", evidence: [.init("config.file", path)])
    }
  }

  /// Checks, in this order: ValidAudiences, ClientServicesCredentialType, the metadata location,
  /// ApiServicesEnabled/ODataServicesEnabled, PublicWebBaseUrl against the redirect URI, the
  /// version and Multitenant. The first problem is the outcome; every key read is evidence.
  public func diagnose(settings: ConnectionSettings, claims: TokenClaims?) -> Outcome {
    var check = ConfigurationCheck(configuration: self, settings: settings, claims: claims)
    return check.run()
  }

  /// The instance name for fix commands: the configuration's, the one in `--bc-url`, or `BC`.
  func instanceName(settings: ConnectionSettings) -> String {
    serverInstance ?? Self.fallbackInstance(settings: settings)
  }
}

/// PowerShell text for fix commands.
enum PowerShell {
  /// A double-quoted PowerShell string: `` ` ``, `"` and `$` escaped with a backtick.
  static func quote(_ value: String) -> String {
    var out = "\""
    for c in value {
      if c == "`" || c == "\"" || c == "$" { out.append("`") }
      out.append(c)
    }
    return out + "\""
  }

  /// A bare argument when it is a simple word, else quoted.
  static func argument(_ value: String) -> String {
    let simple =
      !value.isEmpty
      && value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }
    return simple ? value : quote(value)
  }

  static func set(_ instance: String, _ key: String, _ value: String) -> String {
    "Set-NAVServerConfiguration -ServerInstance \(argument(instance)) -KeyName \(key) -KeyValue \(quote(value))"
  }

  static func restart(_ instance: String) -> String {
    "Restart-NAVServerInstance -ServerInstance \(argument(instance))"
  }
}

/// One run of the configuration checks.
struct ConfigurationCheck {
  let configuration: ServerConfiguration
  let settings: ConnectionSettings
  let claims: TokenClaims?
  let instance: String
  var evidence: [EvidenceItem] = []
  var problems: [Outcome] = []
  var verified: [String] = []
  var notes: [String] = []
  private var read = Set<String>()

  init(configuration: ServerConfiguration, settings: ConnectionSettings, claims: TokenClaims?) {
    self.configuration = configuration
    self.settings = settings
    self.claims = claims
    self.instance = configuration.instanceName(settings: settings)
  }

  /// Reads a key and records it as evidence (once).
  mutating func value(_ key: String) -> String? {
    let setting = configuration.setting(key)
    if read.insert(key.lowercased()).inserted {
      var shown = setting.map { $0.value.isEmpty ? "(empty)" : $0.value } ?? "(not set)"
      if setting?.truncated == true { shown += " (cut off by the table view)" }
      evidence.append(.init("config.\(setting?.key ?? key)", String(shown.prefix(500))))
    }
    guard let value = setting?.value.trimmedWhitespace, !value.isEmpty else {
      return nil
    }
    return value
  }

  func isTruncated(_ key: String) -> Bool { configuration.setting(key)?.truncated == true }

  var restart: String { PowerShell.restart(instance) }

  /// The token's tenant, else the `--tenant` GUID.
  var tenantID: String? {
    if let tid = claims?.tenantID, InputValidation.isGUID(tid) { return tid.lowercased() }
    if let tenant = settings.tenant, InputValidation.isGUID(tenant) { return tenant.lowercased() }
    return nil
  }

  var version: ServerConfiguration.ProductVersion? { configuration.version }

  /// A configuration value as quoted in a detail: at most 300 characters.
  static func clip(_ value: String) -> String {
    value.count <= 300 ? value : String(value.prefix(300)) + "…"
  }

  mutating func run() -> Outcome {
    evidence.append(.init("config.file", configuration.file))
    evidence.append(.init("config.format", configuration.format.rawValue))
    evidence.append(.init("config.serverInstance", instance))
    if let version {
      evidence.append(.init("config.version", "\(version.text) (from \(version.source))"))
    }
    audience()
    credentialType()
    metadata()
    services()
    redirect()
    webClientClientID()
    versionGate()
    multitenant()

    if var first = problems.first {
      let others = problems.dropFirst().compactMap(\.reason)
      if !others.isEmpty {
        first.detail = (first.detail ?? "") + " (Also found: \(others.joined(separator: ", ")).)"
        evidence.append(.init("config.otherProblems", others.joined(separator: ", ")))
      }
      first.evidence = evidence + first.evidence
      return first
    }
    var detail = verified.joined(separator: "; ")
    if !notes.isEmpty { detail += ". Note: " + notes.joined(separator: " ") }
    return .passed(detail, evidence: evidence)
  }

  // MARK: ValidAudiences

  mutating func audience() {
    let key = "ValidAudiences"
    let raw = value(key) ?? ""
    let entries = raw.split(separator: ";").map { $0.trimmedSpaces }.filter { !$0.isEmpty }
    let tokenAudiences = claims?.audiences ?? []
    var required: [String]
    var why = ""
    if tokenAudiences.isEmpty {
      required = [BusinessCentral.resource]
      why = claims == nil ? " (no token could be had, so the standard audience is required)" : " (the token has no aud)"
    } else {
      required = tokenAudiences.filter(BusinessCentral.audiences.contains)
      if required.isEmpty {
        required = [BusinessCentral.resource]
        why =
          " (the token's aud \(tokenAudiences.joined(separator: ", ")) is not Business Central's; token.audience reports that)"
      }
    }
    evidence.append(.init("token.aud", tokenAudiences.isEmpty ? "(no token)" : tokenAudiences.joined(separator: ", ")))
    if let match = required.first(where: entries.contains) {
      verified.append("ValidAudiences contains \(match)")
      return
    }
    let wanted = required[0]
    func normalized(_ s: String) -> String {
      var s = s.lowercased()
      while s.hasSuffix("/") { s.removeLast() }
      return BusinessCentral.audiences.contains(s) || s == BusinessCentral.resourceAppID ? "bc" : s
    }
    let variants = entries.filter { normalized($0) == normalized(wanted) }
    var newValue = (entries + [wanted]).joined(separator: ";")
    if newValue.count > 2000 { newValue = "<existing entries>;\(wanted)" }
    let shownValue = Self.clip(raw)
    let fix = "Add it: \(PowerShell.set(instance, key, newValue)), then \(restart)"
    if isTruncated(key) {
      problems.append(
        .couldNotTest(
          Reason.onpremAudienceNotValid,
          "ValidAudiences is cut off in \(configuration.file) (the table view shortens long values), so it cannot be checked for \(wanted). Save the full value with Get-NAVServerConfiguration -ServerInstance \(PowerShell.argument(instance)) | ConvertTo-Json > config.json and run again."
        ))
      return
    }
    var detail: String
    if raw.isEmpty {
      detail =
        "ValidAudiences is \(configuration.setting(key) == nil ? "not set" : "empty"), so the server accepts no S2S token; it needs the token's exact aud '\(wanted)'\(why)."
    } else if !variants.isEmpty {
      detail =
        "ValidAudiences (\"\(shownValue)\") lacks the token's exact aud '\(wanted)'\(why); it has only the variant '\(variants.joined(separator: "', '"))', and the server compares the exact string."
    } else {
      detail = "ValidAudiences (\"\(shownValue)\") lacks the token's exact aud '\(wanted)'\(why)."
    }
    detail += " " + fix + "."
    problems.append(.failed(Reason.onpremAudienceNotValid, detail))
  }

  // MARK: ClientServicesCredentialType

  mutating func credentialType() {
    let key = "ClientServicesCredentialType"
    let current = value(key)
    if current?.caseInsensitiveCompare("AccessControlService") == .orderedSame {
      verified.append("ClientServicesCredentialType is AccessControlService")
      return
    }
    let shown = current.map { "'\(Self.clip($0))'" } ?? "not set (the default is Windows)"
    problems.append(
      .failed(
        Reason.onpremNotEntraAuth,
        "ClientServicesCredentialType is \(shown), so the server does not accept Microsoft Entra tokens. Run \(PowerShell.set(instance, key, "AccessControlService")), set the same key on the web server instance (Set-NAVWebServerInstanceConfiguration -WebServerInstance \(PowerShell.argument(instance)) -KeyName \(key) -KeyValue \"AccessControlService\"), complete the Entra setup (ValidAudiences, metadata location), then \(restart)."
      ))
  }

  // MARK: metadata location

  mutating func metadata() {
    let openID = "ADOpenIdMetadataLocation"
    let federation = "ClientServicesFederationMetadataLocation"
    let major = version.map(\.major)
    // v22+ uses only OpenID Connect; before v20 only WS-Federation exists; v20-21 have both.
    let openIDValue = (major ?? 99) >= 20 ? value(openID) : nil
    let federationValue = (major ?? 0) <= 21 ? value(federation) : nil
    let preferred = (major ?? 99) >= 20 ? openID : federation
    let key: String
    let location: String?
    if let openIDValue {
      (key, location) = (openID, openIDValue)
    } else if let federationValue {
      (key, location) = (federation, federationValue)
    } else {
      (key, location) = (preferred, nil)
      if (major ?? 0) >= 22, let stale = configuration.value(federation), !stale.isEmpty {
        notes.append(
          "Version \(major!) ignores ClientServicesFederationMetadataLocation (WS-Federation was removed in 22).")
        _ = value(federation)
      }
    }
    let tenant = tenantID
    evidence.append(.init("token.tid", claims?.tenantID ?? "(no token)"))
    func url(for tenant: String) -> String {
      if let location, let replaced = Self.replacingTenant(in: location, with: tenant) { return replaced }
      let host =
        settings.authorityHost.hasSuffix("/") ? String(settings.authorityHost.dropLast()) : settings.authorityHost
      return key == openID
        ? "\(host)/\(tenant)/.well-known/openid-configuration"
        : "\(host)/\(tenant)/FederationMetadata/2007-06/FederationMetadata.xml"
    }
    let target = tenant ?? "<tenant id>"
    let fix = "\(PowerShell.set(instance, key, url(for: target))), then \(restart)"
    guard let location else {
      problems.append(
        .failed(
          Reason.onpremMetadataTenantMismatch,
          "Neither ADOpenIdMetadataLocation nor ClientServicesFederationMetadataLocation is set, so the server trusts no Entra tenant. Run \(fix)."
        ))
      return
    }
    if isTruncated(key), location.dropFirst("https://".count).filter({ $0 == "/" }).count < 2 {
      problems.append(
        .couldNotTest(
          Reason.onpremMetadataTenantMismatch,
          "\(key) is cut off in \(configuration.file) before its tenant ('\(Self.clip(location))'). Save the full value with Get-NAVServerConfiguration -ServerInstance \(PowerShell.argument(instance)) | ConvertTo-Json > config.json and run again."
        ))
      return
    }
    guard let segment = Self.tenantSegment(of: location) else {
      problems.append(
        .failed(
          Reason.onpremMetadataTenantMismatch,
          "\(key) ('\(Self.clip(location))') is not a https://login.microsoftonline.com/<tenant>/… address. Run \(fix)."
        ))
      return
    }
    let lower = segment.lowercased()
    if lower == "common" {
      verified.append("\(key) uses common (any tenant)")
    } else if lower == "{aadtenantid}" {
      verified.append("\(key) uses the {AADTENANTID} placeholder")
      notes.append(
        "{AADTENANTID} is replaced by the -AadTenantId a tenant was mounted with; mount it with Mount-NAVTenant … -AadTenantId \(tenant ?? "<tenant id>")."
      )
    } else if tenant == nil {
      verified.append("\(key) names tenant \(segment)")
      notes.append("No token, so it was not compared with the token's tenant.")
    } else if InputValidation.isGUID(segment) {
      if lower == tenant {
        verified.append("\(key) names the token's tenant \(segment)")
      } else {
        problems.append(
          .failed(
            Reason.onpremMetadataTenantMismatch,
            "\(key) names tenant \(segment), but the token was issued by tenant \(tenant!), so the server rejects it (issuer validation). Run \(fix)."
          ))
      }
    } else if let configured = settings.tenant, configured.caseInsensitiveCompare(segment) == .orderedSame {
      verified.append("\(key) names \(segment), the tenant given with --tenant")
    } else {
      verified.append("\(key) names \(segment)")
      notes.append("\(segment) is a domain name; it could not be confirmed offline that it is tenant \(tenant!).")
    }
  }

  /// The first path segment of `https://host/<tenant>/…`; works with `{AADTENANTID}` too.
  static func tenantSegment(of location: String) -> String? {
    guard let scheme = location.range(of: "://") else { return nil }
    let afterHost = location[scheme.upperBound...].drop { $0 != "/" }.dropFirst()
    let segment = afterHost.prefix { $0 != "/" && $0 != "?" }.prefix(300)
    return segment.isEmpty ? nil : String(segment)
  }

  static func replacingTenant(in location: String, with tenant: String) -> String? {
    guard let scheme = location.range(of: "://") else { return nil }
    let rest = location[scheme.upperBound...]
    guard let slash = rest.firstIndex(of: "/") else { return nil }
    let afterSlash = location.index(after: slash)
    let end = location[afterSlash...].firstIndex { $0 == "/" || $0 == "?" } ?? location.endIndex
    guard end > afterSlash else { return nil }
    return String(location[..<afterSlash]) + tenant + String(location[end...])
  }

  // MARK: ApiServicesEnabled / ODataServicesEnabled

  mutating func services() {
    var off: [String] = []
    for key in ["ApiServicesEnabled", "ODataServicesEnabled"] {
      if value(key)?.lowercased() != "true" { off.append(key) }
    }
    if off.isEmpty {
      verified.append("ApiServicesEnabled and ODataServicesEnabled are true")
      return
    }
    let described = off.map { key in
      "\(key) is \(configuration.value(key).map { $0.isEmpty ? "empty" : "'\(Self.clip($0))'" } ?? "not set (default false)")"
    }
    let commands = off.map { PowerShell.set(instance, $0, "true") }.joined(separator: "; ")
    problems.append(
      .failed(
        Reason.onpremApiDisabled,
        "\(described.joined(separator: " and ")), so API calls get HTTP 405. Run \(commands); then \(restart), and in Business Central open API Setup and choose Integrate APIs."
      ))
  }

  // MARK: PublicWebBaseUrl and the redirect URI

  /// With OpenID Connect, a leftover AzureActiveDirectoryClientId breaks the web client's
  /// sign-in ("WSFederationLoginEndpoint … cannot be empty"), and with it granting consent from
  /// the Microsoft Entra Application card. S2S calls still work, so this is a note.
  mutating func webClientClientID() {
    let key = "AzureActiveDirectoryClientId"
    guard configuration.value("ADOpenIdMetadataLocation")?.isEmpty == false, (version?.major ?? 22) >= 20,
      let id = value(key), !id.allSatisfy({ $0 == "0" || $0 == "-" }),
      configuration.value("WSFederationLoginEndpoint")?.trimmedWhitespace.isEmpty ?? true
    else { return }
    notes.append(
      "\(key) is set (\(Self.clip(id))) while sign-in uses OpenID Connect and WSFederationLoginEndpoint is empty: the web client's sign-in, and so consent from the Microsoft Entra Application card, fails with 'WSFederationLoginEndpoint … cannot be empty'. Clear it: \(PowerShell.set(instance, key, "00000000-0000-0000-0000-000000000000")), then \(restart)."
    )
  }

  mutating func redirect() {
    let key = "PublicWebBaseUrl"
    let base = value(key)
    guard let given = settings.redirectURI?.trimmedSpaces, !given.isEmpty else {
      if base != nil { notes.append("No --redirect-uri given, so PublicWebBaseUrl was not compared with it.") }
      return
    }
    evidence.append(.init("redirectUri", given))
    guard let base else {
      notes.append(
        "PublicWebBaseUrl is not set, so Business Central builds the consent redirect from the server's own address; set it to the address users browse to (\(PowerShell.set(instance, key, Self.webBase(of: given))), then \(restart))."
      )
      return
    }
    let givenBase = Self.webBase(of: given)
    guard let expected = InputValidation.onPremRedirectURI(webClientURL: base) else {
      let base = Self.clip(base)
      problems.append(
        .failed(
          Reason.onpremRedirectUriMismatch,
          "PublicWebBaseUrl ('\(base)') is not an https URL, so Business Central sends a redirect URI that Entra ID refuses for consent. Run \(PowerShell.set(instance, key, givenBase)), then \(restart)."
        ))
      return
    }
    evidence.append(.init("redirectUri.expected", expected))
    if given == expected {
      verified.append("PublicWebBaseUrl matches the redirect URI \(given)")
      return
    }
    let sends = "This server sends \(expected) (PublicWebBaseUrl \(base) + OAuthLanding.htm, without :443)"
    if let problem = InputValidation.redirectURI(given, online: false),
      [Reason.inputRedirectUriDefaultPort, Reason.inputRedirectUriNotOauthlanding].contains(problem.reason)
    {
      problems.append(
        .failed(
          problem.reason, "\(problem.detail) \(sends): register exactly \(expected) as a Web redirect URI and use it."))
      return
    }
    problems.append(
      .failed(
        Reason.onpremRedirectUriMismatch,
        "The redirect URI \(given) differs from what this server sends: \(expected) (PublicWebBaseUrl \(base) + OAuthLanding.htm, :443 dropped, case-sensitive). Register \(expected) as a Web redirect URI, or, if users browse to \(givenBase), run \(PowerShell.set(instance, key, givenBase)), then \(restart)."
      ))
  }

  /// `https://host/BC/OAuthLanding.htm` → `https://host/BC/`.
  static func webBase(of redirect: String) -> String {
    var base = redirect
    if let query = base.firstIndex(where: { $0 == "?" || $0 == "#" }) { base = String(base[..<query]) }
    if base.lowercased().hasSuffix("/oauthlanding.htm") { base.removeLast("OAuthLanding.htm".count) }
    return base.hasSuffix("/") ? base : base + "/"
  }

  // MARK: version

  mutating func versionGate() {
    guard let version else {
      notes.append(
        "The file states no version, so the version was not checked (S2S needs 18.11, 19.5 or 20.0 and later).")
      return
    }
    let verify = "Get-NAVServerInstance -ServerInstance \(PowerShell.argument(instance)) | Select-Object Version"
    let oidc =
      version.major < 20
      ? " Note that OpenID Connect exists only from version 20: \(version.major).x authenticates with WS-Federation (ClientServicesFederationMetadataLocation)."
      : ""
    func unsupported(_ needed: String) {
      problems.append(
        .failed(
          Reason.onpremVersionUnsupported,
          "This server is version \(version.text) (from \(version.source)); S2S needs \(needed).\(oidc) Install the latest cumulative update of your version (or upgrade), check with \(verify), then run the checks again."
        ))
    }
    switch version.major {
    case ..<18: unsupported("18.11 or later (18.11 in the 18.x line, 19.5 in 19.x, any 20.0+)")
    case 18, 19:
      let needed = version.major == 18 ? 11 : 5
      if version.isPlatformBuild {
        notes.append(
          "\(version.text) is a platform build number, which does not tell the cumulative update; S2S needs application \(version.major).\(needed) or later (Help & Support in the web client shows it)."
        )
      } else if version.minor < needed {
        unsupported("\(version.major).\(needed) or later")
      } else {
        verified.append("version \(version.text) supports S2S")
        notes.append(oidc.trimmedSpaces)
      }
    default:
      verified.append("version \(version.text) supports S2S")
    }
  }

  // MARK: Multitenant

  mutating func multitenant() {
    let multitenant = value("Multitenant")?.lowercased() == "true"
    guard multitenant else {
      verified.append("single-tenant server")
      return
    }
    if let tenant = settings.serverTenant, !tenant.isEmpty {
      verified.append("multitenant server, calls name tenant \(tenant)")
      return
    }
    let database = configuration.value("DatabaseName").flatMap { $0.isEmpty ? nil : $0 } ?? "<database>"
    problems.append(
      .failed(
        Reason.onpremTenantParameterMissing,
        "The server is multitenant (Multitenant = true), but no Business Central tenant is given, so calls reach no tenant. Pass --server-tenant <BC tenant id> (calls then carry ?tenant=<id>), or use host-name tenants; and mount the tenant with its Entra tenant: Mount-NAVTenant -ServerInstance \(PowerShell.argument(instance)) -Tenant <BC tenant id> -DatabaseName \(PowerShell.argument(database)) -AadTenantId \(tenantID ?? "<Entra tenant id>")."
      ))
  }
}
