import Foundation
import S2SDoctorCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension ServerLog {
  // MARK: helpers

  /// The offset of `needle` (lower-case) in `hay[from..<to]`: the project's one byte search,
  /// over the bounded part of the buffer.
  static func find(_ needle: [UInt8], in hay: [UInt8], from: Int, to: Int) -> Int? {
    guard !needle.isEmpty, from >= 0, to <= hay.count, to - from >= needle.count else { return nil }
    return hay.withUnsafeBytes {
      ByteSearch.firstIndex(of: needle, in: UnsafeRawBufferPointer(rebasing: $0[..<to]), from: from)
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
