#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// glibc's memmem is a GNU extension that the Glibc module does not import; declared here.
@_silgen_name("memmem")
private func cMemmem(
  _ haystack: UnsafeRawPointer?, _ haystackLength: Int, _ needle: UnsafeRawPointer?, _ needleLength: Int
) -> UnsafeMutableRawPointer?

/// Byte-level search over UTF-8. Foundation's `range(of:)` and `contains(_:)` bridge through
/// UTF-16 on Linux, which made redaction and catalogue loading the largest costs of a run.
public enum ByteSearch {
  // MARK: one byte (memchr, fast in debug builds too)

  /// The offsets of every `byte` in `bytes[..<before]`.
  public static func offsets(of byte: UInt8, in bytes: [UInt8], before end: Int? = nil) -> [Int] {
    let limit = min(end ?? bytes.count, bytes.count)
    var found: [Int] = []
    bytes.withUnsafeBytes { raw in
      guard let base = raw.baseAddress, limit > 0 else { return }
      var offset = 0
      while offset < limit, let hit = memchr(base + offset, Int32(byte), limit - offset) {
        let at = base.distance(to: UnsafeRawPointer(hit))
        found.append(at)
        offset = at + 1
      }
    }
    return found
  }

  /// The first offset of `byte` in `bytes[from..<to]`.
  public static func first(_ byte: UInt8, in bytes: [UInt8], from: Int, to: Int) -> Int? {
    guard from < to, to <= bytes.count else { return nil }
    return bytes.withUnsafeBytes { raw -> Int? in
      guard let base = raw.baseAddress, let hit = memchr(base + from, Int32(byte), to - from) else { return nil }
      return base.distance(to: UnsafeRawPointer(hit))
    }
  }

  // MARK: a needle (memmem)

  /// The offset of the first occurrence of `needle` in `hay` at or after `from`.
  public static func firstIndex(of needle: [UInt8], in hay: [UInt8], from: Int = 0) -> Int? {
    hay.withUnsafeBytes { firstIndex(of: needle, in: $0, from: from) }
  }

  /// The same over borrowed memory (a String's UTF-8, without copying it).
  public static func firstIndex(of needle: [UInt8], in hay: UnsafeRawBufferPointer, from: Int = 0) -> Int? {
    guard !needle.isEmpty, from >= 0, from < hay.count, needle.count <= hay.count - from else { return nil }
    return needle.withUnsafeBytes { nd in
      search(hay.baseAddress!, hay.count, from: from, nd.baseAddress!, needle.count)
    }
  }

  /// `hay` with every occurrence of `needle` replaced, or nil when there is none.
  public static func replacingAll(_ needle: [UInt8], in hay: [UInt8], with replacement: [UInt8]) -> [UInt8]? {
    guard var hit = firstIndex(of: needle, in: hay) else { return nil }
    var out = [UInt8]()
    out.reserveCapacity(hay.count)
    var copied = 0
    while true {
      out.append(contentsOf: hay[copied..<hit])
      out.append(contentsOf: replacement)
      copied = hit + needle.count
      guard let next = firstIndex(of: needle, in: hay, from: copied) else { break }
      hit = next
    }
    out.append(contentsOf: hay[copied...])
    return out
  }

  /// The C library's memmem (two-way search, vectorised in glibc): needles that start with a
  /// common byte (a space, in folded text) would make memchr + memcmp stop at every word.
  static func search(
    _ hay: UnsafeRawPointer, _ count: Int, from: Int, _ needle: UnsafeRawPointer, _ length: Int
  ) -> Int? {
    guard count - from >= length else { return nil }
    guard let hit = cMemmem(hay + from, count - from, needle, length) else { return nil }
    return hay.distance(to: UnsafeRawPointer(hit))
  }
}

extension Unicode.Scalar {
  /// Foundation's `CharacterSet.whitespaces`: space separators, the tab and (as Foundation has
  /// it) the zero-width space, which pasted identifiers often carry.
  var isHorizontalSpace: Bool {
    if value < 0x80 { return value == 0x20 || value == 0x09 }
    return value == 0x200B || properties.generalCategory == .spaceSeparator
  }

  /// Foundation's `CharacterSet.whitespacesAndNewlines`.
  var isSpaceOrNewline: Bool {
    if value < 0x80 { return value == 0x20 || (0x09...0x0D).contains(value) }
    if value == 0x85 || value == 0x200B { return true }
    switch properties.generalCategory {
    case .spaceSeparator, .lineSeparator, .paragraphSeparator: return true
    default: return false
    }
  }
}

extension StringProtocol {
  /// Trimmed of whitespace and newlines at both ends (as `trimmingCharacters(in:
  /// .whitespacesAndNewlines)`, without the NSString round trip).
  public var trimmedWhitespace: String { trimming(\.isSpaceOrNewline) }

  /// Trimmed of spaces and tabs at both ends (as `trimmingCharacters(in: .whitespaces)`).
  public var trimmedSpaces: String { trimming(\.isHorizontalSpace) }

  private func trimming(_ isTrimmed: (Unicode.Scalar) -> Bool) -> String {
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { !isTrimmed($0) }),
      let last = scalars.lastIndex(where: { !isTrimmed($0) })
    else { return "" }
    var view = String.UnicodeScalarView()
    view.append(contentsOf: scalars[first...last])
    return String(view)
  }
}

/// The one sanitiser for text from outside (servers, files, pasted input) on its way to a human:
/// the console, `setup`'s report, `explain`'s signals and every report format.
public enum HumanText {
  /// `text` with every character that could move the cursor, recolour or reorder the screen
  /// shown escaped: CR (CRLF becomes a plain line break) as `\r`, other C0 controls but tab and
  /// line feed, DEL and C1 controls as `\xNN`, bidi overrides and isolates (U+202A–U+202E,
  /// U+2066–U+2069) as `<U+202E>`. The tool's own colour is added after this, never before.
  public static func neutralize(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: needsEscape) else { return text }
    var out = String.UnicodeScalarView()
    var scalars = text.unicodeScalars.makeIterator()
    var pending = scalars.next()
    while let scalar = pending {
      pending = scalars.next()
      guard needsEscape(scalar) else {
        out.append(scalar)
        continue
      }
      if scalar == "\r" {
        if pending == "\n" { continue }
        out.append(contentsOf: "\\r".unicodeScalars)
      } else if scalar.value < 0x100 {
        out.append(contentsOf: String(format: "\\x%02X", scalar.value).unicodeScalars)
      } else {
        out.append(contentsOf: String(format: "<U+%04X>", scalar.value).unicodeScalars)
      }
    }
    return String(out)
  }

  static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x9, 0xA: false
    case 0x0...0x1F, 0x7F...0x9F: true
    case 0x202A...0x202E, 0x2066...0x2069: true
    default: false
    }
  }
}
