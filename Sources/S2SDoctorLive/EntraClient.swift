import Foundation
import S2SDoctorCore

/// What OpenID discovery says about a tenant.
public struct TenantDiscovery: Sendable, Equatable {
  public var tenantID: String
  public var tokenEndpoint: String
  public var issuer: String
  public var cloudInstance: String?
  public var regionScope: String?
}

/// A token response: the token stays in memory only; reports see its claims.
public struct TokenGrant: Sendable {
  public var accessToken: String
  public var claims: TokenClaims
  public var expiresIn: Int?
  public var serverDate: Date?
  public var receivedAt: Date
  public var requestID: String?
  public var clientRequestID: String
}

/// Speaks to Entra ID: discovery and the client credentials grant. Never caches a token.
public struct EntraClient: Sendable {
  public let transport: any HTTPSending
  public let authorityHost: String

  public init(transport: any HTTPSending, authorityHost: String) {
    self.transport = transport
    var host = authorityHost
    while host.hasSuffix("/") { host.removeLast() }
    self.authorityHost = host
  }

  /// The cloud an authority host belongs to, as discovery names it (`cloud_instance_name`).
  public var expectedCloudInstance: String? {
    guard let host = URLComponents(string: authorityHost)?.host?.lowercased() else { return nil }
    if host.hasSuffix(".us") { return "microsoftonline.us" }
    if host.hasSuffix(".cn") { return "partner.microsoftonline.cn" }
    return "microsoftonline.com"
  }

  public func discoveryURL(_ tenant: String) -> String {
    "\(authorityHost)/\(Self.pathSegment(tenant))/v2.0/.well-known/openid-configuration"
  }

  public func tokenURL(_ tenant: String) -> String {
    "\(authorityHost)/\(Self.pathSegment(tenant))/oauth2/v2.0/token"
  }

  static func pathSegment(_ value: String) -> String {
    value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/")))
      ?? value
  }

  public func discover(_ tenant: String) async throws -> (HTTPResponse, TenantDiscovery?) {
    let response = try await transport.send(
      HTTPRequest(url: discoveryURL(tenant), headers: [("Accept", "application/json")]))
    guard response.status == 200, let json = response.json,
      let issuer = json["issuer"]?.string, let tokenEndpoint = json["token_endpoint"]?.string
    else { return (response, nil) }
    // issuer: https://login.microsoftonline.com/{tid}/v2.0
    let parts = issuer.split(separator: "/")
    let tid = parts.first { InputValidation.isGUID(String($0)) }.map(String.init) ?? tenant
    return (
      response,
      TenantDiscovery(
        tenantID: tid.lowercased(), tokenEndpoint: tokenEndpoint, issuer: issuer,
        cloudInstance: json["cloud_instance_name"]?.string, regionScope: json["tenant_region_scope"]?.string)
    )
  }

  /// The client credentials grant for Business Central (`/.default`), or for `scope`.
  public func requestToken(
    tenant: String, clientID: String, credential: Credential, scope: String = BusinessCentral.scope
  ) async throws -> (
    HTTPResponse, TokenGrant?, clientRequestID: String
  ) {
    let url = tokenURL(tenant)
    var fields: [(String, String)] = [
      ("grant_type", "client_credentials"), ("client_id", clientID), ("scope", scope),
    ]
    switch credential {
    case .secret(let secret): fields.append(("client_secret", secret.value))
    case .certificate(let certificate):
      fields.append(("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"))
      let assertion = try certificate.assertion(clientID: clientID, audience: url)
      Redactor.shared.register(assertion)
      fields.append(("client_assertion", assertion))
    case .none: break
    }
    let body = fields.map { "\($0.0)=\(Redactor.formEncode($0.1))" }.joined(separator: "&")
    let clientRequestID = UUID().uuidString.lowercased()
    let response = try await transport.send(
      HTTPRequest(
        method: "POST", url: url,
        headers: [
          ("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"),
          ("client-request-id", clientRequestID), ("return-client-request-id", "true"),
        ], body: Data(body.utf8)))
    guard response.status == 200 else { return (response, nil, clientRequestID) }
    guard let json = response.json, let token = json["access_token"]?.string else {
      throw TransportFailure(
        Reason.networkUnexpectedResponse,
        "the token endpoint answered HTTP 200 without a JSON access_token (content type \(response.contentType.isEmpty ? "none" : response.contentType))"
      )
    }
    Redactor.shared.register(token)
    guard let claims = TokenClaims.decode(token) else {
      throw TransportFailure(
        Reason.networkUnexpectedResponse, "the token endpoint returned an access_token that is not a JWT")
    }
    return (
      response,
      TokenGrant(
        accessToken: token, claims: claims, expiresIn: json["expires_in"]?.int, serverDate: response.serverDate,
        receivedAt: Date(), requestID: response.header("x-ms-request-id"), clientRequestID: clientRequestID),
      clientRequestID
    )
  }
}
