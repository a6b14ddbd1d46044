import Foundation
import HTTPTypes
import NIOCore

/// The Entra ID side: OpenID discovery, JWKS, instance discovery and the v2.0 token endpoint.
struct EntraService: Sendable {
  let directory: Directory
  let issuer: TokenIssuer
  /// The signing key as JWK members (without the per-request `issuer`), computed once.
  let jwk: [(String, JSONText)]
  let secure: Bool
  /// Applications and sign-ins created at run time (`setup --create`).
  let store: GraphStore

  init(directory: Directory, issuer: TokenIssuer, secure: Bool, store: GraphStore = GraphStore()) throws {
    self.directory = directory
    self.store = store
    self.issuer = issuer
    self.jwk = try issuer.signing.jwkMembers()
    self.secure = secure
    self.estsBase = Self.baseHeaders(discovery: false, secure: secure)
    self.discoveryBase = Self.baseHeaders(discovery: true, secure: secure)
  }

  private static let genericTenants: Set<String> = ["common", "organizations", "consumers"]

  // MARK: - Headers

  /// The headers ESTS sends on token and error responses (without `x-ms-request-id`).
  private let estsBase: HTTPFields
  private let discoveryBase: HTTPFields

  /// The headers of a token endpoint answer.
  func tokenHeaders() -> HTTPFields { estsHeaders(traceID: StableID.random()) }

  private func estsHeaders(traceID: String) -> HTTPFields {
    var fields = estsBase
    fields[.msRequestID] = traceID
    return fields
  }

  private func discoveryHeaders(traceID: String) -> HTTPFields {
    var fields = discoveryBase
    fields[.msRequestID] = traceID
    return fields
  }

  private static func baseHeaders(discovery: Bool, secure: Bool) -> HTTPFields {
    var fields = HTTPFields()
    if discovery {
      fields[.cacheControl] = "max-age=86400, private"
    } else {
      fields[.cacheControl] = "no-store, no-cache"
      fields[.pragma] = "no-cache"
    }
    fields[.contentType] = "application/json; charset=utf-8"
    if !discovery { fields[.expires] = "-1" }
    if secure { fields[.strictTransportSecurity] = "max-age=31536000; includeSubDomains" }
    fields[.xContentTypeOptions] = "nosniff"
    if discovery {
      fields[.accessControlAllowOrigin] = "*"
      fields[.accessControlAllowMethods] = "GET, OPTIONS"
    }
    fields[.msESTSServer] = "2.1.0 - S2S Doctor emulator"
    return fields
  }

  /// An error in the 7-key shape real Entra ID uses, with `invalid_client` as 401.
  func errorReply(
    _ error: EntraError, request: Incoming, now: Int, dateOffset: Int = 0, status: Int? = nil
  ) -> Reply {
    let traceID = StableID.random()
    let correlationID = request.clientRequestID ?? StableID.random()
    let timestamp = TimeText.entraTimestamp(now + dateOffset)
    let description =
      "AADSTS\(error.code): \(error.message)\r\nTrace ID: \(traceID)\r\nCorrelation ID: \(correlationID)\r\nTimestamp: \(timestamp)"
    let body = JSONText.object([
      ("error", .string(error.error)),
      ("error_description", .string(description)),
      ("error_codes", .array([.int(error.code)])),
      ("timestamp", .string(timestamp)),
      ("trace_id", .string(traceID)),
      ("correlation_id", .string(correlationID)),
      ("error_uri", .string("\(request.base)/error?code=\(error.code)")),
    ])
    var reply = Reply(
      status: status ?? error.status, headers: estsHeaders(traceID: traceID), body: body.serialized)
    reply.dateOffset = dateOffset
    return reply
  }

  // MARK: - Tenant resolution

  private enum TenantLookup {
    case found(Tenant)
    case generic(String)
    case failed(EntraError)
  }

  private func lookUp(_ segment: String, discovery: Bool) -> TenantLookup {
    let name = segment.removingPercentEncoding ?? segment
    if Self.genericTenants.contains(name.lowercased()) { return .generic(name.lowercased()) }
    if let tenant = directory.tenant(name) { return .found(tenant) }
    if StableID.isGUID(name) || Self.looksLikeDomain(name) {
      return .failed(.tenantNotFound(name, discovery: discovery))
    }
    return .failed(.tenantMalformed(name, discovery: discovery))
  }

  private static func looksLikeDomain(_ text: String) -> Bool {
    let labels = text.split(separator: ".", omittingEmptySubsequences: false)
    guard labels.count >= 2 else { return false }
    return labels.allSatisfy { label in
      !label.isEmpty && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }
  }

  // MARK: - Discovery

  /// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
  func openIDConfiguration(tenantSegment: String, request: Incoming, now: Int) -> Reply {
    let realm: String
    let issuerTenant: String
    var cloud = "microsoftonline.com"
    var region: JSONText = .null
    var graphHost = "graph.microsoft.com"
    switch lookUp(tenantSegment, discovery: true) {
    case .failed(let error): return errorReply(error, request: request, now: now)
    case .generic(let name):
      realm = name
      issuerTenant = "{tenantid}"
    case .found(let tenant):
      realm = tenant.id
      issuerTenant = tenant.id
      cloud = tenant.cloudInstanceName
      region = .string(tenant.regionScope)
      if !tenant.isGlobalCloud { graphHost = "graph.microsoft.us" }
    }
    let base = request.base + "/" + realm
    let strings: ([String]) -> JSONText = { .array($0.map { .string($0) }) }
    let document = JSONText.object([
      ("token_endpoint", .string(base + "/oauth2/v2.0/token")),
      (
        "token_endpoint_auth_methods_supported",
        strings(["client_secret_post", "private_key_jwt", "client_secret_basic"])
      ),
      ("jwks_uri", .string(base + "/discovery/v2.0/keys")),
      ("response_modes_supported", strings(["query", "fragment", "form_post"])),
      ("subject_types_supported", strings(["pairwise"])),
      ("id_token_signing_alg_values_supported", strings(["RS256"])),
      ("response_types_supported", strings(["code", "id_token", "code id_token", "id_token token"])),
      ("scopes_supported", strings(["openid", "profile", "email", "offline_access"])),
      ("issuer", .string("\(request.base)/\(issuerTenant)/v2.0")),
      ("request_uri_parameter_supported", .bool(false)),
      ("userinfo_endpoint", .string("https://\(graphHost)/oidc/userinfo")),
      ("authorization_endpoint", .string(base + "/oauth2/v2.0/authorize")),
      ("device_authorization_endpoint", .string(base + "/oauth2/v2.0/devicecode")),
      ("http_logout_supported", .bool(true)),
      ("frontchannel_logout_supported", .bool(true)),
      ("end_session_endpoint", .string(base + "/oauth2/v2.0/logout")),
      (
        "claims_supported",
        strings([
          "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
          "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username",
          "name", "tid", "ver", "at_hash", "c_hash", "email",
        ])
      ),
      ("kerberos_endpoint", .string(base + "/kerberos")),
      ("tenant_region_scope", region),
      ("cloud_instance_name", .string(cloud)),
      ("cloud_graph_host_name", .string("graph.windows.net")),
      ("msgraph_host", .string(graphHost)),
      ("rbac_url", .string("https://pas.windows.net")),
    ])
    return Reply(status: 200, headers: discoveryHeaders(traceID: StableID.random()), body: document.serialized)
  }

  /// `GET /{tenant}/discovery/v2.0/keys` (and the v1 `/{tenant}/discovery/keys`).
  func keys(tenantSegment: String, request: Incoming, now: Int) -> Reply {
    if case .failed(let error) = lookUp(tenantSegment, discovery: true) {
      return errorReply(error, request: request, now: now)
    }
    let key = JSONText.object(
      jwk + [
        ("cloud_instance_name", .string("microsoftonline.com")),
        ("issuer", .string("\(request.base)/{tenantid}/v2.0")),
      ])
    let document = JSONText.object([("keys", .array([key]))])
    return Reply(status: 200, headers: discoveryHeaders(traceID: StableID.random()), body: document.serialized)
  }

  /// `GET /common/discovery/instance`: knows only the emulator's own host (ports ignored, as
  /// MSAL drops them from `authorization_endpoint`).
  func instanceDiscovery(request: Incoming, now: Int) -> Reply {
    guard let endpoint = request.queryItem("authorization_endpoint"),
      let url = URLComponents(string: endpoint), let host = url.host?.lowercased()
    else {
      return errorReply(.missingParameter("authorization_endpoint"), request: request, now: now)
    }
    let own = request.hostName.lowercased()
    let loopback: Set<String> = ["127.0.0.1", "localhost", "::1", "[::1]", own]
    guard loopback.contains(host) else {
      return errorReply(.unknownInstance, request: request, now: now)
    }
    let tenant = url.path.split(separator: "/").first.map(String.init) ?? "common"
    let authority = String(request.base.drop { $0 != "/" }.dropFirst(2))
    let hosts: JSONText = .array([.string(authority)])
    let document = JSONText.object([
      ("tenant_discovery_endpoint", .string("\(request.base)/\(tenant)/v2.0/.well-known/openid-configuration")),
      ("api-version", .string(request.queryItem("api-version") ?? "1.1")),
      (
        "metadata",
        .array([
          .object([
            ("preferred_network", .string(authority)),
            ("preferred_cache", .string(authority)),
            ("aliases", hosts),
          ])
        ])
      ),
    ])
    return Reply(status: 200, headers: discoveryHeaders(traceID: StableID.random()), body: document.serialized)
  }

  // MARK: - Token endpoint

  /// `POST /{tenant}/oauth2/v2.0/token` for the client-credentials grant.
  func token(tenantSegment: String, request: Incoming, now: Int) -> Reply {
    let tenant: Tenant
    switch lookUp(tenantSegment, discovery: false) {
    case .failed(let error): return errorReply(error, request: request, now: now)
    case .generic(let name):
      return errorReply(name == "organizations" ? .tenantNotSpecified : .commonEndpoint, request: request, now: now)
    case .found(let found): tenant = found
    }
    guard tenant.isGlobalCloud else { return errorReply(.crossCloud, request: request, now: now) }

    let form = request.body.map { FormBody.parse(Substring(String(buffer: $0))) } ?? [:]
    let basic = request.basicCredentials
    guard let grant = form["grant_type"], !grant.isEmpty else {
      return errorReply(.missingParameter("grant_type"), request: request, now: now)
    }
    if grant == Self.deviceCodeGrant { return deviceToken(tenant: tenant, form: form, request: request, now: now) }
    if grant == "authorization_code" { return codeToken(tenant: tenant, form: form, request: request, now: now) }
    guard grant == "client_credentials" else {
      return errorReply(.unsupportedGrant(grant), request: request, now: now)
    }
    guard let clientID = form["client_id"] ?? basic?.user, !clientID.isEmpty else {
      return errorReply(.missingParameter("client_id"), request: request, now: now)
    }
    guard
      let client = directory.client(clientID)
        ?? store.client(clientID, presenting: form["client_secret"] ?? basic?.password, now: now, tenantID: tenant.id),
      client.tenantID == tenant.id
    else {
      if store.lacksServicePrincipal(clientID, tenantID: tenant.id, now: now) {
        return errorReply(.servicePrincipalMissing(clientID, tenantID: tenant.id), request: request, now: now)
      }
      return errorReply(.appNotFound(clientID, tenantName: tenant.domain), request: request, now: now)
    }
    let offset = client.dateOffset
    if let fault = fault(for: client, request: request, now: now) { return fault }

    guard let scope = form["scope"], !scope.isEmpty else {
      if form["resource"] != nil {
        return errorReply(.resourceParameter, request: request, now: now, dateOffset: offset)
      }
      return errorReply(.missingParameter("scope"), request: request, now: now, dateOffset: offset)
    }

    // The credential: a certificate assertion, else a secret from the body or Basic.
    let usedCertificate: Bool
    if let assertion = form["client_assertion"], !assertion.isEmpty {
      guard form["client_assertion_type"] == Facts.assertionType else {
        return errorReply(
          .assertionInvalid("client_assertion_type must be \(Facts.assertionType)."),
          request: request, now: now, dateOffset: offset)
      }
      let audiences: Set<String> = [
        "\(request.base)/\(tenantSegment)/oauth2/v2.0/token".lowercased(),
        "\(request.base)/\(tenant.id)/oauth2/v2.0/token".lowercased(),
        "\(request.base)/\(tenant.domain)/oauth2/v2.0/token".lowercased(),
        "\(request.base)/\(tenant.id)/v2.0".lowercased(),
      ]
      if let error = ClientAssertion.verify(assertion, client: client, audiences: audiences, now: now) {
        return errorReply(error, request: request, now: now, dateOffset: offset)
      }
      usedCertificate = true
    } else if let secret = form["client_secret"] ?? basic?.password, !secret.isEmpty {
      guard let registered = client.secret, registered == secret else {
        return errorReply(.secretInvalid(client.clientID), request: request, now: now, dateOffset: offset)
      }
      if client.secretExpired {
        return errorReply(.secretExpired(client.clientID), request: request, now: now, dateOffset: offset)
      }
      usedCertificate = false
    } else {
      return errorReply(.credentialMissing, request: request, now: now, dateOffset: offset)
    }

    let scopes = scope.split(separator: " ", omittingEmptySubsequences: true)
    guard scopes.count == 1, scopes[0].hasSuffix("/.default") else {
      return errorReply(.scopeInvalid(scope), request: request, now: now, dateOffset: offset)
    }
    let resource = String(scopes[0].dropLast("/.default".count))
    let forGraph = Facts.graphAudiences.contains(resource)
    if forGraph, client.graph.access == .tokenBlocked {
      return errorReply(.conditionalAccess, request: request, now: now, dateOffset: offset)
    }
    guard forGraph || Facts.bcAudiences.contains(resource) else {
      return errorReply(
        .resourceNotFound(resource, tenantName: tenant.domain), request: request, now: now, dateOffset: offset)
    }

    let accessToken: String
    do {
      accessToken = try issuer.issue(
        for: client, tenant: tenant, resource: resource, certificateCredential: usedCertificate, now: now,
        graph: forGraph)
    } catch {
      return errorReply(.issuingFailed, request: request, now: now, dateOffset: offset, status: 500)
    }
    store.ledger?.record(.appToken, accessToken)
    var reply = Reply(
      status: 200, headers: estsHeaders(traceID: StableID.random()),
      body: Self.tokenResponse(accessToken))
    reply.dateOffset = offset
    return reply
  }

  /// The success body. `accessToken` is base64url segments and dots: nothing to escape.
  static func tokenResponse(_ accessToken: String) -> String {
    #"{"token_type":"Bearer","expires_in":"# + String(TokenIssuer.lifetime) + #","ext_expires_in":"#
      + String(TokenIssuer.lifetime) + #","access_token":""# + accessToken + #""}"#
  }

  /// The scripted answer of a client configured to misbehave, or `nil` to go on normally.
  private func fault(for client: ClientRegistration, request: Incoming, now: Int) -> Reply? {
    let offset = client.dateOffset
    switch client.tokenEndpoint {
    case .issue: return nil
    case .error(let error): return errorReply(error, request: request, now: now, dateOffset: offset)
    case .throttled:
      var reply = errorReply(.throttled, request: request, now: now, dateOffset: offset, status: 429)
      reply.headers[.retryAfter] = "1"
      return reply
    case .unavailable:
      var reply = errorReply(.unavailable, request: request, now: now, dateOffset: offset, status: 503)
      reply.headers[.retryAfter] = "1"
      return reply
    case .htmlPage(let status):
      var fields = HTTPFields()
      fields[.contentType] = "text/html; charset=utf-8"
      fields[.cacheControl] = "no-cache"
      let page =
        status == 200
        ? "<!DOCTYPE html><html><head><title>Network access</title></head><body><h1>Sign in to continue</h1><p>This network requires you to accept the acceptable-use policy before you can reach external sites.</p><form method=\"post\" action=\"/portal/accept\"><button>Accept</button></form></body></html>"
        : "<html>\r\n<head><title>\(status) Bad Gateway</title></head>\r\n<body>\r\n<center><h1>\(status) Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
      return Reply(status: status, headers: fields, body: page)
    case .proxyAuthRequired:
      var fields = HTTPFields()
      fields[.contentType] = "text/html; charset=utf-8"
      fields[.proxyAuthenticate] = "Basic realm=\"Corporate proxy\""
      return Reply(
        status: 407, headers: fields,
        body:
          "<html><head><title>407 Proxy Authentication Required</title></head><body><h1>Proxy Authentication Required</h1></body></html>"
      )
    case .truncatedJSON:
      let whole = Self.tokenResponse(
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2FwaS5idXNpbmVzc2NlbnRyYWwuZHluYW1pY3MuY29tIn0.c2lnbmF0dXJl"
      )
      var reply = Reply(
        status: 200, headers: estsHeaders(traceID: StableID.random()), body: String(whole.prefix(whole.count / 2)))
      reply.dateOffset = offset
      return reply
    case .invalidJWT:
      var reply = Reply(
        status: 200, headers: estsHeaders(traceID: StableID.random()), body: Self.tokenResponse("not-a-jwt"))
      reply.dateOffset = offset
      return reply
    case .drip, .reset:
      var reply = Reply(
        status: 200, headers: estsHeaders(traceID: StableID.random()),
        body: Self.tokenResponse("not-yet-a-token-" + StableID.opaque(count: 48)))
      if case .drip = client.tokenEndpoint {
        reply.delivery = .drip(headDelay: .seconds(3), interval: .seconds(1))
      } else {
        reply.delivery = .cutOff
      }
      return reply
    }
  }
}
