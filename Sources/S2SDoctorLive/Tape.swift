import Foundation
import S2SDoctorCore

/// What a check's requests may go through: the async-http-client transport, or a recorded tape.
public protocol HTTPSending: Sendable {
  func send(_ request: HTTPRequest) async throws -> HTTPResponse
  func shutdown() async
}

extension HTTPTransport: HTTPSending {}

/// A recorded run, replayed as a check's fixture: the settings it ran with and every exchange.
///
/// Nothing secret is kept: requests are their method and URL only (no headers, no body), and an
/// access token in an answer is kept as its claims (`{{token:…}}`), rebuilt unsigned on replay.
/// Times are kept relative to the recording (`Date` headers as an offset, ISO timestamps in bodies
/// as `{{t:seconds}}`, token `exp`/`nbf`/`iat` as offsets), so a fixture means the same thing on
/// any later day.
public struct Tape: Codable, Sendable {
  public var schemaVersion = 1
  /// The check this fixture is for, and the outcome it must produce (`passed` or a reason id).
  public var check: String
  public var expect: String
  public var settings: ConnectionSettings
  /// The secret's shape, not its value: its first three characters (the `hint` Entra ID shows
  /// anyone who can read the app), then letters a-f as `a`, other letters `x`, digits `0`;
  /// punctuation, spaces and control characters stay (they are what the input checks read).
  public var secretShape: String?
  public var exchanges: [Exchange]
  /// The text of the files the run read (`serverConfig`, `serverLog`), by setting; the settings
  /// keep only their file names. Replay writes them out again (`replaySettings(in:certificatePEM:)`).
  public var files: [String: String]?

  public struct Exchange: Codable, Sendable {
    public var method: String
    public var url: String
    /// The `scope` of a token request (two token requests share one URL); nothing else of a body.
    public var scope: String?
    /// The check whose work made the request (shared discovery and token work count for the first).
    public var madeBy: String?
    public var status: Int?
    public var headers: [[String]]?
    public var body: String?
    /// The `Date` header, as seconds from the recording's clock.
    public var dateOffset: Double?
    /// A request that got no answer: its `network.*` reason and detail.
    public var failure: String?
    public var detail: String?
  }

  public init(
    check: String, expect: String, settings: ConnectionSettings, secretShape: String?, exchanges: [Exchange]
  ) {
    self.check = check
    self.expect = expect
    self.settings = settings
    self.secretShape = secretShape
    self.exchanges = exchanges
  }

  /// What a certificate run records as its `certificatePath`: the key is never recorded, so replay
  /// signs with a throwaway certificate (a recorded answer does not depend on which key signed).
  public static let throwawayCertificate = "{{throwaway-certificate}}"

  /// The settings to replay with: the recorded files written into `directory`, and where the run
  /// used a certificate, `certificatePEM()` (a throwaway certificate and its key) written there too.
  public func replaySettings(in directory: String, certificatePEM: () throws -> String) throws -> ConnectionSettings {
    var settings = self.settings
    func write(_ name: String, _ text: String) throws -> String {
      let path = directory + "/" + (name as NSString).lastPathComponent
      try text.write(toFile: path, atomically: true, encoding: .utf8)
      return path
    }
    if let text = files?["serverConfig"] { settings.serverConfig = try write(settings.serverConfig ?? "config", text) }
    if let text = files?["serverLog"] { settings.serverLog = try write(settings.serverLog ?? "log", text) }
    if settings.certificatePath == Self.throwawayCertificate {
      settings.certificatePath = try write("certificate.pem", try certificatePEM())
    }
    return settings
  }

  public static func shape(of secret: String) -> String {
    String(secret.prefix(3))
      + String(
        secret.dropFirst(3).unicodeScalars.map { scalar -> Character in
          switch scalar {
          case "a"..."f": "a"
          case "A"..."F": "A"
          case "g"..."z": "x"
          case "G"..."Z": "X"
          case "0"..."9": "0"
          default: Character(scalar)
          }
        })
  }

  // MARK: times relative to the recording

  static let isoPattern = try! NSRegularExpression(
    pattern: #"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z"#)
  static let relativePattern = try! NSRegularExpression(pattern: #"\{\{t:(-?\d+)\}\}"#)
  static let tokenPattern = try! NSRegularExpression(pattern: #"\{\{token:([A-Za-z0-9_-]*)\}\}"#)
  static let jwtPattern = try! NSRegularExpression(pattern: #"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"#)

  /// Answer text with its times made relative to `now` and its access tokens replaced by claims.
  static func recordable(_ text: String, now: Date) -> String {
    var out = replace(isoPattern, in: text) { match in
      let formatter = ISO8601DateFormatter()
      formatter.formatOptions =
        match.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
      guard let date = formatter.date(from: match) ?? ISO8601DateFormatter().date(from: match) else { return match }
      return "{{t:\(Int(date.timeIntervalSince(now).rounded()))}}"
    }
    // An access token (three base64url parts) becomes its claims, with times as offsets.
    out = replace(jwtPattern, in: out) {
      jwt in
      guard let claims = payload(jwt) else { return "{{token:}}" }
      var relative = claims
      for key in ["exp", "nbf", "iat"] {
        if let value = claims[key] as? Double { relative[key] = Int(value - now.timeIntervalSince1970) }
        if let value = claims[key] as? Int { relative[key] = value - Int(now.timeIntervalSince1970) }
      }
      let data = (try? JSONSerialization.data(withJSONObject: relative, options: [.sortedKeys])) ?? Data()
      return "{{token:\(TokenClaims.base64URLEncode(data))}}"
    }
    return out
  }

  /// The recorded text with its times and tokens made real again, relative to `now`.
  static func replayable(_ text: String, now: Date) -> String {
    var out = replace(relativePattern, in: text) { match in
      let seconds = Double(match.dropFirst(4).dropLast(2)) ?? 0
      let formatter = ISO8601DateFormatter()
      return formatter.string(from: now.addingTimeInterval(seconds))
    }
    out = replace(tokenPattern, in: out) { match in
      let encoded = String(match.dropFirst("{{token:".count).dropLast(2))
      var claims =
        TokenClaims.base64URLDecode(encoded).flatMap {
          try? JSONSerialization.jsonObject(with: $0) as? [String: Any]
        } ?? [:]
      for key in ["exp", "nbf", "iat"] {
        if let offset = claims[key] as? Int { claims[key] = Int(now.timeIntervalSince1970) + offset }
      }
      let header = TokenClaims.base64URLEncode(Data(#"{"alg":"none","typ":"JWT"}"#.utf8))
      let payload = TokenClaims.base64URLEncode(
        (try? JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])) ?? Data())
      return "\(header).\(payload).fixture"
    }
    return out
  }

  /// The `scope` form field of a request body, if any.
  static func scope(of request: HTTPRequest) -> String? {
    guard let body = request.body else { return nil }
    for pair in String(decoding: body, as: UTF8.self).split(separator: "&") where pair.hasPrefix("scope=") {
      let value = pair.dropFirst("scope=".count).replacingOccurrences(of: "+", with: " ")
      return value.removingPercentEncoding ?? value
    }
    return nil
  }

  static func payload(_ jwt: String) -> [String: Any]? {
    let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 3, let data = TokenClaims.base64URLDecode(String(parts[1])) else { return nil }
    return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
  }

  static func replace(_ pattern: NSRegularExpression, in text: String, _ transform: (String) -> String) -> String {
    let ns = text as NSString
    var out = ""
    var last = 0
    for match in pattern.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
      out += ns.substring(with: NSRange(location: last, length: match.range.location - last))
      out += transform(ns.substring(with: match.range))
      last = match.range.location + match.range.length
    }
    return out + ns.substring(from: last)
  }

  static func httpDate(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
    return formatter.string(from: date)
  }
}

/// Passes requests to a real transport and keeps each exchange for `check --record-fixtures`.
public actor RecordingTransport: HTTPSending {
  let inner: any HTTPSending
  let started = Date()
  public private(set) var exchanges: [Tape.Exchange] = []

  public init(_ inner: any HTTPSending) { self.inner = inner }

  public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
    var exchange = Tape.Exchange(
      method: request.method, url: request.url, scope: Tape.scope(of: request), madeBy: CheckRunner.current)
    do {
      let response = try await inner.send(request)
      exchange.status = response.status
      exchange.headers = response.headers.filter { $0.0.lowercased() != "date" && $0.0.lowercased() != "set-cookie" }
        .map { [$0.0, $0.1] }
      exchange.dateOffset = response.serverDate.map { $0.timeIntervalSince(started).rounded() }
      exchange.body = Tape.recordable(String(decoding: response.body, as: UTF8.self), now: started)
      exchanges.append(exchange)
      return response
    } catch let failure as TransportFailure {
      exchange.failure = failure.reason
      exchange.detail = failure.detail
      exchanges.append(exchange)
      throw failure
    }
  }

  public func shutdown() async { await inner.shutdown() }
}

/// Answers from a tape: the first unused exchange with the same method and URL (then the last
/// used one again); a request the tape does not know is an unexpected response.
public actor ReplayTransport: HTTPSending {
  let tape: Tape
  let now = Date()
  var used: Set<Int> = []

  public init(_ tape: Tape) { self.tape = tape }

  public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
    let scope = Tape.scope(of: request)
    let candidates = tape.exchanges.indices.filter {
      tape.exchanges[$0].method == request.method && tape.exchanges[$0].url == request.url
        && tape.exchanges[$0].scope == scope
    }
    guard let index = candidates.first(where: { !used.contains($0) }) ?? candidates.last else {
      throw TransportFailure(
        Reason.networkUnexpectedResponse, "the fixture has no recorded answer for \(request.method) \(request.url)")
    }
    used.insert(index)
    let exchange = tape.exchanges[index]
    if let failure = exchange.failure { throw TransportFailure(failure, exchange.detail ?? failure) }
    var headers = (exchange.headers ?? []).compactMap { pair in pair.count == 2 ? (pair[0], pair[1]) : nil }
    if let offset = exchange.dateOffset { headers.append(("Date", Tape.httpDate(now.addingTimeInterval(offset)))) }
    return HTTPResponse(
      status: exchange.status ?? 0, headers: headers,
      body: Data(Tape.replayable(exchange.body ?? "", now: now).utf8), url: request.url)
  }

  public func shutdown() async {}
}

/// Writes a recorded run as fixtures: one tape per check and outcome not yet covered.
public enum FixtureWriter {
  /// Returns the files written. A check that already has a fixture for this outcome keeps it.
  public static func write(
    report: RunReport, exchanges: [Tape.Exchange], settings: ConnectionSettings, secret: Secret?, folder: String,
    name: String
  ) throws -> [String] {
    var kept = settings
    kept.caFile = nil
    kept.sources = [:]
    // A certificate run keeps no trace of its key: replay signs with a throwaway certificate.
    if kept.certificatePath != nil { kept.certificatePath = Tape.throwawayCertificate }
    // Answers never hold the secret; should a server echo it, it goes (tokens are claims already).
    let forms =
      secret.map { [$0.value, $0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""] } ?? []
    func redact(_ text: String?) -> String? {
      forms.filter { !$0.isEmpty }.reduce(text) { $0?.replacingOccurrences(of: $1, with: "[secret removed]") }
    }
    let redacted = exchanges.map { exchange in
      var copy = exchange
      copy.body = redact(copy.body)
      copy.detail = redact(copy.detail)
      return copy
    }
    // The server's configuration and log go into the tape, by file name (the emulator's hold no
    // secret; recording is for the emulator).
    var files: [String: String] = [:]
    if let path = settings.serverConfig, let text = try? String(contentsOfFile: path, encoding: .utf8) {
      files["serverConfig"] = redact(text)
      kept.serverConfig = (path as NSString).lastPathComponent
    }
    if let path = settings.serverLog, let text = try? String(contentsOfFile: path, encoding: .utf8) {
      files["serverLog"] = redact(text)
      kept.serverLog = (path as NSString).lastPathComponent
    }
    var written: [String] = []
    for result in report.results {
      let expect: String
      switch result.status {
      case .passed: expect = "passed"
      case .skipped: continue
      default:
        guard let reason = result.reason else { continue }
        expect = reason
      }
      let directory = "\(folder)/\(result.check)/fixtures"
      let existing = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
      if existing.contains(where: { $0.hasPrefix(expect + "--") }) { continue }
      var tape = Tape(
        check: result.check, expect: expect, settings: kept, secretShape: secret.map { Tape.shape(of: $0.value) },
        exchanges: redacted)
      tape.files = files.isEmpty ? nil : files
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      let path = "\(directory)/\(expect)--\(name).json"
      try SafeFile.write(try encoder.encode(tape) + Data("\n".utf8), to: path)
      written.append(path)
    }
    return written
  }
}
