import Foundation
import S2SDoctorCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// MARK: - version

/// Finds the Business Central version a file states: a version key, or a comment or transcript
/// line such as `Business Central 18.4 (Platform 18.0.24515.0 + Application 18.4.24516.0)`.
enum VersionFinder {
  static let keys = ["ApplicationVersion", "ServerVersion", "ProductVersion", "Version", "BuildVersion"]
  /// Words that must come right before a version number in free text.
  static let anchors = ["application version", "application", "business central", "version", "build", "bc"]

  static func find(settings: [ServerConfiguration.Setting], notes: [String]) -> ServerConfiguration.ProductVersion? {
    for key in keys {
      if let setting = settings.last(where: { $0.key.caseInsensitiveCompare(key) == .orderedSame }),
        let version = parse(
          setting.value.trimmedSpaces, source: "setting \(setting.key)",
          labelledApplication: setting.key.lowercased() == "applicationversion")
      {
        return version
      }
    }
    for note in notes {
      if let version = inText(note) { return version }
    }
    return nil
  }

  /// The first version right after an anchor word ("Application 18.4.24516.0", "Version: 18.4").
  static func inText(_ text: String) -> ServerConfiguration.ProductVersion? {
    let lower = Array(text.lowercased().utf8.prefix(4000))
    for anchor in anchors {
      let needle = Array(anchor.utf8)
      var from = 0
      while from + needle.count <= lower.count {
        guard let at = indexOf(needle, in: lower, from: from) else { break }
        from = at + 1
        // The anchor must be a whole word.
        if at > 0, isWordByte(lower[at - 1]) { continue }
        var i = at + needle.count
        if i < lower.count, isWordByte(lower[i]) { continue }
        var skipped = 0
        while i < lower.count, skipped < 4, [0x20, 0x3A, 0x3D, 0x09, 0x76].contains(lower[i]) {  // space : = tab v
          i += 1
          skipped += 1
        }
        var end = i
        while end < lower.count, (lower[end] >= 0x30 && lower[end] <= 0x39) || lower[end] == 0x2E { end += 1 }
        let candidate = String(decoding: lower[i..<end], as: UTF8.self)
        let source = "“\(text.trimmedWhitespace.prefix(80))”"
        if let version = parse(candidate, source: source, labelledApplication: anchor.hasPrefix("application")) {
          return version
        }
      }
    }
    return nil
  }

  static func parse(_ text: String, source: String, labelledApplication: Bool = false)
    -> ServerConfiguration.ProductVersion?
  {
    var candidate = text
    while candidate.hasSuffix(".") { candidate.removeLast() }
    let parts = candidate.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count >= 2, parts.count <= 4,
      parts.allSatisfy({ !$0.isEmpty && $0.count <= 9 && $0.allSatisfy(\.isNumber) }),
      let major = Int(parts[0]), let minor = Int(parts[1]), (7...99).contains(major), minor <= 99
    else { return nil }
    return .init(
      major: major, minor: minor, text: candidate, source: source,
      isPlatformBuild: minor == 0 && parts.count >= 3 && !labelledApplication)
  }

  private static func isWordByte(_ b: UInt8) -> Bool {
    (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x5F
  }

  private static func indexOf(_ needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
    guard !needle.isEmpty, hay.count >= needle.count else { return nil }
    var i = from
    while i + needle.count <= hay.count {
      if hay[i] == needle[0] && hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
      i += 1
    }
    return nil
  }
}
