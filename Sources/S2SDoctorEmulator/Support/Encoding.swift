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
  static func encode(_ bytes: some Sequence<UInt8>) -> String {
    var text = Data(bytes).base64EncodedString()
    text = text.replacingOccurrences(of: "+", with: "-")
    text = text.replacingOccurrences(of: "/", with: "_")
    while text.last == "=" { text.removeLast() }
    return text
  }

  static func encode(_ text: String) -> String { encode(Data(text.utf8)) }

  static func decode<S: StringProtocol>(_ text: S) -> Data? {
    var base64 = String(text).replacingOccurrences(of: "-", with: "+")
      .replacingOccurrences(of: "_", with: "/")
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
    var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
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
    let bytes = (0..<((count * 3 + 3) / 4)).map { _ in UInt8.random(in: 0...255, using: &generator) }
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

  private static func format(_ bytes: [UInt8]) -> String {
    let hex = bytes.map { byte -> String in
      let text = String(byte, radix: 16)
      return text.count == 1 ? "0" + text : text
    }.joined()
    let characters = Array(hex)
    return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }
      .joined(separator: "-")
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
