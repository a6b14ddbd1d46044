import Foundation

/// Builds and signs v1 app-only access tokens the way Entra ID issues them for Business Central.
struct TokenIssuer: Sendable {
  let signing: RSACertificate
  /// base64url of `{"typ":"JWT","alg":"RS256","x5t":kid,"kid":kid}`, computed once.
  let headerSegment: String
  private let unsignedHeaderSegment = Base64URL.encode(#"{"typ":"JWT","alg":"none"}"#)

  init(signing: RSACertificate) {
    self.signing = signing
    let kid = JSONText.quoted(signing.sha1Thumbprint)
    self.headerSegment = Base64URL.encode(#"{"typ":"JWT","alg":"RS256","x5t":"# + kid + #","kid":"# + kid + "}")
  }

  /// Seconds a token lives (the `expires_in` of the response).
  static let lifetime = 3599

  /// The JSON of one client's claims that never change, serialised once.
  private struct Fragments: Sendable {
    /// `,"iss":"…"`
    let issuer: String
    /// `,"app_displayname":…,"appid":…,"appidacr":"`
    let app: String
    /// `,"idp":…,"idtyp":…,"oid":…,"rh":"`
    let identity: String
    /// `,"roles":[…],"sub":…,"tenant_region_scope":…,"tid":…,"uti":"`
    let tenant: String
  }

  private var fragments: [String: Fragments] = [:]

  /// Pre-computes the fixed claims of every registration.
  mutating func prepare(_ registrations: [ClientRegistration], directory: Directory) {
    for registration in registrations {
      guard let tenant = directory.tenant(id: registration.tenantID) else { continue }
      fragments[registration.clientID.lowercased()] = Self.fragments(for: registration, tenant: tenant)
    }
  }

  private static func fragments(for client: ClientRegistration, tenant: Tenant) -> Fragments {
    let shape = client.token
    let tid = shape.issuingTenant ?? tenant.id
    let issuer = "https://sts.windows.net/\(tid)/"
    let subject = shape.delegated ? StableID.guid("user/" + client.clientID) : client.objectID
    func members(_ list: [(String, JSONText)]) -> String {
      var out = ""
      for (key, value) in list {
        out += ","
        JSONText.appendQuoted(key, to: &out)
        out += ":"
        value.write(into: &out)
      }
      return out
    }
    var tenantMembers: [(String, JSONText)] = []
    if let roles = shape.roles { tenantMembers.append(("roles", .array(roles.map { .string($0) }))) }
    if shape.delegated {
      tenantMembers.append(("scp", .string("user_impersonation Financials.ReadWrite.All")))
      tenantMembers.append(("upn", .string("emulated.user@" + tenant.domain)))
    }
    tenantMembers += [
      ("sub", .string(subject)),
      ("tenant_region_scope", .string(tenant.regionScope == "WW" ? "NA" : tenant.regionScope)),
      ("tid", .string(tid)),
    ]
    return Fragments(
      issuer: members([("iss", .string(issuer))]),
      app: members([("app_displayname", .string(client.displayName)), ("appid", .string(client.clientID))])
        + #","appidacr":""#,
      identity: members([
        ("idp", .string(issuer)), ("idtyp", .string(shape.delegated ? "user" : "app")), ("oid", .string(subject)),
      ]) + #","rh":""#,
      tenant: members(tenantMembers) + #","uti":""#)
  }

  /// The signed token for `client`, requested in `tenant` for `resource`.
  /// - Parameter certificateCredential: the client proved itself with a certificate (`appidacr` 2).
  func issue(
    for client: ClientRegistration, tenant: Tenant, resource: String, certificateCredential: Bool,
    now: Int, graph: Bool = false
  ) throws -> String {
    var client = client
    if graph {
      // A Graph token carries no Business Central roles (and the app has no Graph permissions).
      client.token.roles = nil
      client.token.audience = nil
    }
    let shape = client.token
    let parts =
      graph
      ? Self.fragments(for: client, tenant: tenant)
      : fragments[client.clientID.lowercased()] ?? Self.fragments(for: client, tenant: tenant)
    let issuedAt = shape.expired ? now - 7500 : now - 300
    let expires = shape.expired ? now - 3600 : now + Self.lifetime
    let random = StableID.opaque(count: 102)
    var json = #"{"aud":"#
    json.reserveCapacity(1200)
    JSONText.appendQuoted(shape.audience ?? resource, to: &json)
    json += parts.issuer
    json += #","iat":"# + String(issuedAt) + #","nbf":"# + String(issuedAt) + #","exp":"# + String(expires)
    json += #","aio":""# + random.prefix(56) + #"==""#
    json += parts.app + (certificateCredential ? "2" : "1") + "\""
    json += parts.identity + "1.A" + random.dropFirst(56).prefix(24) + "AAAAAAAAAAAAAAAAAAAAAA.\""
    json += parts.tenant + random.suffix(22) + #"","ver":"1.0","xms_tcdt":1600000000}"#
    let payload = Base64URL.encode(json.utf8)
    if shape.unsigned { return unsignedHeaderSegment + "." + payload + "." }
    let signingInput = headerSegment + "." + payload
    return signingInput + "." + Base64URL.encode(try signing.sign(Data(signingInput.utf8)))
  }
}

extension TokenIssuer {
  /// The administrator every setup tenant has (the device-code sign-in signs in as them).
  static func adminObjectID(_ tenant: Tenant) -> String { StableID.guid("admin/" + tenant.id) }

  /// A delegated v1 token for the tenant's administrator, for the resource of the first scope
  /// (`https://graph.microsoft.com/Application.ReadWrite.All …`): `scp` lists the scope names.
  func issueAdmin(tenant: Tenant, clientID: String, scopes: [String], now: Int) throws -> String {
    var resource = Facts.graphResource
    var names: [String] = []
    for scope in scopes where !["openid", "profile", "offline_access", "email"].contains(scope) {
      if let slash = scope.range(of: "/", options: .backwards), scope.hasPrefix("https://") {
        resource = String(scope[..<slash.lowerBound])
        let name = String(scope[slash.upperBound...])
        if name != ".default" { names.append(name) }
      } else {
        names.append(scope)
      }
    }
    if names.isEmpty { names = ["Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"] }
    let issuer = "https://sts.windows.net/\(tenant.id)/"
    let admin = Self.adminObjectID(tenant)
    let claims = JSONText.object([
      ("aud", .string(resource)),
      ("iss", .string(issuer)),
      ("iat", .int(now - 300)),
      ("nbf", .int(now - 300)),
      ("exp", .int(now + Self.lifetime)),
      ("app_displayname", .string("Microsoft Graph Command Line Tools")),
      ("appid", .string(clientID)),
      ("appidacr", .string("0")),
      ("idp", .string(issuer)),
      ("idtyp", .string("user")),
      ("name", .string("Emulated Administrator")),
      ("oid", .string(admin)),
      ("scp", .string(names.joined(separator: " "))),
      ("sub", .string(admin)),
      ("tid", .string(tenant.id)),
      ("unique_name", .string("admin@" + tenant.domain)),
      ("upn", .string("admin@" + tenant.domain)),
      ("uti", .string(StableID.opaque(count: 22))),
      ("ver", .string("1.0")),
      ("wids", .array([.string("158c047a-c907-4556-b7ef-446551a6b5f7")])),
    ])
    let signingInput = headerSegment + "." + Base64URL.encode(claims.serialized.utf8)
    return signingInput + "." + Base64URL.encode(try signing.sign(Data(signingInput.utf8)))
  }
}
