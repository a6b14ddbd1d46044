import Foundation
import S2SDoctorCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

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
