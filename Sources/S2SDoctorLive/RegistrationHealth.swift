import Foundation
import S2SDoctorCore

/// Reads what Microsoft Graph shows of an app registration and judges it. Pure: no network, so
/// every rule is tested on recorded Graph bodies.
public enum RegistrationHealth {
  /// One client secret or certificate of the application object.
  public struct Credential: Sendable, Equatable {
    public enum Kind: String, Sendable { case secret, certificate }
    public var kind: Kind
    public var name: String
    /// A secret's hint (first three characters) or a certificate's SHA-1 thumbprint (hex).
    public var identifier: String
    public var end: Date?

    public var label: String {
      let display = name.isEmpty ? "" : " '\(name)'"
      return kind == .secret ? "secret\(display) (hint \(identifier)…)" : "certificate\(display) (\(identifier))"
    }
  }

  /// Graph writes `2026-06-01T10:00:00.1234567Z` (seven fractional digits) or `…Z` without them.
  public static func date(_ text: String) -> Date? {
    var core = Substring(text)
    if let dot = core.firstIndex(of: ".") { core = core[..<dot] }
    if core.hasSuffix("Z") { core = core.dropLast() }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.date(from: String(core) + "Z")
  }

  public static func day(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withFullDate]
    return formatter.string(from: date)
  }

  static func hexThumbprint(_ identifier: String) -> String {
    let compact = identifier.replacingOccurrences(of: ":", with: "").uppercased()
    if compact.count == 40, compact.allSatisfy(\.isHexDigit) { return compact }
    if let data = Data(base64Encoded: identifier), data.count == 20 {
      return data.map { String(format: "%02X", $0) }.joined()
    }
    return compact
  }

  public static func credentials(_ application: JSONValue) -> [Credential] {
    var list: [Credential] = []
    for item in application["passwordCredentials"]?.array ?? [] {
      list.append(
        Credential(
          kind: .secret, name: item["displayName"]?.string ?? "", identifier: item["hint"]?.string ?? "",
          end: item["endDateTime"]?.string.flatMap(date)))
    }
    for item in application["keyCredentials"]?.array ?? [] {
      list.append(
        Credential(
          kind: .certificate, name: item["displayName"]?.string ?? "",
          identifier: hexThumbprint(item["customKeyIdentifier"]?.string ?? ""),
          end: item["endDateTime"]?.string.flatMap(date)))
    }
    return list
  }

  static func daysLeft(_ end: Date, now: Date) -> Int {
    Int((end.timeIntervalSince(now) / 86_400).rounded(.down))
  }

  /// The credential in use against its end date, and the others that expire soon.
  /// - Parameters:
  ///   - secretHint: the first three characters of the secret in use; `nil` with a certificate.
  ///   - thumbprint: the SHA-1 thumbprint (hex) of the certificate in use.
  public static func credentialOutcome(
    application: JSONValue, secretHint: String?, thumbprint: String?, now: Date, warningDays: Int
  ) -> Outcome {
    let all = credentials(application)
    let inUse: Credential? = {
      if let thumbprint {
        return all.first { $0.kind == .certificate && $0.identifier == thumbprint.uppercased() }
      }
      guard let secretHint else { return nil }
      // Several secrets can share a hint: the latest end date is the one tokens still come from.
      return all.filter { $0.kind == .secret && $0.identifier == secretHint }
        .max { ($0.end ?? .distantPast) < ($1.end ?? .distantPast) }
    }()
    let soon = all.filter { credential in
      credential != inUse && credential.end.map { $0 > now && daysLeft($0, now: now) <= warningDays } == true
    }
    var evidence = [EvidenceItem(CheckID.registrationCredentials, String(all.count))]
    let others =
      soon.isEmpty
      ? ""
      : "; also expiring within \(warningDays) days: "
        + soon.map { "\($0.label) on \(day($0.end!))" }.joined(separator: ", ")
    if !soon.isEmpty {
      evidence.append(
        .init("registration.otherExpiring", soon.map { "\($0.label) \(day($0.end!))" }.joined(separator: "; ")))
    }
    guard let inUse else {
      let what = thumbprint != nil ? "certificate \(thumbprint!)" : "secret"
      return .passed(
        "the \(what) in use is not among the \(all.count) credentials of the application object (it may belong to another app, or Graph hid it); end date not checked\(others)",
        evidence: evidence)
    }
    guard let end = inUse.end else {
      return .passed("the \(inUse.label) in use has no end date\(others)", evidence: evidence)
    }
    let days = daysLeft(end, now: now)
    evidence.append(.init("registration.inUseExpires", day(end)))
    if end <= now {
      return .failed(
        inUse.kind == .secret ? Reason.entraSecretExpired : Reason.entraCertificateRejected,
        "the \(inUse.label) in use expired on \(day(end)); add a new one and put it into the integration\(others)",
        evidence: evidence)
    }
    if days <= warningDays {
      return .warning(
        Reason.registrationCredentialExpiring,
        "the \(inUse.label) in use expires on \(day(end)) (in \(days) day\(days == 1 ? "" : "s")); add a new one before then\(others)",
        evidence: evidence)
    }
    return .passed("the \(inUse.label) in use expires on \(day(end)) (in \(days) days)\(others)", evidence: evidence)
  }

  /// The ids of the Business Central application permissions in `requiredResourceAccess`.
  public static func configuredRoleIDs(_ application: JSONValue) -> [String] {
    var ids: [String] = []
    for resource in application["requiredResourceAccess"]?.array ?? []
    where resource["resourceAppId"]?.string?.lowercased() == BusinessCentral.resourceAppID {
      for access in resource["resourceAccess"]?.array ?? [] where access["type"]?.string == "Role" {
        if let id = access["id"]?.string?.lowercased() { ids.append(id) }
      }
    }
    return ids
  }

  /// The Business Central application permissions listed in `requiredResourceAccess`, by name.
  public static func configuredBCRoles(_ application: JSONValue) -> [String] {
    configuredRoleIDs(application).map { MicrosoftGraph.knownBCRoleIDs[$0] ?? $0 }
  }

  /// Each required role: configured in the registration, and consented (in the token's roles)?
  public static func permissionOutcome(application: JSONValue, tokenRoles: [String], required: [String]) -> Outcome {
    let configured = configuredBCRoles(application)
    let notAdded = required.filter { !configured.contains($0) }
    let notConsented = required.filter { configured.contains($0) && !tokenRoles.contains($0) }
    let evidence = [
      EvidenceItem("registration.configuredRoles", configured.isEmpty ? "none" : configured.joined(separator: ", ")),
      EvidenceItem(CheckID.tokenRoles, tokenRoles.isEmpty ? "none" : tokenRoles.joined(separator: ", ")),
    ]
    if !notAdded.isEmpty {
      let also = notConsented.isEmpty ? "" : "; \(notConsented.joined(separator: ", ")) is added but not consented"
      return .failed(
        Reason.registrationPermissionNotAdded,
        "\(notAdded.joined(separator: ", ")) is not among the registration's API permissions (it lists \(configured.isEmpty ? "no Business Central permission" : configured.joined(separator: ", "))): add it, then grant admin consent\(also)",
        evidence: evidence)
    }
    if !notConsented.isEmpty {
      return .failed(
        Reason.registrationPermissionNotConsented,
        "\(notConsented.joined(separator: ", ")) is added to the registration but not consented in this tenant (the token's roles: \(tokenRoles.isEmpty ? "none" : tokenRoles.joined(separator: ", "))): grant admin consent",
        evidence: evidence)
    }
    return .passed("added and consented: \(required.joined(separator: ", "))", evidence: evidence)
  }

  public static func redirectOutcome(application: JSONValue, wanted: String) -> Outcome {
    let registered = application["web"]?["redirectUris"]?.strings ?? []
    let evidence = [
      EvidenceItem("registration.webRedirectUris", registered.isEmpty ? "none" : registered.joined(separator: " "))
    ]
    let normalized = wanted.lowercased()
    if registered.contains(where: { $0.lowercased() == normalized }) {
      return .passed("\(wanted) is a Web redirect URI of the registration", evidence: evidence)
    }
    let spa = application["spa"]?["redirectUris"]?.strings ?? []
    let public_ = application["publicClient"]?["redirectUris"]?.strings ?? []
    let elsewhere = (spa + public_).contains { $0.lowercased() == normalized }
    return .failed(
      Reason.registrationRedirectUriMissing,
      "\(wanted) is not a Web redirect URI of the registration\(elsewhere ? " (it is registered under another platform, which consent does not use)" : "") (Web lists: \(registered.isEmpty ? "none" : registered.joined(separator: ", "))); add it under Authentication > Web",
      evidence: evidence)
  }

  /// Single- or multitenant against use: declared (`--multi-tenant`) or seen (the service
  /// principal is owned by another tenant than the one checked).
  public static func audienceOutcome(
    application: JSONValue?, servicePrincipal: JSONValue?, checkedTenant: String, declaredMultiTenant: Bool
  ) -> Outcome {
    let audience = application?["signInAudience"]?.string ?? servicePrincipal?["signInAudience"]?.string
    let owner = servicePrincipal?["appOwnerOrganizationId"]?.string?.lowercased()
    let foreign = owner.map { $0 != checkedTenant.lowercased() } ?? false
    var evidence = [EvidenceItem("registration.signInAudience", audience ?? "unknown")]
    if let owner { evidence.append(.init("registration.homeTenant", owner)) }
    guard let audience else {
      return .passed("the sign-in audience is not visible from this tenant", evidence: evidence)
    }
    let multi = MicrosoftGraph.multiTenantAudiences.contains(audience)
    let use =
      foreign
      ? "used in tenant \(checkedTenant), whose home tenant is \(owner ?? "?")"
      : declaredMultiTenant ? "used in other tenants (--multi-tenant)" : "used in its home tenant"
    if !multi && (foreign || declaredMultiTenant) {
      return .failed(
        Reason.registrationSingleTenant,
        "the registration is single-tenant (\(audience)) but \(use); make it multitenant (AzureADMultipleOrgs)",
        evidence: evidence)
    }
    return .passed("\(audience), \(use)", evidence: evidence)
  }

  public static func servicePrincipalOutcome(_ servicePrincipal: JSONValue?) -> Outcome {
    guard let servicePrincipal else {
      return .skipped("the service principal is not visible from this tenant")
    }
    if case .bool(false)? = servicePrincipal["accountEnabled"] {
      return .failed(
        Reason.entraAppDisabled,
        "the service principal \(servicePrincipal["id"]?.string ?? "") has accountEnabled false (Enterprise applications > Properties > Enabled for users to sign in: No)",
        evidence: [.init("registration.accountEnabled", "false")])
    }
    return .passed(
      "service principal \(servicePrincipal["id"]?.string ?? "?") is enabled",
      evidence: [.init("registration.accountEnabled", "true")])
  }
}
