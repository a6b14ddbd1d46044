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

  private let needles = Mutex<[String]>([])

  public init() {}

  /// Registers a secret (or any sensitive value) to be masked from now on.
  public func register(_ secret: String) {
    let trimmed = secret.trimmingCharacters(in: .whitespacesAndNewlines)
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
      for form in forms where form.count >= 4 && !list.contains(form) { list.append(form) }
      list.sort { $0.count > $1.count }
    }
  }

  /// Masks every registered secret and every JWT-shaped token in `text`.
  public func redact(_ text: String) -> String {
    var result = text
    let list = needles.withLock { $0 }
    for needle in list where result.contains(needle) {
      result = result.replacingOccurrences(of: needle, with: "[REDACTED]")
    }
    return Self.maskTokens(in: result)
  }

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
    guard text.contains("eyJ") else { return text }
    var output = ""
    output.reserveCapacity(text.utf8.count)
    var rest = Substring(text)
    while let start = rest.range(of: "eyJ") {
      output += rest[rest.startIndex..<start.lowerBound]
      var end = start.lowerBound
      var dots = 0
      var index = start.lowerBound
      while index < rest.endIndex {
        let c = rest[index]
        if c == "." {
          dots += 1
        } else if !(c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_" || c == "=")) {
          break
        }
        index = rest.index(after: index)
        end = index
      }
      let candidate = rest[start.lowerBound..<end]
      if dots >= 1 && candidate.count >= 20 {
        output += "[token …" + candidate.suffix(4) + "]"
      } else {
        output += candidate
      }
      rest = rest[end...]
      if end == start.lowerBound {
        output += rest.prefix(1)
        rest = rest.dropFirst()
      }
    }
    output += rest
    return output
  }
}
