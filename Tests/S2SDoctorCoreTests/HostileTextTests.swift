import CS2SSystem
import Foundation
import Testing

@testable import S2SDoctorCore

/// Points 15, 16 and 17 of issue 14: what a server echoes, and what stays in memory.
@Suite struct HostileTextTests {
  static let secret = "Cnry~8Q+z/Kd.Xw_4Lm-P=7vT"

  /// Every 8-character piece of the secret (what truncation or reassembly would leave).
  static func pieces(_ text: String) -> [String] {
    let chars = Array(secret)
    return (0...(chars.count - 8)).map { String(chars[$0..<$0 + 8]) }.filter { text.contains($0) }
  }

  @Test func everyEncodingAServerCouldEchoIsMasked() {
    let redactor = Redactor()
    redactor.register(Self.secret)
    let upper: String = Self.secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    let lowerHex = "Cnry%7e8Q%2bz%2fKd%2eXw%5f4Lm%2dP%3d7vT"
    let dotNetJSON = "Cnry~8Q\\u002Bz/Kd.Xw_4Lm-P=7vT"
    let allEscaped = "Cnry\\u007e8Q\\u002bz\\u002fKd\\u002eXw\\u005f4Lm\\u002dP\\u003d7vT"
    let slashEscaped = "Cnry~8Q+z\\/Kd.Xw_4Lm-P=7vT"
    let base64 = Data(Self.secret.utf8).base64EncodedString()
    let shifted = Data(("ab" + Self.secret + "yz").utf8).base64EncodedString()
    let forms: [String] = [
      Self.secret, upper, lowerHex, Redactor.formEncode(Self.secret), dotNetJSON, allEscaped, slashEscaped, base64,
      shifted,
    ]
    for form in forms {
      let out = redactor.redact("error_description: bad value '\(form)' received")
      #expect(!out.contains(form), "\(form) survived: \(out)")
      #expect(out.contains("[REDACTED]"), "\(form): \(out)")
    }
    // The lower-case hex form must not have lowered the secret's own letters.
    #expect(Redactor.lowercasingHex("AB%2Fcd%3D") == "AB%2fcd%3d")
  }

  @Test func aSecretSplitByControlOrBidiCharactersIsStillMasked() {
    let redactor = Redactor()
    redactor.register(Self.secret)
    let head6 = String(Self.secret.prefix(6)), tail6 = String(Self.secret.dropFirst(6))
    let head10 = String(Self.secret.prefix(10)), tail10 = String(Self.secret.dropFirst(10))
    let head3 = String(Self.secret.prefix(3)), tail3 = String(Self.secret.dropFirst(3))
    let split: [String] = [
      Self.secret.map { String($0) }.joined(separator: "\u{7}"),
      head6 + "\r\n" + tail6,
      head10 + "\u{202E}\u{200B}\u{85}" + tail10,
      head3 + "\u{1B}[31m" + tail3,
    ]
    for text in split {
      let out = redactor.redact("echo: " + text + " end")
      var scalars = String.UnicodeScalarView()
      for scalar in out.unicodeScalars where scalar.value >= 0x20 && !(0x80...0x9F).contains(scalar.value) {
        if !(0x2000...0x206F).contains(scalar.value) { scalars.append(scalar) }
      }
      let visible = String(scalars)
      #expect(Self.pieces(visible).isEmpty, "\(text.debugDescription) → \(out.debugDescription)")
    }
  }

  @Test func noPrefixOfTheSecretSurvivesTruncation() {
    let redactor = Redactor()
    redactor.register(Self.secret)
    // Cut inside the secret, as a 240-character detail would: the prefix left is a piece.
    let truncated = String(repeating: "x", count: 20) + Self.secret.prefix(12)
    #expect(Self.pieces(redactor.redact(truncated)).isEmpty)
    // An excerpt redacts before it cuts.
    let long = String(repeating: "y", count: 230) + Self.secret
    let excerpt = redactor.excerpt(long, limit: 240)
    #expect(Self.pieces(excerpt).isEmpty, "\(excerpt)")
    // Ordinary text is untouched, and short values are still masked whole.
    #expect(redactor.redact("nothing to hide here at all") == "nothing to hide here at all")
    redactor.register("abc12")
    #expect(redactor.redact("value abc12.") == "value [REDACTED].")
  }

  @Test func hostileCharactersAreShownEscaped() {
    let text = "ok\u{1B}]0;owned\u{7}\r\nnext\rover \u{9B}31m \u{202E}txt.exe\u{2066} tab\there"
    let out = HumanText.neutralize(text)
    #expect(!out.unicodeScalars.contains { HumanText.needsEscape($0) })
    #expect(out == "ok\\x1B]0;owned\\x07\nnext\\rover \\x9B31m <U+202E>txt.exe<U+2066> tab\there")
    #expect(HumanText.neutralize("plain ✓ text\n") == "plain ✓ text\n")
  }

  @Test func coreDumpsAreOffOnceASecretIsHeld() {
    _ = Secret("Cnry~8Q+z/Kd.Xw_4Lm-P=7vT")
    var limit = rlimit()
    #expect(getrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &limit) == 0)
    #expect(limit.rlim_cur == 0 && limit.rlim_max == 0)
    #if os(Linux)
      #expect(s2s_is_dumpable() == 0)
    #endif
  }
}
