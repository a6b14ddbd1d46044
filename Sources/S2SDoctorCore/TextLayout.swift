import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Laying text out for a terminal: the width to use and word wrapping that never cuts a word
/// without a mark. Shared by the reports (`check`, `explain`) and the wizard's own text.
public enum TextLayout {
  /// The width used when nothing says another (not a terminal, no `COLUMNS`).
  public static let defaultWidth = 80

  /// The width to lay out `fd`'s text at: `COLUMNS` when set, else the terminal's width, else 80.
  public static func columns(
    of fd: Int32, environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> Int {
    if let columns = environment["COLUMNS"].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }),
      (20...1000).contains(columns)
    {
      return columns
    }
    var size = winsize()
    if isatty(fd) == 1, ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col >= 20 { return Int(size.ws_col) }
    return defaultWidth
  }

  /// How many columns `text` takes: SGR colour sequences take none.
  public static func visibleCount<S: StringProtocol>(_ text: S) -> Int {
    var count = 0
    var inSequence = false
    var afterEscape = false
    for scalar in text.unicodeScalars {
      if afterEscape {
        afterEscape = false
        inSequence = scalar == "["
        continue
      }
      if inSequence {
        if (0x40...0x7E).contains(scalar.value) { inSequence = false }
        continue
      }
      if scalar == "\u{1B}" {
        afterEscape = true
        continue
      }
      if scalar.properties.generalCategory == .nonspacingMark { continue }
      count += 1
    }
    return count
  }

  /// Wraps `text` at `width`: `indent` starts the first line, continuation lines hang under it.
  /// A word longer than a whole line is broken with `…` at the end of each broken piece, so no
  /// line is wider than `width` and no word is cut without a mark. A URL is never broken: one
  /// too long for the room left gets a line of its own from the first column (wider than
  /// `width` only when the URL itself is), so the terminal's soft wrap keeps it one copyable line.
  public static func wrap(_ text: String, indent: String, width: Int = defaultWidth) -> String {
    let hanging = String(repeating: " ", count: visibleCount(indent))
    let room = max(8, width - hanging.count)
    var lines: [String] = []
    var prefix = indent
    for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
      var line = prefix
      var used = visibleCount(prefix)
      var afterURL = false
      for whole in paragraph.split(separator: " ") {
        var word = Substring(whole)
        var size = visibleCount(word)
        afterURL = size > room && (word.hasPrefix("https://") || word.hasPrefix("http://"))
        if afterURL {
          if line.contains(where: { $0 != " " }) { lines.append(line) }
          lines.append(String(word))
          prefix = hanging
          (line, used) = (prefix, hanging.count)
          continue
        }
        while size > room {
          if used > hanging.count || line.count > prefix.count {
            lines.append(line)
            prefix = hanging
            (line, used) = (prefix, hanging.count)
          }
          lines.append(line + word.prefix(room - 1) + "…")
          word = word.dropFirst(room - 1)
          size = visibleCount(word)
          prefix = hanging
          (line, used) = (prefix, hanging.count)
        }
        if line.count > prefix.count && used + size + 1 > width {
          lines.append(line)
          prefix = hanging
          (line, used) = (prefix, hanging.count)
        }
        let gap = line.count > prefix.count ? " " : ""
        line += gap + word
        used += gap.count + size
      }
      if !afterURL { lines.append(line) }
      prefix = hanging
    }
    return lines.joined(separator: "\n")
  }

  /// Wraps every line of `text` at `width`, each under its own leading spaces (a list item or
  /// an indented note keeps its indent on the lines it wraps to).
  public static func wrapLines(_ text: String, width: Int) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
      guard visibleCount(line) > width else { return String(line) }
      let indent = String(line.prefix { $0 == " " })
      return wrap(String(line.dropFirst(indent.count)), indent: indent, width: width)
    }.joined(separator: "\n")
  }
}
