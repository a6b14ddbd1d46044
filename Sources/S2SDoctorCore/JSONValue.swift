import Foundation

/// A parsed JSON value that is `Sendable` and easy to inspect.
public enum JSONValue: Sendable, Equatable, Codable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  /// Parses UTF-8 JSON; `nil` for anything that is not one complete JSON document, or that
  /// nests deeper than `maxDepth` (hostile input must not exhaust the stack).
  public static func parse(_ data: Data, maxDepth: Int = 128) -> JSONValue? {
    data.withUnsafeBytes { raw in
      var parser = JSONParser(bytes: raw.bindMemory(to: UInt8.self), maxDepth: maxDepth)
      return parser.document()
    }
  }

  public static func parse(_ text: String) -> JSONValue? { parse(Data(text.utf8)) }

  public subscript(key: String) -> JSONValue? {
    if case .object(let o) = self { return o[key] }
    return nil
  }

  public var string: String? {
    switch self {
    case .string(let s): s
    case .number(let n): n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
    case .bool(let b): String(b)
    default: nil
    }
  }

  public var int: Int? {
    switch self {
    case .number(let n): n == n.rounded() && abs(n) < 1e15 ? Int(n) : nil
    case .string(let s): Int(s)
    default: nil
    }
  }

  public var array: [JSONValue]? {
    if case .array(let a) = self { return a }
    return nil
  }

  public var object: [String: JSONValue]? {
    if case .object(let o) = self { return o }
    return nil
  }

  /// A string or the strings of an array (claims such as `aud` and `roles` come in both forms).
  public var strings: [String] {
    switch self {
    case .string(let s): [s]
    case .array(let a): a.compactMap(\.string)
    default: []
    }
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() {
      self = .null
    } else if let b = try? c.decode(Bool.self) {
      self = .bool(b)
    } else if let n = try? c.decode(Double.self) {
      self = .number(n)
    } else if let s = try? c.decode(String.self) {
      self = .string(s)
    } else if let a = try? c.decode([JSONValue].self) {
      self = .array(a)
    } else {
      self = .object(try c.decode([String: JSONValue].self))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    switch self {
    case .null: try c.encodeNil()
    case .bool(let b): try c.encode(b)
    case .number(let n):
      if n == n.rounded() && abs(n) < 1e15 { try c.encode(Int64(n)) } else { try c.encode(n) }
    case .string(let s): try c.encode(s)
    case .array(let a): try c.encode(a)
    case .object(let o): try c.encode(o)
    }
  }
}

extension JSONEncoder {
  /// The encoder used for every JSON document the tool prints: sorted keys, no escaped slashes.
  public static var stable: JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
    return encoder
  }
}
