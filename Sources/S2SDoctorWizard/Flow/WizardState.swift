import Foundation
import S2SDoctorCore

/// One thing the wizard asks, in the order it asks them.
public enum Field: String, CaseIterable, Sendable, Hashable {
  case deployment
  case tenant
  case clientId
  case credential
  case secret
  case certificate
  case permissions
  case redirectUri
  case environment
  case bcUrl
  case company
}

/// A value known before the question is asked, and where it came from.
public struct Prefill: Sendable, Equatable {
  public var value: String
  public var source: ValueSource

  public init(_ value: String, _ source: ValueSource) {
    self.value = value
    self.source = source
  }

  /// Flags and the answers file are answers: the question is not asked. Environment and
  /// profile values are defaults in an interactive session (and answers without a terminal).
  public var isAuthoritative: Bool { source == .flag || source == .answers || source == .derived }
}

/// What a live look-up of the tenant found (injected; the wizard has no network code).
public struct DiscoveredTenant: Sendable, Equatable {
  public var tenantID: String
  /// e.g. `microsoftonline.com`, `microsoftonline.us`.
  public var cloudInstance: String?

  public init(tenantID: String, cloudInstance: String?) {
    self.tenantID = tenantID
    self.cloudInstance = cloudInstance
  }
}

/// The answers so far, the settings the wizard does not ask about, and the secret.
public struct WizardState: Sendable {
  /// Accepted answers; optional fields answered "none" hold "".
  public var values: [Field: String] = [:]
  public var sources: [Field: ValueSource] = [:]
  /// Settings that came from flags the wizard does not ask about (authority host, CA file…).
  public var base: ConnectionSettings
  public var secret: Secret?
  public var discovery: DiscoveredTenant?
  public var profileName: String

  public init(base: ConnectionSettings, profileName: String) {
    self.base = base
    self.profileName = profileName
  }

  public var deployment: Deployment {
    values[.deployment].flatMap(Deployment.init(rawValue:)) ?? base.deployment
  }

  public var isOnline: Bool { deployment == .online }

  public var usesCertificate: Bool { values[.credential] == "certificate" }

  public var permissions: [String] {
    guard let text = values[.permissions], !text.isEmpty else { return [] }
    return text.split(separator: ",").map { $0.trimmedSpaces }
  }

  func value(_ field: Field) -> String? {
    guard let value = values[field], !value.isEmpty else { return nil }
    return value
  }

  /// The tenant as shown in texts: the typed value, with the GUID when a look-up found one.
  var tenantText: String { value(.tenant) ?? "<tenant>" }
  var clientText: String { value(.clientId) ?? "<client id>" }

  /// The connection settings for these answers (never holds the secret).
  public var settings: ConnectionSettings {
    var s = base
    s.deployment = deployment
    s.sources["deployment"] = sources[.deployment] ?? s.sources["deployment"]
    func set(_ field: Field, _ key: String, _ apply: (inout ConnectionSettings, String?) -> Void) {
      guard values[field] != nil else { return }
      apply(&s, value(field))
      s.sources[key] = sources[field]
    }
    set(.tenant, "tenant") { $0.tenant = $1 }
    set(.clientId, "clientID") { $0.clientID = $1 }
    set(.company, "company") { $0.company = $1 }
    set(.redirectUri, "redirectURI") { $0.redirectURI = $1 }
    if isOnline {
      set(.environment, "environment") { s, v in if let v { s.environment = v } }
      s.bcURL = nil
    } else {
      set(.bcUrl, "bcURL") { $0.bcURL = $1 }
    }
    if usesCertificate {
      set(.certificate, "certificatePath") { $0.certificatePath = $1 }
      s.sources["secret"] = nil
    } else if values[.credential] != nil {
      s.certificatePath = nil
      s.sources["certificatePath"] = nil
      if secret != nil { s.sources["secret"] = sources[.secret] }
    }
    if values[.permissions] != nil {
      s.permissions = permissions
      s.sources["permissions"] = sources[.permissions]
      // Only check the automation API when its permission was added.
      if !permissions.contains(BusinessCentral.automationRole) { s.checkAutomation = false }
    }
    return s
  }

  /// The secret to use, `nil` with a certificate.
  public var credentialSecret: Secret? { usesCertificate ? nil : secret }
}
