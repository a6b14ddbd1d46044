import Foundation
import S2SDoctorCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

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
    for offset in ByteSearch.offsets(of: 0x0A, in: bytes) {
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
