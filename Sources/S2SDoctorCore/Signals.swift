import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Everything `explain` could read out of a pasted text.
public struct Signals: Sendable, Equatable, Encodable {
  /// AADSTS codes in order of first appearance.
  public var aadsts: [Int] = []
  public var httpStatus: Int?
  /// The first Business Central (or admin center) error code.
  public var bcErrorCode: String?
  public var bcErrorCodes: [String] = []
  public var bcMessage: String?
  public var oauthError: String?
  public var correlationId: String?
  public var traceId: String?
  public var timestamp: String?
  /// token, bc-api, automation, admin, onprem or consent: from the hint or inferred from the text.
  public var endpoint: String?

  public var isEmpty: Bool {
    aadsts.isEmpty && httpStatus == nil && bcErrorCodes.isEmpty && oauthError == nil
  }

  enum CodingKeys: String, CodingKey {
    case aadsts, httpStatus, bcErrorCode, bcErrorCodes, bcMessage, oauthError, correlationId,
      traceId, timestamp, endpoint
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(aadsts, forKey: .aadsts)
    try c.encode(httpStatus, forKey: .httpStatus)
    try c.encode(bcErrorCode, forKey: .bcErrorCode)
    try c.encode(bcErrorCodes, forKey: .bcErrorCodes)
    try c.encode(bcMessage, forKey: .bcMessage)
    try c.encode(oauthError, forKey: .oauthError)
    try c.encode(correlationId, forKey: .correlationId)
    try c.encode(traceId, forKey: .traceId)
    try c.encode(timestamp, forKey: .timestamp)
    try c.encode(endpoint, forKey: .endpoint)
  }
}

/// A text prepared for fast, case-insensitive searching: JSON and URL escapes undone, ASCII
/// lower-cased, kept as bytes so that `memmem` can scan megabytes in milliseconds.
public struct SearchableText: Sendable {
  /// The normalized text with original case.
  public let bytes: [UInt8]
  /// The same bytes, ASCII lower-cased (same length and offsets as `bytes`).
  public let lowered: [UInt8]
  /// Words only, for tolerant phrase matching (see `TextFolding`).
  public let folded: [UInt8]

  public init(_ raw: String) {
    let normalized = Self.normalize(Array(raw.utf8))
    bytes = normalized
    lowered = normalized.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
    if normalized.count <= 2_000_000, normalized.contains(where: { $0 >= 0x80 }) {
      folded = TextFolding.fold(Array(String(decoding: normalized, as: UTF8.self).lowercased().utf8))
    } else {
      folded = TextFolding.fold(lowered)
    }
  }

  /// Undoes one level of JSON string escaping (`\"`, `\r\n`, `\u0027`) and URL encoding
  /// (`%3A`, `+` in query strings), so that escaped JSON inside logs and redirect URLs read
  /// like plain error bodies. Offsets are not preserved; nothing needs them.
  static func normalize(_ input: [UInt8]) -> [UInt8] {
    var out = [UInt8]()
    out.reserveCapacity(input.count)
    var i = 0
    let n = input.count
    let hasPercent = input.count < 50_000_000 && input.contains(UInt8(ascii: "%"))
    while i < n {
      let b = input[i]
      if b == UInt8(ascii: "\\") && i + 1 < n {
        let e = input[i + 1]
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "/"), UInt8(ascii: "'"):
          out.append(e)
          i += 2
          continue
        case UInt8(ascii: "\\"):
          out.append(e)
          i += 2
          continue
        case UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
          out.append(e == UInt8(ascii: "t") ? 0x09 : (e == UInt8(ascii: "n") ? 0x0A : 0x0D))
          i += 2
          continue
        case UInt8(ascii: "u") where i + 5 < n:
          if let value = hexValue(input[(i + 2)...(i + 5)]), value < 0x80 {
            out.append(UInt8(value))
            i += 6
            continue
          }
        default: break
        }
      }
      if hasPercent && b == UInt8(ascii: "%") && i + 2 < n,
        let value = hexValue(input[(i + 1)...(i + 2)]), value >= 0x20
      {
        out.append(UInt8(value))
        i += 3
        continue
      }
      out.append(b)
      i += 1
    }
    return out
  }

  private static func hexValue(_ digits: ArraySlice<UInt8>) -> UInt32? {
    var value: UInt32 = 0
    for d in digits {
      switch d {
      case 0x30...0x39: value = value * 16 + UInt32(d - 0x30)
      case 0x41...0x46: value = value * 16 + UInt32(d - 0x37)
      case 0x61...0x66: value = value * 16 + UInt32(d - 0x57)
      default: return nil
      }
    }
    return value
  }

  /// The offset of the first occurrence of `needle` (lower-case) at or after `from`.
  public func find(_ needle: [UInt8], from: Int = 0, in haystack: [UInt8]? = nil) -> Int? {
    let hay = haystack ?? lowered
    guard !needle.isEmpty, from < hay.count, needle.count <= hay.count - from else { return nil }
    return ByteSearch.firstIndex(of: needle, in: hay, from: from)
  }

  /// Tolerant phrase search: case, punctuation, spacing, quote style and contractions are
  /// ignored; `*` in the phrase stands for a few words.
  public func contains(phrase: String) -> Bool { position(of: phrase) != nil }

  /// Where the phrase starts in the folded text (an order, not a byte offset of the input).
  /// Placeholders (`<tenant id>`, `{tenantId}`) are matched as written: folded, they would be
  /// ordinary words.
  public func position(of phrase: String) -> Int? {
    if phrase.hasPrefix("=") { return rawPosition(of: String(phrase.dropFirst())) }
    if phrase.contains(where: { "<>{}[]".contains($0) }) { return rawPosition(of: phrase) }
    return TextFolding.find(TextFolding.foldPhrase(phrase), in: folded)
  }

  /// Exact (case-insensitive) search in the unfolded text, for markers whose punctuation matters.
  public func rawPosition(of marker: String) -> Int? { find(Array(marker.lowercased().utf8)) }
}

/// Reads signals out of any pasted text: JSON bodies (whole, embedded, escaped or truncated),
/// HTTP responses, redirect URLs, exception messages and log lines.
public enum SignalExtractor {
  public static func extract(
    _ text: SearchableText, status: Int? = nil, endpoint: String? = nil,
    knownBCCodes: Set<String> = [], knownAADSTS: Set<Int> = [], urlEndpoint: String? = nil
  ) -> Signals {
    var signals = Signals()
    signals.aadsts = aadstsCodes(text, known: knownAADSTS)
    signals.httpStatus = status ?? httpStatus(text)
    signals.oauthError = firstValue(text, keys: ["\"error\""], urlKeys: ["error="])
      .flatMap { value in
        // An OAuth error is a short snake_case word; a BC error object is not.
        value.count <= 40 && value.allSatisfy { $0.isLowercase || $0 == "_" } ? value : nil
      }
    if signals.oauthError == nil, let value = headerParameter(text, "error=\"") {
      // WWW-Authenticate: Bearer error="invalid_token", error_description="The token is expired"
      signals.oauthError = value.count <= 40 && value.allSatisfy { $0.isLowercase || $0 == "_" } ? value : nil
    }
    if signals.oauthError == nil { signals.oauthError = bareOAuthError(text) }
    signals.bcErrorCodes = bcCodes(text, known: knownBCCodes)
    signals.bcErrorCode = signals.bcErrorCodes.first
    signals.bcMessage = firstValue(text, keys: ["\"message\""], urlKeys: []).map {
      String($0.prefix(300))
    }
    signals.correlationId =
      guidAfter(
        text,
        anchors: [
          "\"correlation_id\"", "correlation id", "correlationid", "\"correlationid\"",
          "client-request-id", "ms-correlation-x", "x-ms-correlation-request-id",
          "x-ms-client-request-id", "correlation-id", "activityid",
        ])
    signals.traceId = guidAfter(
      text, anchors: ["\"trace_id\"", "trace id", "traceid", "x-ms-request-id", "request-id"])
    signals.timestamp = timestampAfter(text)
    // Given, else what the text says: an on-premises server's own words, the URL called, markers.
    let inferred = inferEndpoint(text, signals: signals)
    // An Entra code means the token endpoint answered, whatever URL the message quotes.
    let url = !signals.aadsts.isEmpty && urlEndpoint != "consent" ? "token" : urlEndpoint
    signals.endpoint = endpoint ?? (inferred == "onprem" ? inferred : nil) ?? url ?? inferred
    return signals
  }

  /// The error codes of OAuth 2.0 (RFC 6749, 8628) and of Entra ID's additions: a library's
  /// exception text often prints one alone (`MsalServiceException: invalid_client`,
  /// `(access_denied; Error)`), without a JSON key or a URL parameter before it.
  static let oauthErrors: [String] = [
    "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type",
    "invalid_scope", "access_denied", "unsupported_response_type", "temporarily_unavailable", "consent_required",
    "interaction_required", "login_required", "authorization_pending", "expired_token", "invalid_resource",
  ]

  /// The first OAuth error code written as a word of its own (not inside a longer identifier).
  static func bareOAuthError(_ text: SearchableText) -> String? {
    func isWordByte(_ byte: UInt8) -> Bool {
      (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F || byte == 0x2D
    }
    var best: (offset: Int, code: String)?
    for code in oauthErrors {
      let needle = Array(code.utf8)
      var from = 0
      while let at = text.find(needle, from: from) {
        let end = at + needle.count
        let clean =
          (at == 0 || !isWordByte(text.lowered[at - 1]))
          && (end == text.lowered.count || !isWordByte(text.lowered[end]))
        if clean {
          if best.map({ at < $0.offset }) ?? true { best = (at, code) }
          break
        }
        from = at + 1
      }
    }
    return best?.code
  }

  // MARK: AADSTS

  /// Every written form: `AADSTS7000215`, `AADSTS 7000215`, `AADSTS-7000215`, `AADSTS:7000215`,
  /// `"error_codes":[7000215]` (also Python's `'error_codes': [...]`), and a known code after
  /// "error code", an OAuth error (`invalid_client: 7000222 -`) or as the whole input.
  static func aadstsCodes(_ text: SearchableText, known: Set<Int> = []) -> [Int] {
    var codes: [Int] = []
    func add(_ code: Int) { if code >= 10_000 && !codes.contains(code) { codes.append(code) } }
    let bytes = text.lowered
    // A bare code ("7000215"); only short texts can be one.
    if text.bytes.count <= 64 {
      let trimmed = String(decoding: text.bytes, as: UTF8.self).trimmedWhitespace
      if trimmed.count >= 5 && trimmed.count <= 8, let bare = Int(trimmed) { add(bare) }
    }
    /// Digits at `i` after at most `skip` separators; (value, digit count).
    func number(at start: Int, skip: Int, separators: Set<UInt8>) -> (Int, Int) {
      var i = start
      var skipped = 0
      while i < bytes.count, skipped < skip, separators.contains(bytes[i]) {
        i += 1
        skipped += 1
      }
      var value = 0
      var digits = 0
      while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39, digits < 9 {
        value = value * 10 + Int(bytes[i] - 0x30)
        digits += 1
        i += 1
      }
      if i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { return (0, 0) }
      return (value, digits)
    }
    let prefixSeparators: Set<UInt8> = [
      0x20, UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "_"), UInt8(ascii: "#"),
    ]
    var from = 0
    let needle = Array("aadsts".utf8)
    var found = 0
    while let at = text.find(needle, from: from), found < 1000 {
      let (value, digits) = number(at: at + needle.count, skip: 2, separators: prefixSeparators)
      if digits >= 5 && digits <= 8 { add(value) }
      from = at + needle.count
      found += 1
    }
    // "error_codes":[7000215, 50011] and Python's 'error_codes': [7000215]
    for key in ["\"error_codes\"", "'error_codes'", "error_codes="] {
      from = 0
      let keyBytes = Array(key.utf8)
      while let at = text.find(keyBytes, from: from), codes.count < 50 {
        var i = at + keyBytes.count
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == UInt8(ascii: ":") { i += 1 }
        guard i < bytes.count, bytes[i] == UInt8(ascii: "[") else { break }
        i += 1
        var value = 0
        var digits = 0
        while i < bytes.count && i < at + 400 {
          let b = bytes[i]
          if b >= 0x30 && b <= 0x39 {
            value = value * 10 + Int(b - 0x30)
            digits += 1
            if digits > 9 { break }
          } else {
            if digits >= 5 { add(value) }
            value = 0
            digits = 0
            if b == UInt8(ascii: "]") { break }
          }
          i += 1
        }
        from = at + keyBytes.count
      }
    }
    // A code the catalogue knows, written after words that introduce one.
    guard !known.isEmpty else { return codes }
    let anchors = [
      "error code", "error_code", "errorcode", "error codes", "error number", "code:", "code =",
      "invalid_client", "unauthorized_client", "invalid_request", "invalid_grant", "invalid_scope",
      "invalid_resource", "access_denied", "fehlercode", "code d'erreur", "foutcode", "error ", "error:",
      "error #", "errors:",
    ]
    let anchorSeparators: Set<UInt8> = [
      0x20, UInt8(ascii: ":"), UInt8(ascii: "="), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "["),
      UInt8(ascii: "("), UInt8(ascii: "#"), UInt8(ascii: "-"), 0x09,
    ]
    for anchor in anchors {
      from = 0
      var tries = 0
      let anchorBytes = Array(anchor.utf8)
      while let at = text.find(anchorBytes, from: from), tries < 50 {
        tries += 1
        from = at + anchorBytes.count
        var start = at + anchorBytes.count
        // "error code is 7000215", "error code of 7000215"
        for word in [" is", " of"] where bytes.count >= start + word.utf8.count {
          if Array(bytes[start..<(start + word.utf8.count)]) == Array(word.utf8) { start += word.utf8.count }
        }
        let (value, digits) = number(at: start, skip: 4, separators: anchorSeparators)
        if digits >= 5 && digits <= 8 && known.contains(value) { add(value) }
      }
    }
    return codes
  }

  // MARK: HTTP status

  static func httpStatus(_ text: SearchableText) -> Int? {
    let anchors = [
      "http/1.1 ", "http/1.0 ", "http/2 ", "http/2.0 ", "status code ", "statuscode: ",
      "statuscode\": ", "\"status\": ", "\"status\":", "\"statuscode\":", "status: ", "http status: ",
      "http error: ", "http error ", "response status code does not indicate success: ",
      "(http ", "status=", "reply status code was ", "status_code=", "returned error: ", "response code: ",
      "statuscode=", "status code: ", "returned ", "returns ", "-> ", "=> ", "got ", "answered ",
      "responded with ", "failed with ", "error ", "with status ", "status ", "http ",
    ]
    var best: (position: Int, status: Int)?
    for anchor in anchors {
      var from = 0
      var tries = 0
      while let at = text.find(Array(anchor.utf8), from: from), tries < 20 {
        tries += 1
        from = at + 1
        if let best, at > best.position { break }
        var i = at + anchor.utf8.count
        while i < text.lowered.count, text.lowered[i] == 0x20 || text.lowered[i] == UInt8(ascii: "\"") {
          i += 1
        }
        if let status = threeDigits(text.lowered, at: i), (100...599).contains(status) {
          if best == nil || at < best!.position { best = (at, status) }
          break
        }
      }
    }
    if let best { return best.status }
    // Python requests: "401 Client Error: Unauthorized for url: …", "503 Server Error: …"
    for phrase in [" client error", " server error"] {
      if let at = text.find(Array(phrase.utf8)), at >= 3, let status = threeDigits(text.lowered, at: at - 3),
        (400...599).contains(status), at == 3 || !(0x30...0x39).contains(text.lowered[at - 4])
      {
        return status
      }
    }
    // "401 Unauthorized", "401 - Unauthorized", "Unauthorized (401)", "(401)", "StatusCode: Forbidden".
    var earliest: (Int, Int)?
    for (status, name) in reasonPhrases {
      let joined = name.replacingOccurrences(of: " ", with: "")
      let candidates = [
        text.position(of: "\(status) \(name)"), text.position(of: "\(name) \(status)"),
        text.position(of: "status code \(joined)"), text.position(of: "statuscode \(joined)"),
        name.contains(" ") && status != 404 ? text.position(of: joined) : nil,
        text.rawPosition(of: "(\(status))"),
        text.rawPosition(of: "statuscode: \(name.replacingOccurrences(of: " ", with: ""))"),
        text.rawPosition(of: "\"statuscode\":\"\(name.replacingOccurrences(of: " ", with: ""))"),
      ]
      for case let at? in candidates where earliest == nil || at < earliest!.0 { earliest = (at, status) }
    }
    if let earliest { return earliest.1 }
    // A status alone ("401"), or only its word ("Unauthorized", "Forbidden").
    let whole = String(decoding: text.bytes.prefix(64), as: UTF8.self).trimmedWhitespace
    if text.bytes.count <= 64, whole.count == 3, let status = Int(whole), (400...599).contains(status) {
      return status
    }
    for (status, word) in [(401, "unauthorized"), (403, "forbidden")] where text.position(of: word) != nil {
      return status
    }
    return nil
  }

  /// HTTP reason phrases, as servers, .NET (HttpStatusCode names) and proxies write them.
  static let reasonPhrases: [(Int, String)] = [
    (400, "bad request"), (401, "unauthorized"), (403, "forbidden"), (404, "not found"),
    (405, "method not allowed"), (407, "proxy authentication required"), (408, "request timeout"),
    (409, "conflict"), (429, "too many requests"), (500, "internal server error"), (502, "bad gateway"),
    (503, "service unavailable"), (504, "gateway timeout"),
  ]

  private static func threeDigits(_ bytes: [UInt8], at i: Int) -> Int? {
    guard i + 3 <= bytes.count else { return nil }
    var value = 0
    for k in 0..<3 {
      let b = bytes[i + k]
      guard b >= 0x30 && b <= 0x39 else { return nil }
      value = value * 10 + Int(b - 0x30)
    }
    if i + 3 < bytes.count, bytes[i + 3] >= 0x30, bytes[i + 3] <= 0x39 { return nil }
    return value
  }

  // MARK: key/value scanning (works on broken and truncated JSON)

  /// The string value after the first of `keys` (`"key": "value"`, also `'key': 'value'` as
  /// Python prints dicts, with line breaks anywhere between) or URL parameter `key=value`. A
  /// quote inside the value (a company name in quotes, once escaped) does not end it: only a
  /// quote followed by what comes after a JSON value does.
  static func firstValue(_ text: SearchableText, keys: [String], urlKeys: [String]) -> String? {
    var best: (Int, String)?
    let b = text.bytes
    func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
    let variants = keys.flatMap { key -> [String] in
      key.hasPrefix("\"") ? [key, "'" + key.dropFirst().dropLast() + "'"] : [key]
    }
    for key in variants {
      var from = 0
      var tries = 0
      while let at = text.find(Array(key.utf8), from: from), tries < 50 {
        tries += 1
        from = at + 1
        if let best, at > best.0 { break }
        var i = at + key.utf8.count
        while i < b.count, isSpace(b[i]) { i += 1 }
        guard i < b.count, b[i] == UInt8(ascii: ":") else { continue }
        i += 1
        while i < b.count, isSpace(b[i]) { i += 1 }
        guard i < b.count, b[i] == UInt8(ascii: "\"") || b[i] == UInt8(ascii: "'") else { continue }
        let quote = b[i]
        i += 1
        let start = i
        var end: Int?
        while i < b.count, i - start < 4000 {
          if b[i] == quote {
            var j = i + 1
            while j < b.count, b[j] == 0x20 || b[j] == 0x09 { j += 1 }
            if j >= b.count || [UInt8(ascii: "}"), UInt8(ascii: "]"), 0x0A, 0x0D].contains(b[j]) {
              end = i
              break
            }
            if b[j] == UInt8(ascii: ",") {
              var k = j + 1
              while k < b.count, isSpace(b[k]) { k += 1 }
              if k >= b.count || [UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "}")].contains(b[k]) {
                end = i
                break
              }
            }
          }
          i += 1
        }
        let value = String(decoding: b[start..<(end ?? i)], as: UTF8.self)
        if !value.isEmpty {
          if best == nil || at < best!.0 { best = (at, value) }
          break
        }
      }
    }
    for key in urlKeys {
      var from = 0
      while let at = text.find(Array(key.utf8), from: from) {
        from = at + 1
        // Must start a parameter: preceded by ? or & (or the start).
        if at > 0, text.bytes[at - 1] != UInt8(ascii: "?"), text.bytes[at - 1] != UInt8(ascii: "&") {
          continue
        }
        var i = at + key.utf8.count
        let start = i
        while i < text.bytes.count, text.bytes[i] != UInt8(ascii: "&"), text.bytes[i] > 0x20,
          i - start < 200
        {
          i += 1
        }
        let value = String(decoding: text.bytes[start..<i], as: UTF8.self)
        if !value.isEmpty, best == nil || at < best!.0 { best = (at, value) }
        break
      }
    }
    return best?.1
  }

  /// A quoted parameter of a header such as WWW-Authenticate (`error="invalid_token"`).
  static func headerParameter(_ text: SearchableText, _ key: String) -> String? {
    var from = 0
    while let at = text.find(Array(key.utf8), from: from) {
      from = at + 1
      guard at > 0, [0x20, UInt8(ascii: ",")].contains(text.bytes[at - 1]) else { continue }
      let start = at + key.utf8.count
      var i = start
      while i < text.bytes.count, text.bytes[i] != UInt8(ascii: "\""), i - start < 100 { i += 1 }
      return String(decoding: text.bytes[start..<i], as: UTF8.self)
    }
    return nil
  }

  static func bcCodes(_ text: SearchableText, known: Set<String>) -> [String] {
    var found: [(Int, String)] = []
    func add(_ position: Int, _ code: String) {
      if !found.contains(where: { $0.1 == code }) { found.append((position, code)) }
    }
    // Codes in JSON ("code": "X") and XML (<code>X</code>).
    for key in ["\"code\"", "'code'", "<code>", "<m:code>"] {
      var from = 0
      var tries = 0
      while let at = text.find(Array(key.utf8), from: from), tries < 200 {
        tries += 1
        from = at + 1
        var i = at + key.utf8.count
        if key.hasPrefix("\"") || key.hasPrefix("'") {
          while i < text.bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(text.bytes[i]) { i += 1 }
          guard i < text.bytes.count, text.bytes[i] == UInt8(ascii: ":") else { continue }
          i += 1
          while i < text.bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(text.bytes[i]) { i += 1 }
          guard i < text.bytes.count, text.bytes[i] == UInt8(ascii: "\"") || text.bytes[i] == UInt8(ascii: "'")
          else { continue }
          i += 1
        }
        let start = i
        while i < text.bytes.count, isIdentifier(text.bytes[i]), i - start < 80 { i += 1 }
        let code = String(decoding: text.bytes[start..<i], as: UTF8.self)
        if looksLikeServiceCode(code) { add(at, code) }
      }
    }
    // Known codes anywhere in free text (log lines, PowerShell errors); a plain word such as
    // "Unauthorized" is a code only where a code stands (above), not in a sentence.
    for code in known where code.contains("_") || code.filter(\.isUppercase).count >= 2 {
      if let at = text.find(Array(code.lowercased().utf8)) {
        // Whole word only.
        let end = at + code.utf8.count
        let before = at == 0 || !isIdentifier(text.bytes[at - 1])
        let after = end >= text.bytes.count || !isIdentifier(text.bytes[end])
        if before && after { add(at, code) }
      }
    }
    // BC-shaped codes (Category_Name) in free text.
    for prefix in ["authentication_", "authorization_", "internal_", "badrequest_", "application_", "request_"] {
      var from = 0
      var tries = 0
      while let at = text.find(Array(prefix.utf8), from: from), tries < 20 {
        tries += 1
        from = at + 1
        if at > 0 && isIdentifier(text.bytes[at - 1]) { continue }
        var i = at
        while i < text.bytes.count, isIdentifier(text.bytes[i]), i - at < 80 { i += 1 }
        let code = String(decoding: text.bytes[at..<i], as: UTF8.self)
        if code.first?.isUppercase == true && code.count > prefix.count + 2 { add(at, code) }
      }
    }
    return found.sorted { $0.0 < $1.0 }.map(\.1)
  }

  public static func isIdentifier(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
  }

  /// `Authentication_InvalidCredentials`, `BadRequest`, `environmentNotFound`; not `invalid_client`
  /// (an OAuth error) and not numbers.
  static func looksLikeServiceCode(_ code: String) -> Bool {
    guard code.count >= 4, let first = code.first, first.isLetter else { return false }
    if code.contains("_") { return first.isUppercase }
    return code.contains(where: \.isUppercase)
  }

  // MARK: ids and time

  static func guidAfter(_ text: SearchableText, anchors: [String]) -> String? {
    var best: (Int, String)?
    for anchor in anchors {
      var from = 0
      var tries = 0
      while let at = text.find(Array(anchor.utf8), from: from), tries < 20 {
        tries += 1
        from = at + 1
        var i = at + anchor.utf8.count
        var skipped = 0
        while i < text.bytes.count, skipped < 6,
          [0x20, 0x09, UInt8(ascii: ":"), UInt8(ascii: "="), UInt8(ascii: "\""), UInt8(ascii: "'")]
            .contains(text.bytes[i])
        {
          i += 1
          skipped += 1
        }
        guard i + 36 <= text.bytes.count else { continue }
        let candidate = String(decoding: text.bytes[i..<(i + 36)], as: UTF8.self)
        if UUID(uuidString: candidate) != nil {
          if best == nil || at < best!.0 { best = (at, candidate.lowercased()) }
          break
        }
      }
    }
    return best?.1
  }

  static func timestampAfter(_ text: SearchableText) -> String? {
    for anchor in ["\"timestamp\"", "timestamp:", "timestamp=", "\"date\"", "date:"] {
      var from = 0
      var tries = 0
      while let at = text.find(Array(anchor.utf8), from: from), tries < 10 {
        tries += 1
        from = at + 1
        var i = at + anchor.utf8.count
        while i < text.bytes.count,
          [0x20, UInt8(ascii: ":"), UInt8(ascii: "\""), UInt8(ascii: "=")].contains(text.bytes[i])
        {
          i += 1
        }
        let start = i
        // An HTTP date's comma after the weekday ("Fri, 03 May 2024 …") is part of it.
        while i < text.bytes.count, i - start < 40,
          ![UInt8(ascii: "\""), 0x0A, 0x0D, UInt8(ascii: ","), UInt8(ascii: "}")].contains(text.bytes[i])
            || (text.bytes[i] == UInt8(ascii: ",") && i - start == 3)
        {
          i += 1
        }
        let value = String(decoding: text.bytes[start..<i], as: UTF8.self)
          .trimmedSpaces
        // Must start with a year or a weekday name (HTTP dates).
        if value.count >= 10,
          value.prefix(4).allSatisfy(\.isNumber)
            || ["mon,", "tue,", "wed,", "thu,", "fri,", "sat,", "sun,"].contains(
              value.prefix(4).lowercased())
        {
          return value
        }
      }
    }
    return nil
  }

  // MARK: endpoint

  static func inferEndpoint(_ text: SearchableText, signals: Signals) -> String? {
    let markers: [(String, String)] = [
      ("securitytokeninvalidaudienceexception", "onprem"),
      ("customsettings.config", "onprem"),
      ("set-navserverconfiguration", "onprem"),
      ("/adminconsent", "consent"),
      ("oauthlanding.htm", "consent"),
      ("/admin/v2.", "admin"),
      ("/admin/v1.", "admin"),
      ("/api/microsoft/automation/", "automation"),
      ("/oauth2/v2.0/token", "token"),
      ("/oauth2/token", "token"),
      ("api.businesscentral.dynamics.com/v2.0/", "bc-api"),
      ("/api/v2.0/", "bc-api"),
      ("/api/v1.0/", "bc-api"),
      ("/odatav4/", "bc-api"),
      ("api.businesscentral.dynamics.com", "bc-api"),
    ]
    var found: [(Int, String)] = []
    for (marker, endpoint) in markers {
      if let at = text.rawPosition(of: marker) { found.append((at, endpoint)) }
    }
    if var best = found.min(by: { $0.0 < $1.0 }) {
      // A generic BC URL whose own line goes on to name the automation or admin route is that route.
      if best.1 == "bc-api" || best.1 == "token" {
        let lineEnd = text.find([0x0A], from: best.0) ?? text.lowered.count
        if let specific = found.filter({ ["automation", "admin"].contains($0.1) && $0.0 < lineEnd })
          .min(by: { $0.0 < $1.0 })
        {
          best = specific
        }
      }
      return best.1
    }
    if !signals.aadsts.isEmpty { return "token" }
    // No URL: the tool or operation named says which API was called. BcContainerHelper's
    // environment cmdlets and AL-Go's environment workflows call the admin center API.
    let operations: [(String, String)] = [
      ("get-bcenvironments", "admin"), ("new-bcenvironment", "admin"), ("copy-bcenvironment", "admin"),
      ("remove-bcenvironment", "admin"), ("set-bcenvironmentupdatewindow", "admin"),
      ("get-bcenvironmentsoperations", "admin"), ("create online dev. environment", "admin"),
      ("admin center api", "admin"), ("publish-pertenantextensionapps", "automation"),
    ]
    return operations.first { text.rawPosition(of: $0.0) != nil }?.1
  }
}
