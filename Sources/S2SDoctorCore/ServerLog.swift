import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Scans an exported Business Central server event log (Event Viewer text or CSV,
/// `Get-WinEvent … | Export-Clixml`, an `.evtx` file, a container's console log) for the errors
/// that explain a rejected S2S token: audience (`SecurityTokenInvalidAudienceException`,
/// IDX10214), issuer (IDX10205), entitlements and expired tokens.
///
/// What counts as which error is not defined here: the phrases and their ranking are the `text`
/// match rules of the catalogue reasons that the `onprem.server-log` check declares, evaluated by
/// `Explainer` exactly as `explain` does. The scan streams the file in blocks, reads at most
/// `limit` bytes and is linear in the input.
public enum ServerLog {
  /// Logs are read up to this size; the rest is reported as not scanned.
  public static let defaultLimit = 64 << 20
  /// Lines longer than this are scanned in pieces (a Clixml export can be one long line).
  static let maximumLine = 1 << 20

  /// The reasons scanned for, in priority order, when the catalogue has no `onprem.server-log`.
  static let fallbackReasons = [
    Reason.onpremAudienceNotValid, Reason.onpremMetadataTenantMismatch, Reason.tokenRolesMissing,
    Reason.onpremTokenLifetimeExceeded, Reason.tokenClockSkew,
  ]

  /// One kind of error found in the log.
  public struct Finding: Sendable, Equatable {
    public var reason: String
    /// Lines that matched.
    public var count: Int
    /// 1-based line of the first match (physical lines of the decoded text).
    public var firstLineNumber: Int
    /// The first matching line, shortened around the match (not yet redacted).
    public var firstLine: String
    /// What matched, as `explain` words it (`“IDX10214” + endpoint onprem`).
    public var matched: String
  }

  public struct Report: Sendable, Equatable {
    /// In the priority order of the check's reasons (the first is the diagnosis).
    public var findings: [Finding] = []
    public var linesScanned = 0
    public var bytesScanned = 0
    /// The file size, when the file was larger than the limit.
    public var totalBytes: Int?
    public var encoding = "UTF-8"
    /// `Server instance: BC` as BC writes it at the top of each event.
    public var serverInstance: String?
    /// The token audience an IDX10214 message names (`Audiences: '…'`), unless hidden as PII.
    public var rejectedAudience: String?
    /// The token issuer an IDX10205 message names (`Issuer: '…'`).
    public var rejectedIssuer: String?

    public var truncated: Bool { totalBytes != nil }
  }

  public struct ReadError: Error, CustomStringConvertible, Sendable {
    public var description: String
  }

  // MARK: entry points

  /// The `onprem.server-log` check.
  public static func diagnose(settings: ConnectionSettings, catalogue: Catalogue = .builtIn, limit: Int = defaultLimit)
    -> Outcome
  {
    guard let path = settings.serverLog, !path.isEmpty else {
      return .couldNotTest(nil, "no server log was given (--server-log)")
    }
    let report: Report
    do {
      report = try scan(path: path, catalogue: catalogue, limit: limit)
    } catch {
      return .couldNotTest(
        nil, "cannot read the server log \(path): \(error.description)", evidence: [.init("log.file", path)])
    }
    return outcome(report, path: path, settings: settings, catalogue: catalogue)
  }

  /// Scans a file, streaming it in blocks.
  public static func scan(path: String, catalogue: Catalogue = .builtIn, limit: Int = defaultLimit) throws(ReadError)
    -> Report
  {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw ReadError(description: "no such file")
    }
    guard !isDirectory.boolValue else { throw ReadError(description: "this is a folder, not a file") }
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw ReadError(description: "the file cannot be opened (permissions?)")
    }
    defer { try? handle.close() }
    var scanner = Scanner(catalogue: catalogue)
    var read = 0
    let block = 1 << 20
    do {
      while read < limit {
        guard let data = try handle.read(upToCount: min(block, limit - read)), !data.isEmpty else { break }
        read += data.count
        scanner.feed(data)
      }
    } catch {
      throw ReadError(description: error.localizedDescription)
    }
    var report = scanner.finish()
    if read >= limit, let size = try? handle.seekToEnd(), size > UInt64(read) {
      report.totalBytes = Int(size)
    }
    return report
  }

  /// Scans text or bytes held in memory.
  public static func scan(_ data: Data, catalogue: Catalogue = .builtIn) -> Report {
    var scanner = Scanner(catalogue: catalogue)
    scanner.feed(data)
    return scanner.finish()
  }

  public static func scan(_ text: String, catalogue: Catalogue = .builtIn) -> Report {
    scan(Data(text.utf8), catalogue: catalogue)
  }

  // MARK: scanner

  /// An incremental scanner: `feed` raw file bytes in any chunks, then `finish`.
  public struct Scanner {
    struct Rule {
      var reason: String
      var priority: Int
      var rule: MatchRule
    }

    let explainer: Explainer
    let rules: [Rule]
    let reasons: [String]
    /// Lower-cased phrases of every rule: a line without one of them cannot match.
    let needles: [[UInt8]]
    private var findings: [String: Finding] = [:]
    private var report = Report()
    private var decoder = Decoder()
    private var pending: [UInt8] = []
    /// Raw bytes held back until the encoding is known.
    private var head: [UInt8] = []
    /// The 1-based number of the line being read.
    private var line = 1
    /// The last block ended inside a line (no final newline).
    private var openLine = false
    private var started = false

    public init(catalogue: Catalogue = .builtIn) {
      explainer = Explainer(catalogue: catalogue)
      reasons =
        catalogue.check(CheckID.onpremServerLog)?.reasons.filter { catalogue.reason($0) != nil }
        ?? ServerLog.fallbackReasons.filter { catalogue.reason($0) != nil }
      var rules: [Rule] = []
      for (priority, id) in reasons.enumerated() {
        guard let reason = catalogue.reason(id) else { continue }
        // Only text rules can match a log line: HTTP status and BC codes describe responses.
        for rule in reason.match
        where !rule.text.isEmpty && rule.aadsts.isEmpty && rule.bc.isEmpty
          && rule.http.isEmpty && rule.oauthError.isEmpty
          && (rule.endpoint.isEmpty || rule.endpoint.contains("onprem"))
        {
          rules.append(Rule(reason: id, priority: priority, rule: rule))
        }
      }
      self.rules = rules
      var needles: [[UInt8]] = []
      for phrase in rules.flatMap(\.rule.text) {
        let needle = Array(phrase.lowercased().utf8)
        if !needle.isEmpty && !needles.contains(needle) { needles.append(needle) }
      }
      self.needles = needles
    }

    public mutating func feed(_ data: Data) {
      guard !data.isEmpty else { return }
      let bytes = [UInt8](data)
      report.bytesScanned += bytes.count
      if !started {
        // The encoding is decided on the first 64 KB, however the input is chunked.
        head += bytes
        if head.count >= Decoder.sniffLength { start() }
        return
      }
      pending += decoder.decode(bytes)
      drain(final: false)
    }

    private mutating func start() {
      started = true
      decoder = Decoder.detect(head)
      report.encoding = decoder.name
      pending += decoder.decode(head)
      head = []
      drain(final: false)
    }

    public mutating func finish() -> Report {
      if !started { start() }
      pending += decoder.flush()
      drain(final: true)
      report.linesScanned = line - 1 + (openLine ? 1 : 0)
      report.findings = reasons.compactMap { findings[$0] }
      return report
    }

    /// Processes complete lines; keeps a trailing partial line unless it is overlong or final.
    private mutating func drain(final: Bool) {
      guard !pending.isEmpty else { return }
      let cut: Int
      if final {
        cut = pending.count
      } else if let newline = pending.lastIndex(of: 0x0A) {
        cut = newline + 1
      } else if pending.count >= ServerLog.maximumLine {
        cut = pending.count
      } else {
        return
      }
      let block = Array(pending[..<cut])
      pending.removeFirst(cut)
      process(block)
    }

    private mutating func process(_ block: [UInt8]) {
      let lowered = [UInt8](unsafeUninitializedCapacity: block.count) { out, count in
        block.withUnsafeBufferPointer { input in
          for i in 0..<input.count {
            let b = input[i]
            out[i] = b >= 0x41 && b <= 0x5A ? b + 32 : b
          }
        }
        count = block.count
      }
      if report.serverInstance == nil { report.serverInstance = Self.serverInstance(in: block, lowered: lowered) }
      let candidate = needles.contains { ServerLog.find($0, in: lowered, from: 0, to: lowered.count) != nil }
      defer { openLine = block.last != 0x0A }
      guard candidate else {
        line += ByteScan.offsets(of: 0x0A, in: block).count
        return
      }
      var start = 0
      while start < block.count {
        let end = ByteScan.first(0x0A, in: block, from: start, to: block.count) ?? block.count
        if needles.contains(where: { ServerLog.find($0, in: lowered, from: start, to: end) != nil }) {
          classify(block[start..<end], number: line)
        }
        if end < block.count { line += 1 }
        start = end + 1
      }
    }

    /// Ranks the line against the rules with `Explainer` and records the best reason.
    private mutating func classify(_ raw: ArraySlice<UInt8>, number: Int) {
      var bytes = raw
      if bytes.last == 0x0D { bytes = bytes.dropLast() }
      let text = String(decoding: bytes.prefix(64 << 10), as: UTF8.self)
      let searchable = SearchableText(text)
      var signals = Signals()
      signals.endpoint = "onprem"
      let context = Explainer.Context(text: searchable, signals: signals, urls: URLFacts())
      var best: (score: Int, priority: Int, reason: String, matched: String)?
      for rule in rules {
        guard let (score, matched, _) = explainer.evaluate(rule.rule, context) else {
          continue
        }
        if best == nil || score > best!.score || (score == best!.score && rule.priority < best!.priority) {
          best = (score, rule.priority, rule.reason, matched)
        }
      }
      guard let best else { return }
      if var finding = findings[best.reason] {
        finding.count += 1
        findings[best.reason] = finding
      } else {
        findings[best.reason] = Finding(
          reason: best.reason, count: 1, firstLineNumber: number,
          firstLine: ServerLog.excerpt(text, around: rules.filter { $0.reason == best.reason }.flatMap(\.rule.text)),
          matched: best.matched)
      }
      if report.rejectedAudience == nil, let audience = ServerLog.quoted(after: "audiences: '", in: text) {
        report.rejectedAudience = audience
      }
      if report.rejectedIssuer == nil, let issuer = ServerLog.quoted(after: "issuer: '", in: text) {
        report.rejectedIssuer = issuer
      }
    }

    /// `Server instance: BC240` (BC's event header).
    static func serverInstance(in block: [UInt8], lowered: [UInt8]) -> String? {
      let anchor = Array("server instance:".utf8)
      guard let at = ServerLog.find(anchor, in: lowered, from: 0, to: lowered.count) else { return nil }
      var i = at + anchor.count
      while i < block.count, block[i] == 0x20 || block[i] == 0x09 { i += 1 }
      let start = i
      while i < block.count, i - start < 64,
        SignalExtractor.isIdentifier(block[i]) || block[i] == UInt8(ascii: "-")
          || block[i] == UInt8(ascii: "$") || block[i] == UInt8(ascii: ".")
      {
        i += 1
      }
      return i > start ? String(decoding: block[start..<i], as: UTF8.self) : nil
    }
  }

  // MARK: decoding

  /// Turns file bytes into UTF-8: UTF-8 as is; UTF-16 with a byte order mark (Event Viewer's
  /// "Save as text", PowerShell 5's `>` and Export-Clixml) transcoded; other data with NUL bytes
  /// (an `.evtx` file stores its strings as UTF-16 without a mark) with the NULs dropped, which
  /// leaves ASCII text readable at any alignment.
  struct Decoder {
    enum Mode { case utf8, utf16LE, utf16BE, dropNUL }
    var mode = Mode.utf8
    private var odd: UInt8?
    private var highSurrogate: UInt16?
    private var atStart = true

    var name: String {
      switch mode {
      case .utf8: "UTF-8"
      case .utf16LE: "UTF-16LE"
      case .utf16BE: "UTF-16BE"
      case .dropNUL: "binary (NUL bytes ignored)"
      }
    }

    static let sniffLength = 65_536

    static func detect(_ first: [UInt8]) -> Decoder {
      var decoder = Decoder()
      if first.starts(with: [0xFF, 0xFE]) {
        decoder.mode = .utf16LE
      } else if first.starts(with: [0xFE, 0xFF]) {
        decoder.mode = .utf16BE
      } else if ByteScan.first(0, in: first, from: 0, to: min(first.count, sniffLength)) != nil {
        decoder.mode = .dropNUL
      }
      return decoder
    }

    mutating func decode(_ bytes: [UInt8]) -> [UInt8] {
      switch mode {
      case .utf8:
        return bytes
      case .dropNUL:
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var start = 0
        for zero in ByteScan.offsets(of: 0, in: bytes) {
          out += bytes[start..<zero]
          start = zero + 1
        }
        out += bytes[start...]
        return out
      case .utf16LE, .utf16BE:
        var input = bytes[...]
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count / 2 + 8)
        if let first = odd, let next = input.first {
          append(unit(first, next), to: &out)
          input = input.dropFirst()
          odd = nil
        }
        var i = input.startIndex
        while i + 1 < input.endIndex {
          append(unit(input[i], input[i + 1]), to: &out)
          i += 2
        }
        if i < input.endIndex { odd = input[i] }
        return out
      }
    }

    mutating func flush() -> [UInt8] {
      var out: [UInt8] = []
      if highSurrogate != nil { out += Array("\u{FFFD}".utf8) }
      highSurrogate = nil
      odd = nil
      return out
    }

    private func unit(_ a: UInt8, _ b: UInt8) -> UInt16 {
      mode == .utf16LE ? UInt16(b) << 8 | UInt16(a) : UInt16(a) << 8 | UInt16(b)
    }

    private mutating func append(_ unit: UInt16, to out: inout [UInt8]) {
      if atStart {
        atStart = false
        if unit == 0xFEFF { return }  // the byte order mark
      }
      if let high = highSurrogate {
        highSurrogate = nil
        if (0xDC00...0xDFFF).contains(unit) {
          let scalar = 0x10000 + ((UInt32(high) - 0xD800) << 10) + (UInt32(unit) - 0xDC00)
          out += Array(String(Character(Unicode.Scalar(scalar)!)).utf8)
          return
        }
        out += Array("\u{FFFD}".utf8)
      }
      if (0xD800...0xDBFF).contains(unit) {
        highSurrogate = unit
      } else if (0xDC00...0xDFFF).contains(unit) {
        out += Array("\u{FFFD}".utf8)
      } else if unit < 0x80 {
        if unit != 0 { out.append(UInt8(unit)) }
      } else {
        out += Array(String(Character(Unicode.Scalar(unit)!)).utf8)
      }
    }
  }

  // MARK: helpers

  /// The offset of `needle` (lower-case) in `hay[from..<to]`: memchr for the first byte, memcmp
  /// for the rest.
  static func find(_ needle: [UInt8], in hay: [UInt8], from: Int, to: Int) -> Int? {
    guard !needle.isEmpty, from >= 0, to <= hay.count, to - from >= needle.count else { return nil }
    return hay.withUnsafeBytes { h in
      needle.withUnsafeBytes { n -> Int? in
        let base = h.baseAddress!
        let first = Int32(needle[0])
        var offset = from
        let last = to - needle.count
        while offset <= last {
          guard let hit = memchr(base + offset, first, last - offset + 1) else { return nil }
          let position = base.distance(to: UnsafeRawPointer(hit))
          if memcmp(base + position, n.baseAddress!, needle.count) == 0 { return position }
          offset = position + 1
        }
        return nil
      }
    }
  }

  /// The line, or a 300-character window around the first of `phrases`; control characters
  /// become spaces.
  static func excerpt(_ line: String, around phrases: [String], width: Int = 300) -> String {
    var text = String(line.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
    text = text.trimmedSpaces
    guard text.count > width else { return text }
    let lower = text.lowercased()
    var start = text.startIndex
    if let hit = phrases.compactMap({ lower.range(of: $0.lowercased()) }).min(by: { $0.lowerBound < $1.lowerBound }),
      lower.count == text.count
    {
      let offset = lower.distance(from: lower.startIndex, to: hit.lowerBound)
      start = text.index(text.startIndex, offsetBy: max(0, min(offset - 80, text.count - width)))
    }
    let end = text.index(start, offsetBy: width, limitedBy: text.endIndex) ?? text.endIndex
    return (start > text.startIndex ? "…" : "") + text[start..<end] + (end < text.endIndex ? "…" : "")
  }

  /// The text between `anchor` (lower-case) and the next `'`, e.g. IDX10214's
  /// `Audiences: 'https://api.businesscentral.dynamics.com/'`; nil when hidden as PII.
  static func quoted(after anchor: String, in text: String) -> String? {
    guard let range = text.range(of: anchor, options: .caseInsensitive) else { return nil }
    let value = text[range.upperBound...].prefix { $0 != "'" }
    guard !value.isEmpty, value.count <= 300, !value.hasPrefix("[PII"), !value.contains(" ") else { return nil }
    return String(value)
  }

  // MARK: outcome

  static func outcome(_ report: Report, path: String, settings: ConnectionSettings, catalogue: Catalogue) -> Outcome {
    let redactor = Redactor.shared
    var evidence: [EvidenceItem] = [.init("log.file", path)]
    var scanned = "\(report.linesScanned) lines, \(megabytes(report.bytesScanned)), \(report.encoding)"
    if let total = report.totalBytes {
      scanned += "; only the first \(megabytes(report.bytesScanned)) of \(megabytes(total)) were read"
    }
    evidence.append(.init("log.scanned", scanned))
    if let instance = report.serverInstance { evidence.append(.init("log.serverInstance", instance)) }
    guard report.bytesScanned > 0 else {
      return .couldNotTest(nil, "the server log \(path) is empty", evidence: evidence)
    }
    for finding in report.findings {
      evidence.append(.init("log.\(finding.reason).count", String(finding.count)))
      evidence.append(
        .init("log.\(finding.reason).first", "line \(finding.firstLineNumber): \(redactor.redact(finding.firstLine))"))
    }
    if let audience = report.rejectedAudience { evidence.append(.init("log.rejectedAudience", audience)) }
    if let issuer = report.rejectedIssuer { evidence.append(.init("log.rejectedIssuer", redactor.redact(issuer))) }
    let truncatedNote = report.truncated ? " (only the first \(megabytes(report.bytesScanned)) were read)" : ""
    guard let first = report.findings.first else {
      return .passed(
        "no audience, issuer, entitlement or token-lifetime errors in \(report.linesScanned) lines of \(path)\(truncatedNote)",
        evidence: evidence)
    }
    let others = report.findings.dropFirst().map { "\($0.count) × \($0.reason)" }
    var detail =
      "\(path): \(first.count) line\(first.count == 1 ? "" : "s") with \(label(first.reason)) (first at line \(first.firstLineNumber): “\(String(redactor.redact(first.firstLine).prefix(200)))”). "
      + fix(for: first.reason, report: report, settings: settings, catalogue: catalogue)
    if !others.isEmpty { detail += " Also in the log: \(others.joined(separator: ", "))." }
    detail += truncatedNote
    return .failed(first.reason, detail, evidence: evidence)
  }

  static func label(_ reason: String) -> String {
    switch reason {
    case Reason.onpremAudienceNotValid: "audience-validation errors (the token's aud is not in ValidAudiences)"
    case Reason.onpremMetadataTenantMismatch:
      "issuer-validation errors (the token comes from a tenant the server does not trust)"
    case Reason.tokenRolesMissing: "entitlement errors (the token carries no Business Central permission)"
    case Reason.onpremTokenLifetimeExceeded: "expired-token errors"
    case Reason.tokenClockSkew: "token lifetime errors"
    default: "\(reason) errors"
    }
  }

  /// The fix, with the values the log and the settings give.
  static func fix(for reason: String, report: Report, settings: ConnectionSettings, catalogue: Catalogue) -> String {
    let configuration = settings.serverConfig.flatMap { try? ServerConfiguration.load(path: $0) }
    let instance =
      configuration?.serverInstance ?? report.serverInstance
      ?? ServerConfiguration.fallbackInstance(settings: settings)
    let restart = PowerShell.restart(instance)
    switch reason {
    case Reason.onpremAudienceNotValid:
      let audience = report.rejectedAudience ?? BusinessCentral.resource
      var entries =
        configuration?.value("ValidAudiences")?.split(separator: ";").map { $0.trimmedSpaces }
        .filter { !$0.isEmpty } ?? []
      let known = configuration != nil
      if !entries.contains(audience) { entries.append(audience) }
      let value = known ? entries.joined(separator: ";") : "<existing entries>;\(audience)"
      return
        "Add the token's exact aud '\(audience)' to ValidAudiences: \(PowerShell.set(instance, "ValidAudiences", value)), then \(restart)."
    case Reason.onpremMetadataTenantMismatch:
      let tenant =
        report.rejectedIssuer.flatMap(tenantGUID(in:))
        ?? settings.tenant.flatMap { InputValidation.isGUID($0) ? $0.lowercased() : nil } ?? "<tenant id>"
      let host =
        settings.authorityHost.hasSuffix("/") ? String(settings.authorityHost.dropLast()) : settings.authorityHost
      return
        "Point the server at the token's tenant: \(PowerShell.set(instance, "ADOpenIdMetadataLocation", "\(host)/\(tenant)/.well-known/openid-configuration")) (version 21 and earlier: ClientServicesFederationMetadataLocation = \(host)/\(tenant)/FederationMetadata/2007-06/FederationMetadata.xml), then \(restart)."
    case Reason.tokenRolesMissing:
      return
        "Grant admin consent for the Business Central application permission API.ReadWrite.All\(settings.adminConsentURL.map { " (\($0))" } ?? ""), request a new token, and check that the app is on the Microsoft Entra Applications page with State = Enabled."
    case Reason.onpremTokenLifetimeExceeded:
      return
        "Request a new token before the old one expires; if sessions must outlive it, \(PowerShell.set(instance, "ExtendedSecurityTokenLifetime", "12")) (hours, 0–24), then \(restart)."
    default:
      return catalogue.reason(reason)?.fix ?? ""
    }
  }

  static func tenantGUID(in issuer: String) -> String? {
    for part in issuer.split(separator: "/") where InputValidation.isGUID(String(part)) {
      return part.lowercased()
    }
    return nil
  }

  static func megabytes(_ bytes: Int) -> String {
    bytes < 1 << 20 ? "\(max(1, bytes >> 10)) KB" : "\(bytes >> 20) MB"
  }
}

extension ServerConfiguration {
  /// The instance for fix commands when no configuration was read.
  static func fallbackInstance(settings: ConnectionSettings) -> String {
    if let url = settings.bcURL, let path = URLComponents(string: url)?.path,
      let first = path.split(separator: "/").first, !first.isEmpty
    {
      return String(first)
    }
    return "BC"
  }
}
