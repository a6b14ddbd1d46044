import Foundation
import S2SDoctorCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

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
