import Foundation
import S2SDoctorCore

/// Cleans every string that goes into a report, whatever the format.
///
/// 1. `Redactor.shared.redact`: registered secrets (plain, URL, form, base64 forms) and JWTs.
/// 2. Credential-shaped fragments the redactor cannot know: `Bearer <opaque token>`, an
///    `Authorization` header value, `client_assertion=…`, `client_secret=…`, `access_token=…`.
/// 3. With `redactIDs`, the tenant and client ids become `…` plus their last four characters.
/// 4. Control characters, C1 controls and bidi overrides are shown escaped (`HumanText`), so that
///    no value can move the cursor, recolour a terminal or break the JUnit and HTML output.
public struct ReportSanitizer: Sendable {
  /// The values to shorten (tenant and client ids), longest first.
  public let ids: [String]

  public init(redactIDs: Bool, target: TargetInfo) {
    guard redactIDs else {
      ids = []
      return
    }
    let values = [target.tenant, target.clientId].compactMap { $0 }
      .map { $0.trimmedWhitespace }
      .filter { $0.count >= 5 }
    ids = Array(Set(values)).sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
  }

  /// The shortened form of an id: `…` followed by its last four characters.
  public static func shorten(_ id: String) -> String { "…" + id.suffix(4) }

  /// A value from outside on its way into a report: secrets go first (the redactor matches
  /// across control characters), then `HumanText.neutralize` shows what is left of them escaped.
  public func clean(_ text: String) -> String {
    HumanText.neutralize(finish(text))
  }

  /// A finished rendering: secrets, credential fragments and ids go; the tool's own layout and
  /// colour stay (its values were cleaned one by one before).
  public func finish(_ text: String) -> String {
    var result = Redactor.shared.redact(text)
    result = Self.maskCredentials(in: result)
    for id in ids {
      result = result.replacingOccurrences(
        of: id, with: Self.shorten(id), options: [.caseInsensitive])
    }
    return result
  }

  public func clean(_ text: String?) -> String? { text.map { clean($0) } }

  // MARK: credential patterns

  private static let marker = "[REDACTED]"

  /// Values that are obviously placeholders in instructions (`$SECRET`, `<secret>`, `{{secret}}`,
  /// `%SECRET%`, an already masked value) are left as they are.
  static func isPlaceholder(_ value: Substring) -> Bool {
    guard let first = value.first else { return true }
    return "$<{%[•*".contains(first) || value.hasPrefix("…")
  }

  /// Masks credential-shaped fragments: `Bearer`, `Authorization`, and `key=value` / `"key": "value"`
  /// pairs whose key names a credential.
  public static func maskCredentials(in text: String) -> String {
    // The keys are ASCII: an ASCII-lowered byte copy finds them without Foundation's slow path.
    let lower = text.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
    func has(_ word: String) -> Bool { ByteSearch.firstIndex(of: Array(word.utf8), in: lower) != nil }
    var result = text
    if has("authorization") { result = maskAuthorizationHeaders(in: result) }
    if has("bearer") || has("basic") {
      result = maskAuthorization(in: result)
    }
    for key in credentialKeys where has(key) {
      result = maskPairs(named: key, in: result)
    }
    return result
  }

  static let credentialKeys = [
    "client_assertion", "client_secret", "clientsecret", "client-secret", "access_token",
    "refresh_token", "id_token", "password",
  ]

  private static func isTokenCharacter(_ c: Character) -> Bool {
    c.isASCII && (c.isLetter || c.isNumber || "-._~+/=".contains(c))
  }

  private static func isValueCharacter(_ c: Character) -> Bool {
    !(c.isWhitespace || "\"'&,;<>)]}".contains(c))
  }

  /// `Authorization: <scheme> <credentials>`, `Bearer <token>` and `Basic <credentials>`.
  static func maskAuthorization(in text: String) -> String {
    var output = ""
    var rest = Substring(text)
    while let match = nextScheme(in: rest) {
      output += rest[rest.startIndex..<match.valueStart]
      let value = rest[match.valueStart..<match.valueEnd]
      output += value.isEmpty || isPlaceholder(value) ? String(value) : marker
      rest = rest[match.valueEnd...]
    }
    output += rest
    return output
  }

  private struct SchemeMatch {
    var valueStart: Substring.Index
    var valueEnd: Substring.Index
  }

  /// Finds the next `Bearer`/`Basic` word followed by a credential-looking value.
  private static func nextScheme(in text: Substring) -> SchemeMatch? {
    var search = text
    while !search.isEmpty {
      let bearer = search.range(of: "bearer", options: .caseInsensitive)
      let basic = search.range(of: "basic", options: .caseInsensitive)
      guard let hit = [bearer, basic].compactMap({ $0 }).min(by: { $0.lowerBound < $1.lowerBound })
      else { return nil }
      defer { search = search[hit.upperBound...] }
      // A whole word only.
      if hit.lowerBound > text.startIndex {
        let before = text[text.index(before: hit.lowerBound)]
        if before.isLetter || before.isNumber || before == "_" { continue }
      }
      var index = hit.upperBound
      var sawSpace = false
      while index < text.endIndex, text[index] == " " || text[index] == "\t" {
        sawSpace = true
        index = text.index(after: index)
      }
      guard sawSpace else { continue }
      let start = index
      while index < text.endIndex, isTokenCharacter(text[index]) {
        index = text.index(after: index)
      }
      let value = text[start..<index]
      // `Bearer realm="…"`, `Bearer authorization_uri=…`: a challenge parameter, not a credential.
      if let equals = value.firstIndex(of: "="), value[equals...].contains(where: { $0 != "=" }) {
        continue
      }
      if value.hasSuffix("="),
        value.drop(while: { $0.isLetter || $0 == "_" || $0 == "-" })
          .allSatisfy({ $0 == "=" }), index < text.endIndex, !text[index].isWhitespace,
        !",;".contains(text[index])
      {
        continue
      }
      guard looksLikeCredential(value) else { continue }
      return SchemeMatch(valueStart: start, valueEnd: index)
    }
    return nil
  }

  /// An opaque token or base64 credential: long, and not a plain English word.
  static func looksLikeCredential(_ value: Substring) -> Bool {
    guard value.count >= 12 else { return false }
    if value.hasPrefix("[token") { return false }
    return value.contains { $0.isNumber || "-._~+/=".contains($0) } || value.count >= 24
  }

  /// `Authorization: <scheme> <credentials>` or `Authorization: <credentials>` (any scheme).
  static func maskAuthorizationHeaders(in text: String) -> String {
    var output = ""
    var rest = Substring(text)
    while let hit = rest.range(of: "authorization", options: .caseInsensitive) {
      output += rest[rest.startIndex..<hit.upperBound]
      var index = hit.upperBound
      if index < rest.endIndex, rest[index] == "\"" || rest[index] == "'" {
        index = rest.index(after: index)
      }
      while index < rest.endIndex, rest[index] == " " { index = rest.index(after: index) }
      guard index < rest.endIndex, rest[index] == ":" || rest[index] == "=" else {
        rest = rest[hit.upperBound...]
        continue
      }
      index = rest.index(after: index)
      while index < rest.endIndex, rest[index] == " " || rest[index] == "\"" || rest[index] == "'" {
        index = rest.index(after: index)
      }
      // An optional scheme word (Bearer, Basic, Negotiate, …) stays readable.
      var wordEnd = index
      while wordEnd < rest.endIndex, rest[wordEnd].isASCII, rest[wordEnd].isLetter {
        wordEnd = rest.index(after: wordEnd)
      }
      var start = index
      if wordEnd > index, wordEnd < rest.endIndex, rest[wordEnd] == " " {
        start = wordEnd
        while start < rest.endIndex, rest[start] == " " { start = rest.index(after: start) }
      }
      var end = start
      while end < rest.endIndex, isValueCharacter(rest[end]) { end = rest.index(after: end) }
      let value = rest[start..<end]
      output += rest[hit.upperBound..<start]
      let hasScheme = start != index
      let mask =
        !value.isEmpty && !isPlaceholder(value) && (hasScheme || looksLikeCredential(value))
      output += mask ? marker : String(value)
      rest = rest[end...]
    }
    output += rest
    return output
  }

  /// `key=value`, `key: value`, `"key": "value"`, `key="value"` where key names a credential.
  static func maskPairs(named key: String, in text: String) -> String {
    var output = ""
    var rest = Substring(text)
    while let hit = rest.range(of: key, options: .caseInsensitive) {
      output += rest[rest.startIndex..<hit.upperBound]
      var index = hit.upperBound
      // Skip a closing quote of a JSON key, spaces, then the separator.
      if index < rest.endIndex, rest[index] == "\"" || rest[index] == "'" {
        index = rest.index(after: index)
      }
      while index < rest.endIndex, rest[index] == " " { index = rest.index(after: index) }
      guard index < rest.endIndex, rest[index] == "=" || rest[index] == ":" else {
        rest = rest[hit.upperBound...]
        continue
      }
      index = rest.index(after: index)
      while index < rest.endIndex, rest[index] == " " { index = rest.index(after: index) }
      var quote: Character?
      if index < rest.endIndex, rest[index] == "\"" || rest[index] == "'" {
        quote = rest[index]
        index = rest.index(after: index)
      }
      let start = index
      if let quote {
        while index < rest.endIndex, rest[index] != quote, rest[index] != "\n" {
          if rest[index] == "\\" && rest.index(after: index) < rest.endIndex {
            index = rest.index(after: index)
          }
          index = rest.index(after: index)
        }
      } else {
        while index < rest.endIndex, isValueCharacter(rest[index]) {
          index = rest.index(after: index)
        }
      }
      let value = rest[start..<index]
      output += rest[hit.upperBound..<start]
      output += value.isEmpty || isPlaceholder(value) ? String(value) : marker
      rest = rest[index...]
    }
    output += rest
    return output
  }

  // MARK: XML

  /// Drops the characters XML 1.0 cannot carry, even escaped.
  public static func dropInvalidXMLCharacters(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isInvalidXML) else { return text }
    var scalars = String.UnicodeScalarView()
    scalars.append(contentsOf: text.unicodeScalars.lazy.filter { !isInvalidXML($0) })
    return String(scalars)
  }

  private static func isInvalidXML(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x9, 0xA, 0xD: false
    case 0x0...0x1F: true
    case 0x7F...0x9F: true  // legal in XML 1.0 but discouraged, and invisible anyway
    case 0xFFFE, 0xFFFF: true
    default: false
    }
  }
}

extension RunReport {
  /// A copy in which every string has passed through `sanitizer`: what `--format json` writes.
  public func sanitized(_ sanitizer: ReportSanitizer) -> RunReport {
    var copy = self
    let s = sanitizer.clean as (String) -> String
    copy.tool.name = s(tool.name)
    copy.tool.version = s(tool.version)
    copy.tool.platform = s(tool.platform)
    copy.target.tenant = target.tenant.map(s)
    copy.target.clientId = target.clientId.map(s)
    copy.target.environment = target.environment.map(s)
    copy.target.company = target.company.map(s)
    copy.target.deployment = s(target.deployment)
    copy.target.authorityHost = s(target.authorityHost)
    copy.target.bcApiHost = target.bcApiHost.map(s)
    copy.target.bcUrl = target.bcUrl.map(s)
    copy.target.credential = s(target.credential)
    copy.startedAt = s(startedAt)
    copy.finishedAt = s(finishedAt)
    copy.results = results.map { result in
      var r = result
      r.check = s(result.check)
      r.title = s(result.title)
      r.reason = result.reason.map(s)
      r.summary = result.summary.map(s)
      r.detail = result.detail.map(s)
      r.why = result.why.map(s)
      r.fix = result.fix.map(s)
      r.steps = result.steps.map(s)
      r.whoFixes = result.whoFixes.map(s)
      r.docs = result.docs.map(s)
      r.entraApplicationsPage = result.entraApplicationsPage.map {
        EntraApplicationsPage(url: s($0.url), checklist: $0.checklist.map(s))
      }
      var evidence: [String: String] = [:]
      for (key, value) in result.evidence {
        let cleanKey = s(key)
        let cleanValue = s(value)
        // A key such as `client_secret` keeps its name; its value is what must go.
        evidence[cleanKey] =
          ReportSanitizer.credentialKeys.contains(cleanKey.lowercased())
            || cleanKey.lowercased() == "authorization"
          ? (cleanValue.isEmpty ? cleanValue : "[REDACTED]") : cleanValue
      }
      r.evidence = evidence
      return r
    }
    return copy
  }
}
