import Foundation
import Testing

@testable import S2SDoctorCore

@Suite struct TextUtilitiesTests {
  static let samples = [
    "", " ", "\t\n", "abc", "  abc  ", "\n\r\tabc def\t\r\n", "\u{00A0}abc\u{2003}", "\u{2028}x\u{2029}",
    "\u{85}x\u{85}", "\u{200B}x\u{200B}", "\u{3000}全角\u{3000}", "é ", " \u{301}a", "\u{0B}\u{0C}x",
  ]

  @Test func trimmingMatchesFoundation() {
    // Every scalar Foundation counts as white space, alone and around text.
    let spaces: [UInt32] = [
      0x9, 0xA, 0xB, 0xC, 0xD, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x200A, 0x200B, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
      0xFEFF, 0x180E,
    ]
    let extra = spaces.compactMap(Unicode.Scalar.init).map { "\($0)x\($0)" }
    for text in Self.samples + extra {
      #expect(
        text.trimmedWhitespace == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(Array(text.unicodeScalars))")
      #expect(text.trimmedSpaces == text.trimmingCharacters(in: .whitespaces), "\(Array(text.unicodeScalars))")
    }
  }

  @Test func byteSearchFindsEveryOccurrence() {
    let hay = Array("abcabcab".utf8)
    #expect(ByteSearch.firstIndex(of: Array("cab".utf8), in: hay) == 2)
    #expect(ByteSearch.firstIndex(of: Array("cab".utf8), in: hay, from: 3) == 5)
    #expect(ByteSearch.firstIndex(of: Array("cab".utf8), in: hay, from: 6) == nil)
    #expect(ByteSearch.firstIndex(of: Array("abcabcabc".utf8), in: hay) == nil)
    #expect(ByteSearch.firstIndex(of: [], in: hay) == nil)
    let replaced = ByteSearch.replacingAll(Array("ab".utf8), in: hay, with: Array("X".utf8))
    #expect(replaced.map { String(decoding: $0, as: UTF8.self) } == "XcXcX")
    #expect(ByteSearch.replacingAll(Array("zz".utf8), in: hay, with: []) == nil)
  }

  @Test func redactionMasksSecretsAndTokensInsideUnicodeText() {
    let redactor = Redactor()
    redactor.register("s3cr3t~Value+/=")
    let token = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJlLXZhbHVlLXh5ejA"
    let text = "Résumé: s3cr3t~Value+/= — bearer \(token) ✓ s3cr3t%7EValue%2B%2F%3D"
    let out = redactor.redact(text)
    #expect(!out.contains("s3cr3t"))
    #expect(!out.contains(token))
    #expect(out.contains("[token …5ejA]"))
    #expect(out.hasPrefix("Résumé: [REDACTED] — bearer"))
    #expect(out.hasSuffix("✓ [REDACTED]"))
    #expect(redactor.redact("nothing to hide ✓") == "nothing to hide ✓")
    #expect(Redactor.maskTokens(in: "eyJ short.x") == "eyJ short.x")
  }

  @Test func cancelledSleepReturnsAtOnce() async {
    let clock = ContinuousClock()
    let start = clock.now
    let task = Task { await CancellableSleep.sleep(for: .seconds(3600)) }
    task.cancel()
    await task.value
    // Far below the hour it was asked to sleep, even on a loaded machine.
    #expect(clock.now - start < .seconds(600))
    // An uncancelled sleep ends by itself.
    await CancellableSleep.sleep(for: .milliseconds(20))
  }
}
