import Foundation

public enum Deployment: String, Codable, Sendable, CaseIterable {
  case online
  case onprem
}

/// Where a setting's value came from, shown in summaries ("value (source)").
public enum ValueSource: String, Codable, Sendable {
  case typed
  case flag
  case environment
  case profile
  case defaultValue = "default"
  case answers = "answers-file"
  case derived
}

/// Everything needed to check one registration, except the credential's value.
///
/// Safe to print and to save: it holds identifiers and URLs, never a secret.
public struct ConnectionSettings: Codable, Sendable, Equatable {
  public var tenant: String?
  public var clientID: String?
  public var environment: String = "production"
  public var company: String?
  public var deployment: Deployment = .online
  /// On-premises: the server instance's base URL, e.g. https://server:7048/BC.
  public var bcURL: String?
  public var serverTenant: String?
  public var authorityHost: String = "https://login.microsoftonline.com"
  public var bcAPIHost: String = BusinessCentral.apiHost
  public var caFile: String?
  public var timeoutSeconds: Double = 10
  public var certificatePath: String?
  public var redirectURI: String?
  public var apiPath: String?
  /// Application permissions the user says were added (wizard) — informational.
  public var permissions: [String] = []
  public var checkAutomation: Bool = true
  public var checkAdmin: Bool = false
  public var serverConfig: String?
  public var serverLog: String?
  /// On-premises only: the user allowed an http:// `bcURL` (`--allow-http-bc-url`). Never saved.
  public var allowHTTPBCURL: Bool?
  /// Microsoft Graph base URL; `nil`: derived from the authority host (`graphBase`).
  public var graphHost: String?
  /// Days before a credential's end date that count as expiring soon; `nil`: 30.
  public var expiryWarningDays: Int?
  /// The app is used in tenants other than its home tenant (a partner integration, a fleet).
  public var multiTenant: Bool?
  /// Where each value came from, by field name.
  public var sources: [String: ValueSource] = [:]

  public init() {}

  /// `secret` or `certificate`; used in reports instead of the credential itself.
  public func credentialDescription(hasSecret: Bool) -> String {
    if let certificatePath { return "certificate (\(certificatePath))" }
    if hasSecret {
      return "client secret from \(sources["secret"]?.rawValue ?? "environment") (value hidden)"
    }
    return "none"
  }

  public func targetInfo(hasSecret: Bool) -> TargetInfo {
    TargetInfo(
      tenant: tenant, clientId: clientID,
      environment: deployment == .online ? environment : nil, company: company,
      deployment: deployment.rawValue, authorityHost: authorityHost,
      bcApiHost: deployment == .online ? bcAPIHost : nil, bcUrl: bcURL,
      credential: credentialDescription(hasSecret: hasSecret))
  }

  /// The admin consent URL for this tenant and client (v1 form, used for application permissions).
  public var adminConsentURL: String? {
    guard let tenant, let clientID else { return nil }
    var components = URLComponents(string: authorityHost)
    components?.path = "/\(tenant)/adminconsent"
    // Values are percent-encoded whole (":" and "/" too), as Entra ID expects a redirect_uri.
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    func encode(_ value: String) -> String {
      value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
    var query = "client_id=" + encode(clientID)
    if let redirectURI { query += "&redirect_uri=" + encode(redirectURI) }
    components?.percentEncodedQuery = query
    return components?.string
  }
}

/// A saved registration, stored as JSON under the XDG config directory.
///
/// A profile has no field for a secret, so no code path can save one.
public struct Profile: Codable, Sendable, Equatable {
  public var schemaVersion = 1
  public var name: String
  public var settings: ConnectionSettings
  public var savedAt: String

  public init(name: String, settings: ConnectionSettings, savedAt: Date = Date()) {
    self.name = name
    var clean = settings
    clean.sources = [:]
    clean.allowHTTPBCURL = nil
    self.settings = clean
    self.savedAt = ISO8601DateFormatter().string(from: savedAt)
  }
}
