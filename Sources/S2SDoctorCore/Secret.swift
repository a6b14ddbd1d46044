import CS2SSystem
import Foundation
import Synchronization

/// A client secret. It never prints itself: `description` and string interpolation are masked.
public struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
  /// The value, for the one place that must send it (the token request body).
  public let value: String

  public init(_ value: String) {
    self.value = value
    CoreDumps.disable()
  }

  public var description: String { Redactor.mask(value) }
  public var debugDescription: String { description }
}

/// No core file while a secret may be in memory: every `Secret`, every value given to the
/// redactor and the wizard's terminal guard turn core dumps off first.
public enum CoreDumps {
  /// `RLIMIT_CORE` 0 and `PR_SET_DUMPABLE` 0 (which also keeps other processes of the same user
  /// from attaching or reading memory), once for the process; true when both held.
  static let disabled: Bool = s2s_disable_core_dumps() == 0

  public static func disable() { _ = disabled }
}

/// Removes secrets and tokens from every text the tool writes.
///
/// Registered secrets are masked in every form a server could echo them: plain, percent-encoded
/// (upper- or lower-case hex), form-encoded, JSON-escaped (`\/`, `\u002B`, `\u002b`), base64 and
/// base64url (at any alignment). Matching ignores control characters, C1 controls, bidi and
/// zero-width characters inside the text, so a secret split by them is still found; and any run
/// of eight or more characters of one of those forms is masked, so the prefix that truncation
/// leaves behind goes too. Anything shaped like a JWT is reduced to its last four characters.
public final class Redactor: Sendable {
  public static let shared = Redactor()

  /// The length of the pieces that are masked wherever they appear.
  static let piece = 8

  private struct Needles {
    /// Forms shorter than a piece: masked only whole.
    var short: [[UInt8]] = []
    /// Every `piece`-byte window of every longer form, packed into a UInt64.
    var windows: Set<UInt64> = []
    /// The first two bytes of every window, as a 65,536-bit filter.
    var starts = [UInt64](repeating: 0, count: 1024)
  }

  private let needles = Mutex(Needles())

  public init() {}

  /// Registers a secret (or any sensitive value) to be masked from now on.
  public func register(_ secret: String) {
    // From the first secret on, the process's memory never goes to a core file.
    CoreDumps.disable()
    let trimmed = secret.trimmedWhitespace
    guard trimmed.count >= 4 else { return }
    let forms = Self.encodings(of: [secret, trimmed])
    needles.withLock { state in
      for form in forms {
        let bytes = Array(form.utf8)
        guard bytes.count >= Self.piece else {
          if bytes.count >= 4 && !state.short.contains(bytes) { state.short.append(bytes) }
          continue
        }
        for start in 0...(bytes.count - Self.piece) {
          let window = Self.pack(bytes[start..<(start + Self.piece)])
          state.windows.insert(window)
          let head = Int(window >> 48)
          state.starts[head >> 6] |= 1 << UInt64(head & 63)
        }
      }
      state.short.sort { $0.count > $1.count }
    }
  }

  /// Every form in which a server could echo `values`.
  static func encodings(of values: [String]) -> Set<String> {
    var forms: Set<String> = []
    for value in values {
      forms.insert(value)
      let base64 = Data(value.utf8).base64EncodedString()
      forms.insert(base64)
      forms.insert(
        base64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
          .replacingOccurrences(of: "=", with: ""))
      let form = formEncode(value)
      forms.insert(form)
      forms.insert(lowercasingHex(form))
      if let percent = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) {
        forms.insert(percent)
        forms.insert(lowercasingHex(percent))
      }
      if let json = try? JSONEncoder().encode(value), let quoted = String(data: json, encoding: .utf8) {
        forms.insert(String(quoted.dropFirst().dropLast()))
      }
      // \uXXXX for every character that is not a letter or digit, or only for the ones .NET's
      // encoder escapes by default; upper- and lower-case hex.
      for escapeAll in [true, false] {
        let escaped = jsonEscaped(value, all: escapeAll)
        forms.insert(escaped)
        forms.insert(lowercasingHex(escaped, after: "\\u", digits: 4))
      }
      // base64 of a secret embedded in a longer text changes with alignment: add the shifted forms.
      for shift in 1...2 {
        let padded = String(repeating: "\u{0}", count: shift) + value
        let encoded = Data(padded.utf8).base64EncodedString()
        let stable = encoded.dropFirst(4).dropLast(4)
        if stable.count >= 8 { forms.insert(String(stable)) }
      }
    }
    return forms
  }

  /// `%2B` → `%2b` (or `\u002B` → `\u002b`): the hex digits after each introducer, and only
  /// those, in lower case.
  static func lowercasingHex(_ text: String, after introducer: String = "%", digits: Int = 2) -> String {
    var out = ""
    var pending = 0
    var rest = Substring(text)
    while let c = rest.first {
      if pending == 0 && rest.hasPrefix(introducer) {
        pending = digits
        out += introducer
        rest = rest.dropFirst(introducer.count)
        continue
      }
      rest = rest.dropFirst()
      if pending > 0 {
        pending -= 1
        out += c.lowercased()
      } else {
        out.append(c)
      }
    }
    return out
  }

  static func jsonEscaped(_ value: String, all: Bool) -> String {
    var out = ""
    for scalar in value.unicodeScalars {
      let alphanumeric = scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar))
      let dotNet = "+<>&'\"`".unicodeScalars.contains(scalar) || !scalar.isASCII || scalar.value < 0x20
      if all ? !alphanumeric : dotNet {
        out += String(format: "\\u%04X", scalar.value)
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  @inline(__always)
  static func pack<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
    bytes.reduce(0) { $0 << 8 | UInt64($1) }
  }

  /// How many bytes at `i` are invisible for matching: C0 controls and DEL, C1 controls
  /// (U+0080–U+009F), zero-width (U+200B–U+200F) and bidi controls (U+202A–U+202E,
  /// U+2066–U+2069). 0 for anything else.
  @inline(__always)
  static func ignorable(_ p: UnsafeRawBufferPointer, _ i: Int) -> Int {
    let b = p[i]
    if b < 0x20 || b == 0x7F { return 1 }
    if b == 0xC2, i + 1 < p.count, (0x80...0x9F).contains(p[i + 1]) { return 2 }
    if b == 0xE2, i + 2 < p.count {
      let b1 = p[i + 1], b2 = p[i + 2]
      if b1 == 0x80 && ((0x8B...0x8F).contains(b2) || (0xAA...0xAE).contains(b2)) { return 3 }
      if b1 == 0x81 && (0xA6...0xA9).contains(b2) { return 3 }
    }
    return 0
  }

  /// The byte ranges of `raw` covered by a piece of a registered form, matching across
  /// ignorable characters; merged and in order.
  private static func pieceRanges(in raw: UnsafeRawBufferPointer, _ state: Needles) -> [Range<Int>] {
    guard !state.windows.isEmpty, raw.count >= piece else { return [] }
    var ranges: [Range<Int>] = []
    var window: UInt64 = 0
    var positions = [Int](repeating: 0, count: piece)  // start offsets of the last `piece` visible bytes
    var seen = 0
    var i = 0
    while i < raw.count {
      let skip = ignorable(raw, i)
      if skip > 0 {
        i += skip
        continue
      }
      window = window << 8 | UInt64(raw[i])
      positions[seen % piece] = i
      seen += 1
      if seen >= piece {
        let head = Int(window >> 48)
        if state.starts[head >> 6] & (1 << UInt64(head & 63)) != 0, state.windows.contains(window) {
          let start = positions[seen % piece]
          if let last = ranges.last, last.upperBound >= start {
            ranges[ranges.count - 1] = last.lowerBound..<(i + 1)
          } else {
            ranges.append(start..<(i + 1))
          }
        }
      }
      i += 1
    }
    return ranges
  }

  /// Masks every registered secret and every JWT-shaped token in `text`.
  public func redact(_ text: String) -> String {
    let state = needles.withLock { $0 }
    // Most texts hold nothing to mask: look first, in place, and copy only when something must go
    // (fleet reports run to megabytes).
    var borrowed = text
    let (clean, ranges) = borrowed.withUTF8 { buffer in
      let raw = UnsafeRawBufferPointer(buffer)
      let ranges = Self.pieceRanges(in: raw, state)
      let clean =
        ranges.isEmpty && ByteSearch.firstIndex(of: Self.tokenStart, in: raw) == nil
        && !state.short.contains { ByteSearch.firstIndex(of: $0, in: raw) != nil }
      return (clean, ranges)
    }
    if clean { return text }
    var bytes = Array(text.utf8)
    var changed = false
    if !ranges.isEmpty {
      var out = [UInt8]()
      out.reserveCapacity(bytes.count)
      var copied = 0
      for range in ranges {
        out.append(contentsOf: bytes[copied..<range.lowerBound])
        out.append(contentsOf: Self.redactedMarker)
        copied = range.upperBound
      }
      out.append(contentsOf: bytes[copied...])
      bytes = out
      changed = true
    }
    for needle in state.short {
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

  /// `text` redacted, then cut to at most `limit` characters (with an ellipsis): redacting first
  /// leaves no prefix of a secret at the cut.
  public func excerpt(_ text: String, limit: Int) -> String {
    let clean = redact(text)
    return clean.count > limit ? String(clean.prefix(limit)) + "…" : clean
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
