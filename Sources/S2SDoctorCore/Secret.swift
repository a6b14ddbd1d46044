import Foundation
import Synchronization

/// A client secret. It never prints itself: `description` and string interpolation are masked.
public struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
  /// The value, for the one place that must send it (the token request body).
  public let value: String

  public init(_ value: String) { self.value = value }

  public var description: String { Redactor.mask(value) }
  public var debugDescription: String { description }
}

/// Removes secrets and tokens from every text the tool writes.
///
/// Registered secrets are masked in their plain, URL-encoded, form-encoded and base64 forms;
/// anything shaped like a JWT is reduced to its last four characters.
public final class Redactor: Sendable {
  public static let shared = Redactor()

  private let needles = Mutex<[[UInt8]]>([])

  public init() {}

  /// Registers a secret (or any sensitive value) to be masked from now on.
  public func register(_ secret: String) {
    let trimmed = secret.trimmedWhitespace
    guard trimmed.count >= 4 else { return }
    var forms: Set<String> = [secret, trimmed]
    for value in [secret, trimmed] {
      forms.insert(Data(value.utf8).base64EncodedString())
      let base64URL = Data(value.utf8).base64EncodedString()
        .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
      forms.insert(base64URL)
      forms.insert(Self.formEncode(value))
      if let percent = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) {
        forms.insert(percent)
        forms.insert(percent.lowercased())
      }
      if let json = try? JSONEncoder().encode(value), let quoted = String(data: json, encoding: .utf8) {
        forms.insert(String(quoted.dropFirst().dropLast()))
      }
    }
    // base64 of a secret embedded in a longer text changes with alignment: add the two shifted forms.
    for shift in 1...2 {
      let padded = String(repeating: "\u{0}", count: shift) + trimmed
      let encoded = Data(padded.utf8).base64EncodedString()
      let stable = encoded.dropFirst(4).dropLast(4)
      if stable.count >= 8 { forms.insert(String(stable)) }
    }
    needles.withLock { list in
      for form in forms where form.count >= 4 {
        let bytes = Array(form.utf8)
        if !list.contains(bytes) { list.append(bytes) }
      }
      list.sort { $0.count > $1.count }
    }
  }

  /// Masks every registered secret and every JWT-shaped token in `text`.
  public func redact(_ text: String) -> String {
    let list = needles.withLock { $0 }
    // Most texts hold nothing to mask: look first, in place, and copy only when something must go
    // (fleet reports run to megabytes).
    var borrowed = text
    let clean = borrowed.withUTF8 { buffer in
      let raw = UnsafeRawBufferPointer(buffer)
      return ByteSearch.firstIndex(of: Self.tokenStart, in: raw) == nil
        && !list.contains { ByteSearch.firstIndex(of: $0, in: raw) != nil }
    }
    if clean { return text }
    var bytes = Array(text.utf8)
    var changed = false
    for needle in list {
      if let replaced = ByteSearch.replacingAll(needle, in: bytes, with: Self.redactedMarker) {
        bytes = replaced
        changed = true
      }
    }
    if let masked = Self.maskTokens(in: bytes) {
      bytes = masked
      changed = true
    }
    return changed ? String(decoding: bytes, as: UTF8.self) : text
  }

  private static let redactedMarker = Array("[REDACTED]".utf8)

  /// `••••` followed by the last four characters.
  public static func mask(_ value: String) -> String {
    value.count <= 8 ? "••••" : "••••" + String(value.suffix(4))
  }

  /// application/x-www-form-urlencoded, as Entra expects in the token request.
  public static func formEncode(_ value: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._*")
    return (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)
      .replacingOccurrences(of: "%20", with: "+")
  }

  /// Replaces `header.payload.signature` tokens (base64url JSON header) with a masked form.
  public static func maskTokens(in text: String) -> String {
    maskTokens(in: Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) } ?? text
  }

  static let tokenStart = Array("eyJ".utf8)

  /// The bytes with every JWT-shaped token masked, or nil when there is none.
  static func maskTokens(in bytes: [UInt8]) -> [UInt8]? {
    guard var start = ByteSearch.firstIndex(of: tokenStart, in: bytes) else { return nil }
    var out = [UInt8]()
    out.reserveCapacity(bytes.count)
    var copied = 0
    var changed = false
    while true {
      var end = start
      var dots = 0
      while end < bytes.count {
        let c = bytes[end]
        if c == UInt8(ascii: ".") {
          dots += 1
        } else if !isTokenByte(c) {
          break
        }
        end += 1
      }
      if dots >= 1 && end - start >= 20 {
        out.append(contentsOf: bytes[copied..<start])
        out.append(contentsOf: "[token …".utf8)
        out.append(contentsOf: bytes[(end - 4)..<end])
        out.append(UInt8(ascii: "]"))
        copied = end
        changed = true
      }
      guard let next = ByteSearch.firstIndex(of: tokenStart, in: bytes, from: max(end, start + 1)) else { break }
      start = next
    }
    guard changed else { return nil }
    out.append(contentsOf: bytes[copied...])
    return out
  }

  private static func isTokenByte(_ c: UInt8) -> Bool {
    switch c {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "="):
      return true
    default: return false
    }
  }
}
