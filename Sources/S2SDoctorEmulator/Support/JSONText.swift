import Foundation

/// A JSON value whose object keys keep the order they were written in.
///
/// Real Entra ID and Business Central bodies have a fixed key order; `JSONSerialization` and
/// `JSONEncoder` do not promise one, so the emulator writes its bodies with this.
enum JSONText: Sendable {
  case string(String)
  case int(Int)
  case bool(Bool)
  case null
  case array([JSONText])
  case object([(String, JSONText)])
  /// Already serialised JSON, inserted verbatim.
  case raw(String)

  /// The compact serialisation (no spaces, like the real services).
  var serialized: String {
    var out = ""
    out.reserveCapacity(256)
    write(into: &out)
    return out
  }

  func write(into out: inout String) {
    switch self {
    case .string(let value): Self.appendQuoted(value, to: &out)
    case .int(let value): out += String(value)
    case .bool(let value): out += value ? "true" : "false"
    case .null: out += "null"
    case .raw(let text): out += text
    case .array(let items):
      out += "["
      for (index, item) in items.enumerated() {
        if index > 0 { out += "," }
        item.write(into: &out)
      }
      out += "]"
    case .object(let members):
      out += "{"
      for (index, (key, value)) in members.enumerated() {
        if index > 0 { out += "," }
        Self.appendQuoted(key, to: &out)
        out += ":"
        value.write(into: &out)
      }
      out += "}"
    }
  }

  /// Appends `value` as a JSON string literal. `/` is not escaped (the .NET serialisers behind
  /// Entra ID and Business Central do not escape it either).
  static func appendQuoted(_ value: String, to out: inout String) {
    out += "\""
    // Fast path: most values (GUIDs, URLs, tokens) need no escaping at all.
    if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
      out += value
      out += "\""
      return
    }
    for scalar in value.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 {
          out += "\\u00"
          out += scalar.value < 0x10 ? "0" : "1"
          out += String(scalar.value & 0xF, radix: 16)
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    out += "\""
  }

  /// `value` as a JSON string literal.
  static func quoted(_ value: String) -> String {
    var out = ""
    appendQuoted(value, to: &out)
    return out
  }
}

/// Minimal JSON reading for the few places that must look inside a client's JSON (JWT parts).
enum JSONRead {
  /// Parses a JSON object; `nil` for anything else.
  static func object(_ data: Data) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: data, options: [])) as? [String: Any]
  }

  /// A number claim as an integer (JWT times may be written as `1.7e9` or `1700000000.0`).
  static func int(_ value: Any?) -> Int? {
    switch value {
    case let int as Int: return int
    case let double as Double where double.isFinite: return Int(double)
    case let number as NSNumber: return number.intValue
    default: return nil
    }
  }

  /// A claim that may be a string or an array of strings (`aud`).
  static func strings(_ value: Any?) -> [String] {
    if let single = value as? String { return [single] }
    if let many = value as? [Any] { return many.compactMap { $0 as? String } }
    return []
  }
}
