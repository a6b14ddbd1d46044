import Foundation

/// A small strict JSON parser (RFC 8259) with a nesting limit.
struct JSONParser {
  let bytes: UnsafeBufferPointer<UInt8>
  let maxDepth: Int
  var index = 0
  var depth = 0

  init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
    self.bytes = bytes
    self.maxDepth = maxDepth
  }

  mutating func document() -> JSONValue? {
    skipSpace()
    // A UTF-8 byte order mark is tolerated.
    if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF && index == 0 {
      index = 3
      skipSpace()
    }
    guard let value = value() else { return nil }
    skipSpace()
    return index == bytes.count ? value : nil
  }

  private mutating func skipSpace() {
    while index < bytes.count {
      switch bytes[index] {
      case 0x20, 0x09, 0x0A, 0x0D: index += 1
      default: return
      }
    }
  }

  private mutating func value() -> JSONValue? {
    skipSpace()
    guard index < bytes.count else { return nil }
    switch bytes[index] {
    case UInt8(ascii: "{"): return object()
    case UInt8(ascii: "["): return array()
    case UInt8(ascii: "\""): return string().map(JSONValue.string)
    case UInt8(ascii: "t"): return literal("true", .bool(true))
    case UInt8(ascii: "f"): return literal("false", .bool(false))
    case UInt8(ascii: "n"): return literal("null", .null)
    default: return number()
    }
  }

  private mutating func literal(_ word: String, _ result: JSONValue) -> JSONValue? {
    for byte in word.utf8 {
      guard index < bytes.count, bytes[index] == byte else { return nil }
      index += 1
    }
    return result
  }

  private mutating func object() -> JSONValue? {
    depth += 1
    defer { depth -= 1 }
    guard depth <= maxDepth else { return nil }
    index += 1
    var result: [String: JSONValue] = [:]
    skipSpace()
    if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
      index += 1
      return .object(result)
    }
    while true {
      skipSpace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let key = string() else {
        return nil
      }
      skipSpace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
      index += 1
      guard let value = value() else { return nil }
      result[key] = value
      switch afterElement(closing: UInt8(ascii: "}")) {
      case .more: continue
      case .closed: return .object(result)
      case .invalid: return nil
      }
    }
  }

  private enum AfterElement { case more, closed, invalid }

  /// After a member or element: a comma (another follows), the closing bracket, or an error.
  private mutating func afterElement(closing: UInt8) -> AfterElement {
    skipSpace()
    guard index < bytes.count else { return .invalid }
    switch bytes[index] {
    case UInt8(ascii: ","):
      index += 1
      return .more
    case closing:
      index += 1
      return .closed
    default: return .invalid
    }
  }

  private mutating func array() -> JSONValue? {
    depth += 1
    defer { depth -= 1 }
    guard depth <= maxDepth else { return nil }
    index += 1
    var result: [JSONValue] = []
    skipSpace()
    if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
      index += 1
      return .array(result)
    }
    while true {
      guard let value = value() else { return nil }
      result.append(value)
      switch afterElement(closing: UInt8(ascii: "]")) {
      case .more: continue
      case .closed: return .array(result)
      case .invalid: return nil
      }
    }
  }

  private mutating func number() -> JSONValue? {
    let start = index
    while index < bytes.count {
      let b = bytes[index]
      if (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+")
        || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
      {
        index += 1
      } else {
        break
      }
    }
    guard index > start, index - start < 64 else { return nil }
    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    guard let first = text.first, first == "-" || first.isNumber, let value = Double(text) else {
      return nil
    }
    return .number(value)
  }

  private mutating func string() -> String? {
    index += 1  // opening quote
    var scalars = [UInt8]()
    while index < bytes.count {
      let b = bytes[index]
      switch b {
      case UInt8(ascii: "\""):
        index += 1
        return String(decoding: scalars, as: UTF8.self)
      case UInt8(ascii: "\\"):
        index += 1
        guard index < bytes.count else { return nil }
        let e = bytes[index]
        index += 1
        switch e {
        case UInt8(ascii: "\""): scalars.append(0x22)
        case UInt8(ascii: "\\"): scalars.append(0x5C)
        case UInt8(ascii: "/"): scalars.append(0x2F)
        case UInt8(ascii: "b"): scalars.append(0x08)
        case UInt8(ascii: "f"): scalars.append(0x0C)
        case UInt8(ascii: "n"): scalars.append(0x0A)
        case UInt8(ascii: "r"): scalars.append(0x0D)
        case UInt8(ascii: "t"): scalars.append(0x09)
        case UInt8(ascii: "u"):
          guard var code = hex4() else { return nil }
          if (0xD800..<0xDC00).contains(code), index + 6 <= bytes.count,
            bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
          {
            index += 2
            guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
          }
          let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
          scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
        default: return nil
        }
      default:
        guard b >= 0x20 else { return nil }
        scalars.append(b)
        index += 1
      }
    }
    return nil
  }

  private mutating func hex4() -> UInt32? {
    guard index + 4 <= bytes.count else { return nil }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let b = bytes[index]
      index += 1
      let digit: UInt32
      switch b {
      case 0x30...0x39: digit = UInt32(b - 0x30)
      case 0x41...0x46: digit = UInt32(b - 0x37)
      case 0x61...0x66: digit = UInt32(b - 0x57)
      default: return nil
      }
      value = value * 16 + digit
    }
    return value
  }
}
