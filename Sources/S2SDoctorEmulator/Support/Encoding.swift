import Crypto
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// base64url without padding (RFC 7515 §2), as JWTs and JWKS use it.
enum Base64URL {
  private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

  /// Encodes with a lookup table: this runs for every token the emulator signs.
  static func encode(_ bytes: some Sequence<UInt8>) -> String {
    let input = Array(bytes)
    var output = [UInt8]()
    output.reserveCapacity((input.count * 4 + 2) / 3)
    var index = 0
    while index + 3 <= input.count {
      let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
      output.append(alphabet[Int(chunk >> 18 & 63)])
      output.append(alphabet[Int(chunk >> 12 & 63)])
      output.append(alphabet[Int(chunk >> 6 & 63)])
      output.append(alphabet[Int(chunk & 63)])
      index += 3
    }
    let rest = input.count - index
    if rest > 0 {
      let chunk = UInt32(input[index]) << 16 | (rest == 2 ? UInt32(input[index + 1]) << 8 : 0)
      output.append(alphabet[Int(chunk >> 18 & 63)])
      output.append(alphabet[Int(chunk >> 12 & 63)])
      if rest == 2 { output.append(alphabet[Int(chunk >> 6 & 63)]) }
    }
    return String(decoding: output, as: UTF8.self)
  }

  static func encode(_ text: String) -> String { encode(text.utf8) }

  /// Decodes base64url; trailing `=` padding is tolerated (MSAL pads its `x5t`).
  static func decode<S: StringProtocol>(_ text: S) -> Data? {
    var base64 = String(text).replacingOccurrences(of: "-", with: "+")
      .replacingOccurrences(of: "_", with: "/")
    while base64.last == "=" { base64.removeLast() }
    guard !base64.contains("=") else { return nil }
    switch base64.count % 4 {
    case 0: break
    case 2: base64 += "=="
    case 3: base64 += "="
    default: return nil
    }
    return Data(base64Encoded: base64)
  }
}

/// Stable identifiers: the same name gives the same GUID in every run, so scenario arguments
/// can be written down and compared.
enum StableID {
  static func guid(_ seed: String) -> String {
    var bytes = Array(SHA256.hash(data: Data(("s2s-doctor-emulator/" + seed).utf8)).prefix(16))
    bytes[6] = (bytes[6] & 0x0F) | 0x40  // version 4 layout
    bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
    return format(bytes)
  }

  /// A fresh random GUID, lower case (as Entra ID and Business Central write them).
  static func random() -> String {
    var generator = SystemRandomNumberGenerator()
    var bytes = [UInt8](repeating: 0, count: 16)
    var high = generator.next() as UInt64
    var low = generator.next() as UInt64
    for index in 0..<8 {
      bytes[index] = UInt8(truncatingIfNeeded: high)
      bytes[index + 8] = UInt8(truncatingIfNeeded: low)
      high >>= 8
      low >>= 8
    }
    bytes[6] = (bytes[6] & 0x0F) | 0x40
    bytes[8] = (bytes[8] & 0x3F) | 0x80
    return format(bytes)
  }

  /// `count` characters from `[A-Za-z0-9]`, derived from `seed`.
  static func alphanumeric(_ seed: String, count: Int) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    var out = ""
    var round = 0
    while out.count < count {
      let digest = SHA256.hash(data: Data("s2s-doctor-emulator/\(seed)/\(round)".utf8))
      for byte in digest where out.count < count { out.append(alphabet[Int(byte) % alphabet.count]) }
      round += 1
    }
    return out
  }

  /// `count` random opaque characters in the base64url alphabet (`aio`, `rh`, `uti` claims).
  static func opaque(count: Int) -> String {
    var generator = SystemRandomNumberGenerator()
    var bytes = [UInt8]()
    bytes.reserveCapacity(count)
    while bytes.count * 4 < count * 3 {
      var word = generator.next() as UInt64
      for _ in 0..<8 {
        bytes.append(UInt8(truncatingIfNeeded: word))
        word >>= 8
      }
    }
    return String(Base64URL.encode(bytes).prefix(count))
  }

  static func isGUID<S: StringProtocol>(_ text: S) -> Bool {
    guard text.utf8.count == 36 else { return false }
    for (index, byte) in text.utf8.enumerated() {
      if index == 8 || index == 13 || index == 18 || index == 23 {
        guard byte == UInt8(ascii: "-") else { return false }
      } else {
        let isHex =
          (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46)
          || (byte >= 0x61 && byte <= 0x66)
        guard isHex else { return false }
      }
    }
    return true
  }

  private static let hexDigits = Array("0123456789abcdef".utf8)

  private static func format(_ bytes: [UInt8]) -> String {
    var text = [UInt8]()
    text.reserveCapacity(36)
    for (index, byte) in bytes.enumerated() {
      if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
      text.append(hexDigits[Int(byte >> 4)])
      text.append(hexDigits[Int(byte & 0x0F)])
    }
    return String(decoding: text, as: UTF8.self)
  }
}

/// Time formats of the two services.
enum TimeText {
  private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
  private static let months = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
  ]

  private static func brokenDown(_ seconds: Int) -> tm {
    var time = time_t(seconds)
    var parts = tm()
    gmtime_r(&time, &parts)
    return parts
  }

  private static func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }

  /// The HTTP `Date` form (RFC 9110 IMF-fixdate): `Tue, 15 Nov 1994 08:12:31 GMT`.
  static func httpDate(_ seconds: Int) -> String {
    let t = brokenDown(seconds)
    return
      "\(days[Int(t.tm_wday)]), \(two(t.tm_mday)) \(months[Int(t.tm_mon)]) \(t.tm_year + 1900) "
      + "\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)) GMT"
  }

  /// Entra ID's error timestamp: `2023-02-20 07:21:29Z` (space, not `T`).
  static func entraTimestamp(_ seconds: Int) -> String {
    let t = brokenDown(seconds)
    return
      "\(t.tm_year + 1900)-\(two(t.tm_mon + 1))-\(two(t.tm_mday)) "
      + "\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec))Z"
  }

  /// ISO 8601 with fractional seconds, as Business Central writes `systemCreatedAt`.
  static func iso8601(_ seconds: Int) -> String {
    let t = brokenDown(seconds)
    return
      "\(t.tm_year + 1900)-\(two(t.tm_mon + 1))-\(two(t.tm_mday))T"
      + "\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)).000Z"
  }

  static func now() -> Int { Int(Date().timeIntervalSince1970) }
}
