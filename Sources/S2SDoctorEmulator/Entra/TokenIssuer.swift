import Foundation

/// Builds and signs v1 app-only access tokens the way Entra ID issues them for Business Central.
struct TokenIssuer: Sendable {
  let signing: RSACertificate
  /// base64url of `{"typ":"JWT","alg":"RS256","x5t":kid,"kid":kid}`, computed once.
  private let headerSegment: String
  private let unsignedHeaderSegment = Base64URL.encode(#"{"typ":"JWT","alg":"none"}"#)

  init(signing: RSACertificate) {
    self.signing = signing
    let kid = JSONText.quoted(signing.sha1Thumbprint)
    self.headerSegment = Base64URL.encode(#"{"typ":"JWT","alg":"RS256","x5t":"# + kid + #","kid":"# + kid + "}")
  }

  /// Seconds a token lives (the `expires_in` of the response).
  static let lifetime = 3599

  /// The signed token for `client`, requested in `tenant` for `resource`.
  /// - Parameter certificateCredential: the client proved itself with a certificate (`appidacr` 2).
  func issue(
    for client: ClientRegistration, tenant: Tenant, resource: String, certificateCredential: Bool,
    now: Int
  ) throws -> String {
    let shape = client.token
    let tid = shape.issuingTenant ?? tenant.id
    let issuer = "https://sts.windows.net/\(tid)/"
    let issuedAt = shape.expired ? now - 7500 : now - 300
    let expires = shape.expired ? now - 3600 : now + Self.lifetime
    var claims: [(String, JSONText)] = [
      ("aud", .string(shape.audience ?? resource)),
      ("iss", .string(issuer)),
      ("iat", .int(issuedAt)),
      ("nbf", .int(issuedAt)),
      ("exp", .int(expires)),
      ("aio", .string(StableID.opaque(count: 56) + "==")),
      ("app_displayname", .string(client.displayName)),
      ("appid", .string(client.clientID)),
      ("appidacr", .string(certificateCredential ? "2" : "1")),
      ("idp", .string(issuer)),
      ("idtyp", .string(shape.delegated ? "user" : "app")),
      ("oid", .string(shape.delegated ? StableID.guid("user/" + client.clientID) : client.objectID)),
      ("rh", .string("1.A" + StableID.opaque(count: 60) + ".")),
    ]
    if let roles = shape.roles { claims.append(("roles", .array(roles.map { .string($0) }))) }
    if shape.delegated {
      claims.append(("scp", .string("user_impersonation Financials.ReadWrite.All")))
      claims.append(("upn", .string("emulated.user@" + tenant.domain)))
    }
    claims += [
      ("sub", .string(shape.delegated ? StableID.guid("user/" + client.clientID) : client.objectID)),
      ("tenant_region_scope", .string(tenant.regionScope == "WW" ? "NA" : tenant.regionScope)),
      ("tid", .string(tid)),
      ("uti", .string(StableID.opaque(count: 22))),
      ("ver", .string("1.0")),
      ("xms_tcdt", .int(1_600_000_000)),
    ]
    let payload = Base64URL.encode(JSONText.object(claims).serialized)
    if shape.unsigned { return unsignedHeaderSegment + "." + payload + "." }
    let signingInput = headerSegment + "." + payload
    return signingInput + "." + Base64URL.encode(try signing.sign(Data(signingInput.utf8)))
  }
}
