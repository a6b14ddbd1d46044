/// Folding for tolerant phrase matching: the way a person reads an error message, not the way a
/// byte comparison does. Case, punctuation, quote style, spacing, line breaks, `+` for a space
/// and contractions ("doesn't" / "does not") make no difference.
///
/// A folded text is lower-case words separated by single spaces, with a space before the first
/// word and after the last, so that `" " + phrase + " "` matches whole words only.
public enum TextFolding {
  /// Folds UTF-8 text. Non-ASCII letters are kept (lower-cased by the caller when it can);
  /// typographic quotes, dashes, no-break and zero-width spaces count as punctuation.
  public static func fold(_ input: [UInt8]) -> [UInt8] {
    var out = [UInt8]()
    out.reserveCapacity(input.count + 2)
    out.append(0x20)
    var word = [UInt8]()
    word.reserveCapacity(64)
    var i = 0
    let n = input.count
    func flush() {
      guard !word.isEmpty else { return }
      if let expanded = contraction(word) {
        out.append(contentsOf: expanded)
      } else {
        out.append(contentsOf: word)
      }
      out.append(0x20)
      word.removeAll(keepingCapacity: true)
    }
    while i < n {
      let b = input[i]
      if (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) {
        word.append(b)
        i += 1
      } else if b >= 0x41 && b <= 0x5A {
        word.append(b + 32)
        i += 1
      } else if b == UInt8(ascii: "'") || b == UInt8(ascii: "`") {
        // An apostrophe inside a word joins it ("doesn't"); elsewhere it is a quote.
        if word.isEmpty || i + 1 >= n || !isASCIILetter(input[i + 1]) { flush() }
        i += 1
      } else if b < 0x80 {
        flush()
        i += 1
      } else {
        let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
        let end = min(n, i + length)
        // U+2018/U+2019 (typographic apostrophes) join a word like ' does.
        if length == 3, end == i + 3, input[i] == 0xE2, input[i + 1] == 0x80,
          input[i + 2] == 0x98 || input[i + 2] == 0x99
        {
          if word.isEmpty || end >= n || !isASCIILetter(input[end]) { flush() }
        } else if isPunctuation(input, i, length) {
          flush()
        } else {
          word.append(contentsOf: input[i..<end])
        }
        i = end
      }
    }
    flush()
    return out
  }

  /// Folds a phrase the same way, keeping `*` (a gap of a few words) as its own word.
  public static func foldPhrase(_ phrase: String) -> [[UInt8]] {
    var segments = phrase.lowercased().components(separatedBy: "*").map { part in
      // Segments are searched as " words " with the surrounding spaces.
      let folded = fold(Array(part.utf8))
      return folded.count == 1 ? [] : folded
    }.filter { !$0.isEmpty }
    // The last word may go on ("permission" also finds "permissions").
    if !segments.isEmpty { segments[segments.count - 1].removeLast() }
    return segments
  }

  /// How far (in bytes of folded text) one `*` gap may reach: a few words.
  static let gapReach = 48

  /// Whether `folded` contains the folded phrase (segments in order, each within a few words of
  /// the previous one). Returns the offset of the first segment.
  public static func find(_ segments: [[UInt8]], in folded: [UInt8]) -> Int? {
    guard let first = segments.first else { return nil }
    var from = 0
    var tries = 0
    while let at = ByteSearch.firstIndex(of: first, in: folded, from: from), tries < 200 {
      tries += 1
      var end = at + first.count - 1
      var ok = true
      for segment in segments.dropFirst() {
        // Only a few words on: the window, not the rest of a megabyte.
        let limit = min(folded.count, end + gapReach + segment.count)
        guard end < limit,
          let next = folded.withUnsafeBytes({ all in
            ByteSearch.firstIndex(of: segment, in: UnsafeRawBufferPointer(rebasing: all[end..<limit]))
          })
        else {
          ok = false
          break
        }
        end = end + next + segment.count - 1
      }
      if ok { return at }
      if segments.count == 1 { return nil }
      from = at + 1
    }
    return nil
  }

  static func isASCIILetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }

  /// Typographic punctuation and spaces that must not glue words together.
  static func isPunctuation(_ input: [UInt8], _ i: Int, _ length: Int) -> Bool {
    guard i + length <= input.count else { return true }
    if length == 2 {
      // U+00A0 no-break space, U+00AB/U+00BB guillemets, U+00B7 middle dot.
      return input[i] == 0xC2 && [0xA0, 0xAB, 0xBB, 0xB7].contains(input[i + 1])
    }
    if length == 3 && input[i] == 0xE2 && input[i + 1] == 0x80 {
      // U+2000–U+203F: spaces, dashes, quotes, bullets, ellipsis, zero-width characters.
      return true
    }
    if length == 3 && input[i] == 0xEF && input[i + 1] == 0xBB && input[i + 2] == 0xBF { return true }
    if length == 3 && input[i] == 0xE3 && input[i + 1] == 0x80 { return true }
    return false
  }

  private static let contractions: [[UInt8]: [UInt8]] = {
    let pairs: [(String, String)] = [
      ("doesn't", "does not"), ("don't", "do not"), ("didn't", "did not"), ("isn't", "is not"),
      ("aren't", "are not"), ("wasn't", "was not"), ("weren't", "were not"), ("hasn't", "has not"),
      ("haven't", "have not"), ("hadn't", "had not"), ("couldn't", "could not"), ("wouldn't", "would not"),
      ("shouldn't", "should not"), ("won't", "will not"), ("can't", "can not"), ("cannot", "can not"),
      ("mustn't", "must not"), ("needn't", "need not"),
    ]
    var table: [[UInt8]: [UInt8]] = [:]
    for (short, long) in pairs {
      table[Array(short.replacingOccurrences(of: "'", with: "").utf8)] = Array(long.utf8)
    }
    return table
  }()

  private static func contraction(_ word: [UInt8]) -> [UInt8]? {
    guard word.count >= 3, word.count <= 8 else { return nil }
    // Words with a "'" were joined without it ("doesnt"), so look them up that way.
    return contractions[word]
  }
}
