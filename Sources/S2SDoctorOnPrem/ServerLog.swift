import Foundation
import S2SDoctorCore

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
