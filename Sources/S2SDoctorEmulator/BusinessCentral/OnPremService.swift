import Foundation
import HTTPTypes
import NIOCore
import S2SDoctorCore

/// One emulated on-premises server instance (`/onprem/<name>/…`) and how it is configured.
///
/// The API validates tokens the way an on-premises server does: signature, issuer, expiry, then
/// the token's `aud` against the instance's ValidAudiences, the trusted tenant of its OpenID
/// metadata location, the credential type, and whether the API endpoint is enabled.
struct OnPremInstance: Sendable {
  var name: String
  /// The scenario this instance serves and the reason `check` must report.
  var scenario: String
  var expect: String
  var validAudiences: [String]
  var credentialType = "AccessControlService"
  /// The tenant named in ADOpenIdMetadataLocation (`nil` = the main tenant).
  var metadataTenant: String?
  var multitenant = false
  var apiEnabled = true
  var version = "24.0.16410.0"
  /// Whether the scenario passes `--server-config` (a sample configuration of this instance).
  var withConfiguration = true
  var redirectURI: String?

  /// Whether this version takes app-only (S2S) tokens at all: 18.11, 19.5, 20.0 and later.
  var supportsS2S: Bool {
    let parts = version.split(separator: ".").compactMap { Int($0) }
    guard parts.count >= 2 else { return false }
    switch parts[0] {
    case ..<18: return false
    case 18: return parts[1] >= 11
    case 19: return parts[1] >= 5
    default: return true
    }
  }
}

enum OnPrem {
  static let bcResource = Facts.bcResource
  static let appID = StableID.guid("onprem/app")

  static var instances: [OnPremInstance] {
    [
      OnPremInstance(name: "BC", scenario: "onprem-ok", expect: "passed", validAudiences: [appID, bcResource]),
      // Without a configuration file: the 401 alone points at ValidAudiences.
      OnPremInstance(
        name: "BCAUD", scenario: Reason.onpremAudienceNotValid, expect: Reason.onpremAudienceNotValid,
        validAudiences: [appID], withConfiguration: false),
      OnPremInstance(
        name: "BCAUDCFG", scenario: "onprem.audience-not-valid-config", expect: Reason.onpremAudienceNotValid,
        validAudiences: [appID, bcResource + "/"]),
      OnPremInstance(
        name: "BCNAV", scenario: Reason.onpremNotEntraAuth, expect: Reason.onpremNotEntraAuth,
        validAudiences: [appID, bcResource], credentialType: "NavUserPassword"),
      OnPremInstance(
        name: "BCOTHER", scenario: Reason.onpremMetadataTenantMismatch, expect: Reason.onpremMetadataTenantMismatch,
        validAudiences: [appID, bcResource], metadataTenant: StableID.guid("tenant/onprem-other")),
      OnPremInstance(
        name: "BCMT", scenario: Reason.onpremTenantParameterMissing, expect: Reason.onpremTenantParameterMissing,
        validAudiences: [appID, bcResource], multitenant: true),
      OnPremInstance(
        name: "BCOFF", scenario: Reason.onpremApiDisabled, expect: Reason.onpremApiDisabled,
        validAudiences: [appID, bcResource], apiEnabled: false, withConfiguration: false),
      OnPremInstance(
        name: "BCOLD", scenario: Reason.onpremVersionUnsupported, expect: Reason.onpremVersionUnsupported,
        validAudiences: [appID, bcResource], version: "18.4.21003.0"),
      OnPremInstance(
        name: "BCREDIR", scenario: Reason.onpremRedirectUriMismatch, expect: Reason.onpremRedirectUriMismatch,
        validAudiences: [appID, bcResource], redirectURI: "https://bc.contoso.com/BC/OAuthLanding.htm"),
      // The redirect URI was registered with the default port, or in the wrong case.
      OnPremInstance(
        name: "BCPORT", scenario: "input.redirect-uri-default-port-onprem", expect: Reason.inputRedirectUriDefaultPort,
        validAudiences: [appID, bcResource], redirectURI: "https://bc.contoso.com:443/BCPORT/OAuthLanding.htm"),
      OnPremInstance(
        name: "BCLAND", scenario: "input.redirect-uri-not-oauthlanding-onprem",
        expect: Reason.inputRedirectUriNotOauthlanding,
        validAudiences: [appID, bcResource], redirectURI: "https://bc.contoso.com/BCLAND/oauthlanding.htm"),
    ]
  }

  static func instance(named name: String) -> OnPremInstance? {
    instances.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
  }

  /// A `CustomSettings.config` for `instance`, as `Get-NAVServerConfiguration` reads it.
  static func configuration(_ instance: OnPremInstance, baseURL: String, tenantID: String) -> String {
    let metadataTenant = instance.metadataTenant ?? tenantID
    let metadataKey =
      instance.version.hasPrefix("18.") || instance.version.hasPrefix("19.")
      ? (
        "ClientServicesFederationMetadataLocation",
        "https://login.microsoftonline.com/\(metadataTenant)/FederationMetadata/2007-06/FederationMetadata.xml"
      )
      : (
        "ADOpenIdMetadataLocation",
        "https://login.microsoftonline.com/\(metadataTenant)/.well-known/openid-configuration"
      )
    let settings: [(String, String)] = [
      ("DatabaseServer", "SQL01"), ("DatabaseName", "Cronus"), ("ServerInstance", instance.name),
      ("ServerVersion", instance.version),
      ("ODataServicesPort", "7048"), ("ODataServicesEnabled", instance.apiEnabled ? "true" : "false"),
      ("ApiServicesEnabled", instance.apiEnabled ? "true" : "false"),
      ("PublicODataBaseUrl", "\(baseURL)/onprem/\(instance.name)/ODataV4/"),
      ("PublicWebBaseUrl", "https://bc.contoso.com/\(instance.name)/"),
      ("ClientServicesCredentialType", instance.credentialType),
      ("ValidAudiences", instance.validAudiences.joined(separator: ";")),
      metadataKey,
      ("Multitenant", instance.multitenant ? "true" : "false"),
    ]
    var lines = [
      #"<?xml version="1.0" encoding="utf-8"?>"#,
      "<!-- Sample configuration of the emulated server instance \(instance.name) (Business Central \(instance.version)) -->",
      "<appSettings>",
    ]
    for (key, value) in settings { lines.append(#"  <add key="\#(key)" value="\#(value)" />"#) }
    lines.append("</appSettings>")
    return lines.joined(separator: "\n") + "\n"
  }

  /// The scenarios of every instance; writes their sample configurations into `folder`.
  static func scenarios(baseURL: String, caFile: String?, folder: String, tenantID: String) -> [String: ScenarioInfo] {
    var result: [String: ScenarioInfo] = [:]
    for instance in instances {
      var args = [
        "--deployment", "onprem", "--bc-url", "\(baseURL)/onprem/\(instance.name)",
        "--tenant", tenantID, "--client-id", World.clientID(forScenario: "ok"),
        "--authority-host", baseURL, "--no-automation",
      ]
      if let caFile { args += ["--ca-file", caFile] }
      if instance.withConfiguration {
        let path = folder + "/\(instance.name)-CustomSettings.config"
        try? configuration(instance, baseURL: baseURL, tenantID: tenantID).write(
          toFile: path, atomically: true, encoding: .utf8)
        args += ["--server-config", path]
      }
      if let redirect = instance.redirectURI { args += ["--redirect-uri", redirect] }
      result[instance.scenario] = ScenarioInfo(
        expect: instance.expect, args: args, env: ["AZURE_CLIENT_SECRET": World.secret(forScenario: "ok")])
    }
    return result
  }
}

/// The on-premises API under `/onprem/<instance>/api/…`.
struct OnPremService: Sendable {
  let validator: TokenValidator
  let tenantID: String

  func api(segments: ArraySlice<Substring>, request: Incoming, now: Int) -> Reply {
    let correlationID = StableID.random()
    guard let first = segments.first, let instance = OnPrem.instance(named: String(first)) else {
      return error(
        404, code: "BadRequest_NotFound",
        message: "No HTTP resource was found that matches the request URI '\(request.url)'.",
        correlationID: correlationID)
    }
    let path = segments.dropFirst().joined(separator: "/")
    guard path == "api/v2.0/companies" || path == "api/microsoft/automation/v2.0/companies" else {
      return error(
        404, code: "BadRequest_NotFound",
        message: "No HTTP resource was found that matches the request URI '\(request.url)'.",
        correlationID: correlationID)
    }
    // A switched-off endpoint answers 405 before any authentication.
    guard instance.apiEnabled else { return Reply(status: 405, headers: headers(correlationID), body: "") }
    guard instance.credentialType == "AccessControlService" else {
      var reply = unauthorized(correlationID)
      reply.headers[.wwwAuthenticate] = #"Basic realm="""#
      return reply
    }
    guard let bearer = request.bearerToken, let token = validator.accept(bearer, now: now) else {
      return unauthorized(correlationID)
    }
    // Before S2S support the server has no Microsoft Entra application to map an app-only token
    // to, so it refuses it like any unknown caller (inferred: no captured answer of such a server).
    guard instance.supportsS2S else { return unauthorized(correlationID) }
    // The token's aud is the BC resource URI; ValidAudiences must hold that exact string.
    guard instance.validAudiences.contains(OnPrem.bcResource) else { return unauthorized(correlationID) }
    guard (instance.metadataTenant ?? tenantID) == token.tenantID else { return unauthorized(correlationID) }
    // Unverified: the exact answer of a multitenant server to a request without ?tenant= was not captured.
    if instance.multitenant && !(request.query ?? "").lowercased().contains("tenant=") {
      return unauthorized(correlationID)
    }
    guard token.roles.contains(Facts.apiRole) else { return unauthorized(correlationID) }
    let company = JSONText.object([
      ("id", .string(StableID.guid("onprem/company/\(instance.name)"))), ("systemVersion", .string(instance.version)),
      ("timestamp", .int(1)), ("name", .string("CRONUS International Ltd.")),
      ("displayName", .string("CRONUS International Ltd.")), ("businessProfileId", .string("")),
    ])
    let body = JSONText.object([
      ("@odata.context", .string("\(request.base)/onprem/\(instance.name)/api/v2.0/$metadata#companies")),
      ("value", .array([company])),
    ])
    return Reply(status: 200, headers: headers(correlationID), body: body.serialized)
  }

  func headers(_ correlationID: String) -> HTTPFields {
    var fields = HTTPFields()
    fields[.contentType] = "application/json; odata.metadata=minimal; odata.streaming=true"
    fields[.odataVersion] = "4.0"
    fields[.requestID] = correlationID
    return fields
  }

  func error(_ status: Int, code: String, message: String, correlationID: String) -> Reply {
    let body = JSONText.object([("error", .object([("code", .string(code)), ("message", .string(message))]))])
    var fields = headers(correlationID)
    fields[.contentType] = "application/json; charset=utf-8"
    return Reply(status: status, headers: fields, body: body.serialized)
  }

  func unauthorized(_ correlationID: String) -> Reply {
    error(
      401, code: "Authentication_InvalidCredentials",
      message: "The server has rejected the client credentials.  CorrelationId:  \(correlationID).",
      correlationID: correlationID)
  }
}
